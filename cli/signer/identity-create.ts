/**
 * `vault signer identity create NAME --slots a,b -o client.p12`: a client keystore for a
 * validator client that uses the remote signer. The key pair is made here; the daemon
 * (`POST /v1/signer/identities`, admin) sees only the public key and answers with a
 * certificate from its signer CA; the key, the certificate and the CA go into a PKCS #12
 * file written 0600. The output file is checked before the daemon is asked, so a refusal
 * leaves no identity behind. The keystore password comes from --password-file or is made
 * here and printed once on stderr; it never reaches the daemon.
 * @module
 */
import { checkPkcs12Password, newP256Key, newPkcs12Password, writePkcs12 } from '../../src/tls/pkcs12.js';
import { defineCommand } from '../command.js';
import { printJson } from '../connect/format.js';
import { connect } from '../connect/connect.js';
import { CliError, usageError } from '../errors.js';
import { checkOutputFile, writeFiles } from '../io.js';
import { checkName, readPassword } from '../validator/shared.js';

function pemDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), 'base64');
}

export const command = defineCommand({
  name: 'create',
  usage: 'vault signer identity create NAME --slots SLOT[,SLOT...] -o FILE.p12 [--password-file FILE] [--force] [--json]',
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    slots: { type: 'string', arg: 'LIST', help: 'comma-separated validator slots the identity may sign for' },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the PKCS #12 keystore here (mode 0600)' },
    'password-file': { type: 'string', arg: 'FILE', help: "the keystore password (8-256 printable ASCII; 0600 file or '-' for stdin); default: a new one, printed once on stderr" },
    force: { type: 'boolean', help: 'replace an existing output file' },
    json: { type: 'boolean', help: 'print the identity {name, slots, fingerprint, ...} (never the password)' },
  },
  details: [
    'Give the keystore and its password to the validator client:',
    '  Lighthouse: client_identity_path / client_identity_password in validator_definitions.yml',
    '  Teku: --validators-external-signer-keystore FILE.p12',
    '        --validators-external-signer-keystore-password-file FILE',
    'Revoke with: vault signer identity revoke NAME',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const name = checkName(ctx.positionals[0]);
    if (v.slots === undefined) throw usageError('missing --slots (the validator slots this identity may sign for)', ctx.commandPath);
    const slots = v.slots.split(',').map((s) => s.trim());
    if (slots.some((s) => s === '')) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--slots must list slot names separated by commas' });
    for (const s of slots) checkName(s, '--slots');
    if (v.output === undefined || v.output === '-') throw usageError('give -o FILE.p12 (the keystore holds a private key and is never printed)', ctx.commandPath);
    // Before the daemon is asked: a refusal here must leave no identity behind.
    await checkOutputFile(v.output, { force: v.force });
    let password: string;
    let generated = false;
    if (v['password-file'] !== undefined) {
      password = await readPassword(ctx, v['password-file'], 'keystore password: ');
      try {
        checkPkcs12Password(password);
      } catch {
        throw new CliError('OV_INVALID_ARGUMENT', { reason: 'the keystore password must be 8-256 printable ASCII characters', hints: ['nothing was changed'] });
      }
    } else {
      password = newPkcs12Password();
      generated = true;
    }
    const client = await connect(ctx);
    const key = newP256Key();
    try {
      const issued = await client.createSignerIdentity({ name, slots, public_key: key.spki.toString('base64') });
      const p12 = writePkcs12({ keyPkcs8: key.keyPkcs8, certs: [pemDer(issued.certificate), pemDer(issued.ca_certificate)], password, friendlyName: name });
      await writeFiles([{ path: v.output, data: p12, secret: true, exclusive: !v.force }]);
      if (generated) ctx.streams.stderr.write(`vault: keystore password (shown once): ${password}\n`);
      if (v.json) await printJson(ctx, { identity: issued.identity, file: v.output });
      else ctx.info(`wrote ${v.output} for identity ${name} (slots ${issued.identity.slots.join(',')}, fingerprint ${issued.identity.fingerprint})`);
    } finally {
      key.keyPkcs8.fill(0);
    }
    return 0;
  },
});
