/**
 * `vault validator history NAME`: the slot's signed rotation records
 * (`GET /v1/validators/{name}/history`): import, rotate, promote, retire, destroy and
 * signing-state raises, in order. With `--verify` every record's signature and hash link
 * is checked here, offline, with `verifyValidatorHistory` (src/validators/records.ts,
 * docs/validators.md "Rotation records"), against the vault's signing public keys as the
 * daemon reports them, or, for a check that must not trust the daemon, against public key
 * files pinned out of band (`--key`, as `vault audit verify` takes them).
 * @module
 */
import type { PublicKeyInfo } from '../../src/envelope/keys.js';
import { defineCommand } from '../command.js';
import { CliError, EXIT_DAEMON, formatError } from '../errors.js';
import { clean, formatTable, printJson } from '../connect/format.js';
import { checkName, validators } from './shared.js';

export const command = defineCommand({
  name: 'history',
  usage: 'vault validator history NAME [--verify] [--key PUB_FILE ...] [--json]',
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    verify: { type: 'boolean', help: "check every record's signature and hash chain" },
    key: { type: 'string', multiple: true, arg: 'PUB_FILE', help: "with --verify: the vault's signature public key(s), instead of those the daemon reports" },
    json: { type: 'boolean', help: 'print {records, public_keys, verified: {ok, seq, reason} | null}' },
  },
  details: [
    "Pin the keys: 'vault keys list --json' on a trusted day, or the armored public keys kept",
    'offline at setup, passed with --key, so that a compromised daemon cannot vouch for itself.',
    '',
    'Exit codes: 0 ok (and with --verify every record verifies); 2 a record does not verify',
    '(the first bad one is named) or the daemon reported an error; 1 a local error.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const name = checkName(ctx.positionals[0]);
    if (v.key.length > 0 && !v.verify) throw new CliError('OV_USAGE', { reason: '--key goes with --verify' });
    const history = await (await validators(ctx)).history(name);
    let verdict: { ok: true } | { ok: false; seq: number; reason: string } | null = null;
    if (v.verify) {
      const keys: (string | PublicKeyInfo)[] = [];
      if (v.key.length > 0) {
        const { loadPublicKey } = await import('../envelope/keys.js');
        for (const f of v.key) keys.push(await loadPublicKey(ctx, f, 'sig-public'));
      } else {
        keys.push(...history.public_keys);
      }
      const { verifyValidatorHistory } = await import('../../src/validators/records.js');
      verdict = verifyValidatorHistory(history.records, keys, { provider: await ctx.provider() });
    }
    if (v.json) {
      await printJson(ctx, { records: history.records, public_keys: history.public_keys, verified: verdict });
    } else {
      await ctx.out(
        history.records.length === 0
          ? ''
          : formatTable(
              ['SEQ', 'TIME', 'ACTION', 'KEY ID', 'PUBLIC KEY', 'PREVIOUS KEY'],
              history.records.map((r) => [r.seq, r.time, r.action, r.key_id, r.public_key, r.prev_key_id]),
            ),
      );
      if (verdict?.ok === true) ctx.info(`history ok: ${history.records.length} record(s) verified`);
    }
    if (verdict !== null && !verdict.ok) {
      const err = new CliError('OV_VALIDATOR_HISTORY_INVALID', {
        reason: `record ${verdict.seq}: ${clean(verdict.reason)}`,
        hints: [`the records before ${verdict.seq} verify; the vault database may have been altered`],
      });
      for (const line of formatError(err, ctx.env.debug)) ctx.streams.stderr.write(`${line}\n`);
      return EXIT_DAEMON;
    }
    return 0;
  },
});
