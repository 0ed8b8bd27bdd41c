/**
 * `vault status`: the daemon's seal status, like `vault status` in HashiCorp Vault, with
 * exit codes a script can branch on: 0 unsealed, 2 sealed or not initialised (or any
 * error the daemon reports), 1 when the daemon cannot be reached or another local error.
 * Needs no token. A daemon of a PostgreSQL cluster also shows its node name, role,
 * whether it reaches the database, and every member's lease.
 * @module
 */
import { defineCommand } from '../command.js';
import { EXIT_DAEMON, EXIT_OK } from '../errors.js';
import { connect } from '../connect/connect.js';
import { daemonAddr } from '../connect/env.js';
import { formatPairs, printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'status',
  usage: 'vault status [--json]',
  options: {
    json: { type: 'boolean', help: 'print {addr, initialized, sealed, mode, t, n, progress, nonce[, version][, tls][, cluster]}' },
  },
  details: [
    'Asks the daemon at ONTOREF_ADDR (default http://127.0.0.1:8420) for its seal status;',
    'no token is needed.',
    '',
    'Exit codes: 0 unsealed; 2 sealed or not initialised (the output says which), or an',
    'error reported by the daemon; 1 the daemon cannot be reached, or a local error.',
  ].join('\n'),
  async run(ctx) {
    const client = await connect(ctx, { auth: false });
    const s = await client.sealStatus();
    // The cluster part comes from health; a daemon that cannot say (an older one, or a
    // stand-in) leaves it out rather than failing the status.
    const cluster = await client.health().then(
      (h) => h.cluster,
      () => undefined,
    );
    if (ctx.values.json) {
      const t = client.tlsInfo();
      await printJson(ctx, {
        addr: daemonAddr(ctx),
        ...s,
        ...(t === undefined ? {} : { tls: { protocol: t.protocol, key_exchange_group: t.group, cipher: t.cipher } }),
        ...(cluster === undefined ? {} : { cluster }),
      });
    } else {
      const pairs: [string, unknown][] = [
        ['Address', daemonAddr(ctx)],
        ['Initialized', s.initialized],
        ['Sealed', s.sealed],
      ];
      if (s.mode !== null) pairs.push(['Seal mode', s.mode]);
      if (s.t !== null && s.n !== null) pairs.push(['Threshold', `${s.t} of ${s.n} shares`]);
      if (s.sealed && s.mode === 'shamir') pairs.push(['Unseal progress', `${s.progress}/${s.t ?? '?'}`]);
      if (s.version !== undefined) pairs.push(['Version', s.version]);
      const t = client.tlsInfo();
      if (t !== undefined) pairs.push(['TLS', `${t.protocol}${t.group === '' ? '' : `, key exchange ${t.group}`}`]);
      if (cluster !== undefined) {
        pairs.push(['Node', cluster.node], ['Role', cluster.role], ['Database reachable', cluster.database_reachable]);
        for (const m of cluster.members) {
          pairs.push([`Member ${m.node}`, `${m.live ? 'live' : 'lapsed'}, lease until ${new Date(m.lease_until).toISOString()}${m.addr === null ? '' : `, ${m.addr}`}`]);
        }
      }
      await ctx.out(formatPairs(pairs));
    }
    return s.initialized && !s.sealed && cluster?.role !== 'lapsed' ? EXIT_OK : EXIT_DAEMON;
  },
});
