/**
 * `vault snapshot save FILE`: asks the daemon (daemon admin) for a signed, consistent
 * snapshot of the whole database, taken while it keeps serving, and writes it to FILE
 * (0600, atomically: a temporary file renamed into place).
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';
import { writeFiles } from '../io.js';

export const command = defineCommand({
  name: 'save',
  usage: 'vault snapshot save FILE [--force] [--json]',
  positionals: { min: 1, max: 1, name: 'FILE' },
  options: {
    force: { type: 'boolean', help: 'overwrite FILE if it exists' },
    json: { type: 'boolean', help: 'print {file, manifest, key_fingerprint}' },
  },
  details: [
    'Needs a daemon admin session (vault login --admin) and an unsealed daemon: the daemon',
    "signs the manifest with the vault's ML-DSA key. The snapshot holds what vault.db holds",
    '(envelopes, wrapped keys), never the root key. Check it with `vault snapshot inspect`.',
    '',
    'Exit codes: 0 written; 1 a local error (FILE exists without --force); 2 the daemon refused.',
  ].join('\n'),
  async run(ctx) {
    const file = ctx.positionals[0] ?? '';
    const client = await connect(ctx);
    const bytes = await client.snapshot();
    const { keyFingerprint, manifestJson, parseSnapshot } = await import('../../src/snapshot/index.js');
    // Parse before writing: a garbled answer is not written as if it were a snapshot.
    const { manifest } = parseSnapshot(bytes);
    const fingerprint = keyFingerprint(new Uint8Array(Buffer.from(manifest.signer.publicKey, 'base64')));
    await writeFiles([{ path: file, data: bytes, secret: true, exclusive: !ctx.values.force }]);
    if (ctx.values.json) {
      await printJson(ctx, { file, manifest: manifestJson(manifest), key_fingerprint: fingerprint });
    } else {
      await ctx.out(`snapshot written to ${clean(file)} (audit seq ${manifest.auditSeq}, ${manifest.dataBytes} bytes of data)\n`);
      ctx.info(`signing key fingerprint: ${fingerprint}`);
    }
    return 0;
  },
});
