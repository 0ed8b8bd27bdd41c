/**
 * `vault tls gen`: a local CA (reused when `<data dir>/tls/ca.pem` exists) and a fresh
 * server certificate for an existing vault, named in the config's `[tls]` table.
 * @module
 */
import { join, resolve } from 'node:path';
import { defineCommand } from '../command.js';
import { configPath, dataDir, envRecord } from '../connect/env.js';
import { printJson } from '../connect/format.js';
import { applyTls, tlsReport } from './apply.js';

export const command = defineCommand({
  name: 'gen',
  usage: 'vault tls gen [--tls-san NAME]... [--tls-alg ALG] [--data-dir DIR] [--json]',
  options: {
    'tls-san': { type: 'string', arg: 'NAME', multiple: true, help: 'another DNS name or IP address for the certificate (repeatable)' },
    'tls-alg': { type: 'string', arg: 'ALG', help: 'ecdsa-p256 (default) or ml-dsa-65 (Node >= 24.7; few clients accept it: docs/tls.md)' },
    'data-dir': { type: 'string', arg: 'DIR', help: 'the data dir (default ONTOREF_DATA_DIR, the config, or ~/.local/share/ontoref-vault)' },
    json: { type: 'boolean', help: 'print {ca_cert, cert, key, sans, config_file, config_changed}' },
  },
  details: [
    'Writes DIR/tls/ca.pem (give it to clients: ONTOREF_CACERT), ca.key (0600), server.pem',
    'and server.key (0600), ECDSA P-256. The certificate names localhost, 127.0.0.1, ::1,',
    "this host's name and every --tls-san. Run it again to renew the server certificate;",
    'a running daemon picks the new one up on SIGHUP.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    let dir: string;
    if (v['data-dir'] !== undefined) {
      dir = resolve(v['data-dir']);
    } else {
      const { checkConfig } = await import('../../src/config.js');
      dir = checkConfig({ env: envRecord(ctx) }).config?.dataDir ?? dataDir(ctx);
    }
    const explicit = ctx.env.vars['ONTOREF_CONFIG'];
    const file = explicit !== undefined && explicit !== '' ? configPath(ctx) : join(dir, 'config.toml');
    const r = await applyTls(ctx, dir, file, v['tls-san'], v['tls-alg']);
    if (v.json) {
      await printJson(ctx, { ca_cert: r.caCert, cert: r.cert, key: r.key, sans: r.sans, config_file: r.configFile, config_changed: r.configChanged });
    } else {
      for (const line of tlsReport(r)) ctx.info(line);
    }
    return 0;
  },
});
