/**
 * `vault snapshot inspect FILE`: prints a snapshot's manifest and whether its signature
 * and data check out against `--expect-key` or the current vault's signing keys. Offline.
 * @module
 */
import { isVaultError } from '../../src/errors.js';
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { printJson } from '../connect/format.js';
import { dataDirOf, formatManifest, readSnapshotFile } from './shared.js';

export const command = defineCommand({
  name: 'inspect',
  usage: 'vault snapshot inspect FILE [--expect-key FINGERPRINT] [--data-dir DIR] [--json]',
  positionals: { min: 1, max: 1, name: 'FILE' },
  options: {
    'expect-key': { type: 'string', arg: 'FINGERPRINT', help: 'check the signature against this signing key fingerprint (from vault setup)' },
    'data-dir': { type: 'string', arg: 'DIR', help: "check against this data dir's vault (default: ONTOREF_DATA_DIR, the config, or ~/.local/share/ontoref-vault)" },
    json: { type: 'boolean', help: 'print {manifest, key_fingerprint, verified, reason}' },
  },
  details: [
    'verified is true when the signature and the data hash check out, false when they do',
    'not (reason names the error code), null when there is nothing to check against.',
    '',
    'Exit codes: 0 the manifest was read (and verified, when checked); 1 it is malformed or',
    'does not verify.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const bytes = await readSnapshotFile(ctx.positionals[0] ?? '');
    const { keyFingerprint, manifestJson, parseSnapshot, verifySnapshot } = await import('../../src/snapshot/index.js');
    const snap = parseSnapshot(bytes);
    const fingerprint = keyFingerprint(new Uint8Array(Buffer.from(snap.manifest.signer.publicKey, 'base64')));
    const provider = await ctx.provider();
    let trust: Parameters<typeof verifySnapshot>[2] | undefined;
    if (v['expect-key'] !== undefined) {
      if (!/^[0-9a-fA-F]{64}$/.test(v['expect-key'])) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--expect-key must be 64 hex digits' });
      trust = { fingerprint: v['expect-key'] };
    } else {
      const { offlineTarget } = await import('../operator/storage.js');
      const target = await offlineTarget(ctx, await dataDirOf(ctx, v['data-dir']));
      if (target.present) {
        const { keyringPublicKeys } = await import('../../src/keyring/index.js');
        const s = target.open();
        try {
          trust = { keys: keyringPublicKeys(s) };
        } finally {
          s.close();
        }
      }
    }
    let verified: boolean | null = null;
    let reason: string | null = null;
    if (trust !== undefined) {
      try {
        verifySnapshot(provider, snap, trust);
        verified = true;
      } catch (e) {
        if (!isVaultError(e)) throw e;
        verified = false;
        reason = e.code;
      }
    }
    if (v.json) {
      await printJson(ctx, { manifest: manifestJson(snap.manifest), key_fingerprint: fingerprint, verified, reason });
    } else {
      await ctx.out(formatManifest(snap.manifest, fingerprint) + `verified:         ${verified === null ? 'not checked (no --expect-key and no vault here)' : verified ? 'yes' : `NO (${reason ?? ''})`}\n`);
    }
    return verified === false ? 1 : 0;
  },
});
