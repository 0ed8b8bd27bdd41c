/**
 * `vault audit verify`: checks the audit log offline (no daemon, no root key): every
 * entry's hash and link and every signed checkpoint (docs/adr/0005-audit-chain.md),
 * reading `<data dir>/vault.db` read-only. The checkpoint keys come from the keyring's
 * stored public keys, or, for a verifier that must not trust the database it checks, from
 * public key files pinned out of band (`--key`).
 * @module
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PublicKeyInfo } from '../../src/envelope/keys.js';
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { quotePath } from '../io.js';
import { envRecord } from '../connect/env.js';
import { printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'verify',
  usage: 'vault audit verify [--data-dir DIR] [--key PUB_FILE ...] [--json]',
  options: {
    'data-dir': { type: 'string', arg: 'DIR', help: 'the vault data dir (default: ONTOREF_DATA_DIR, the config, or ~/.local/share/ontoref-vault)' },
    key: { type: 'string', multiple: true, arg: 'PUB_FILE', help: 'verify checkpoints with this signature public key instead of the stored ones' },
    json: { type: 'boolean', help: 'print {ok, entries, checkpoints, last_seq, covered_through, first_bad, data_dir}' },
  },
  details: [
    'Runs while the daemon runs (the database is opened read-only). Entries after the last',
    'checkpoint are only hash-chained: a cut of that tail cannot be detected by anyone.',
    'The daemon signs a checkpoint on seal and on shutdown.',
    '',
    'Exit codes: 0 the log verifies; 1 it does not (the first problem is named: modified,',
    'deleted, reordered or checkpoint, with its sequence number), or a local error.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    let dir: string;
    if (v['data-dir'] !== undefined) {
      dir = resolve(v['data-dir']);
    } else {
      const { checkConfig, envDataDir } = await import('../../src/config.js');
      dir = checkConfig({ env: envRecord(ctx) }).config?.dataDir ?? envDataDir(envRecord(ctx));
    }
    const dbPath = join(dir, 'vault.db');
    if (!existsSync(dbPath)) {
      throw new CliError('OV_IO', {
        reason: `no vault.db in ${quotePath(dir)}`,
        hints: ["pass --data-dir DIR, or set ONTOREF_DATA_DIR; 'vault setup --gen-keys' creates a vault"],
      });
    }
    const provider = await ctx.provider();
    const pinned: PublicKeyInfo[] = [];
    if (v.key.length > 0) {
      const { loadPublicKey } = await import('../envelope/keys.js');
      for (const f of v.key) pinned.push(await loadPublicKey(ctx, f, 'sig-public'));
    }
    const { openStorage } = await import('../../src/storage/sqlite.js');
    const { verifyAudit } = await import('../../src/audit/index.js');
    const { keyringPublicKeys } = await import('../../src/keyring/index.js');
    const storage = openStorage(dbPath, { readonly: true });
    let r;
    try {
      r = verifyAudit(storage, pinned.length > 0 ? pinned : keyringPublicKeys(storage), provider);
    } finally {
      storage.close();
    }
    if (v.json) {
      await printJson(ctx, {
        ok: r.ok,
        entries: r.entries,
        checkpoints: r.checkpoints,
        last_seq: r.lastSeq,
        covered_through: r.coveredThrough,
        first_bad: r.firstBad ?? null,
        data_dir: dir,
      });
      return r.ok ? 0 : 1;
    }
    if (!r.ok) {
      const bad = r.firstBad;
      throw new CliError('OV_AUDIT_INVALID', {
        reason: bad === undefined ? 'unknown problem' : `entry ${bad.seq}: ${bad.problem}`,
        hints: [`${r.entries} entries and ${r.checkpoints} checkpoints verified before it`],
      });
    }
    const tail = r.lastSeq - r.coveredThrough;
    await ctx.out(
      `audit log ok: ${r.entries} entries, ${r.checkpoints} checkpoints` +
        (r.entries === 0 ? '\n' : tail === 0 ? `, signed through entry ${r.coveredThrough}\n` : `; entries ${r.coveredThrough + 1}-${r.lastSeq} not yet covered by a checkpoint\n`),
    );
    return 0;
  },
});
