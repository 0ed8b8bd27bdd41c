/**
 * `vault audit verify` on a PostgreSQL database with two nodes' chains, as the built CLI:
 * the config names the database, every chain and every named peer head is checked, the
 * report lists each node, and an edited entry of node b is named with its node and seq
 * (text and --json, exit 1).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, parsePeers, type AuditEvent } from '../../src/audit/index.js';
import { randomBytes } from '../../src/crypto/bytes.js';
import { selectProvider } from '../../src/crypto/provider.js';
import { Keyring } from '../../src/keyring/index.js';
import { openPostgresStorage } from '../../src/storage/postgres/index.js';
import { assertBuilt, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { freshDatabase } from '../helpers/pg.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;

function event(i: number): AuditEvent {
  return { type: 'request', method: 'GET', path: `/v1/secrets/app/${i}`, status: 200 };
}

let sb: Sandbox;
let url: string;
let config: string;

const verify = (args: readonly string[] = [], cfg = config): Promise<CliResult> => sb.run(['audit', 'verify', ...args], { env: { ONTOREF_CONFIG: cfg } });

/** Nodes a and b with 8 entries each, alternating, checkpoints every 3 and at the end; returns a config file naming node a. */
function populate(name: string): string {
  const a = openPostgresStorage({ url, node: 'a' });
  const b = openPostgresStorage({ url, node: 'b' });
  const root = randomBytes(32);
  const ka = Keyring.create(a, provider, root, { now: T0 });
  const kb = Keyring.open(b, provider, root);
  try {
    let clock = T0;
    const la = new AuditLog(a, { hmacKey: () => ka.secret('audit').key, signer: () => ka.current('sign'), provider, now: () => clock++, checkpointEvery: 3 });
    const lb = new AuditLog(b, { hmacKey: () => kb.secret('audit').key, signer: () => kb.current('sign'), provider, now: () => clock++, checkpointEvery: 3 });
    for (let i = 0; i < 8; i++) {
      la.append(event(i));
      lb.append(event(i));
    }
    la.checkpoint();
    lb.checkpoint();
  } finally {
    ka.wipe();
    kb.wipe();
    a.close();
    b.close();
  }
  const file = sb.path(name);
  writeFileSync(file, `[storage]\nbackend = "postgres"\nurl = "${url}"\nnode = "a"\n`, { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-audit-chains-');
  url = await freshDatabase();
  config = populate('config.toml');
});
afterAll(() => {
  sb.cleanup();
});

describe('vault audit verify on per-node chains', () => {
  it('checks both chains and the heads they name', async () => {
    const r = await verify();
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatch(/^node a: \d+ entries, \d+ checkpoints, signed through entry (\d+) of \1$/m);
    expect(r.out).toMatch(/^node b: \d+ entries, \d+ checkpoints, signed through entry (\d+) of \1$/m);
    expect(r.out).toMatch(/^peer heads named in checkpoints: [1-9]\d* found in their chains$/m);

    const j = await verify(['--json']);
    expect(j.code, j.stderr).toBe(0);
    const report = JSON.parse(j.out) as { ok: boolean; node: string; nodes: { node: string; ok: boolean }[]; peer_heads: { checked: number }; first_bad: unknown };
    expect(report.ok).toBe(true);
    expect(report.node).toBe('a');
    expect(report.nodes.map((n) => [n.node, n.ok])).toEqual([['a', true], ['b', true]]);
    expect(report.peer_heads.checked).toBeGreaterThan(0);
    expect(report.first_bad).toBeNull();
  });

  it('names node b and the seq of an edited entry of b', async () => {
    const b = openPostgresStorage({ url, node: 'b' });
    try {
      b.pg.exec("DROP TRIGGER audit_log_append_only ON ov_audit_b.audit_log; UPDATE ov_audit_b.audit_log SET body = replace(body, '200', '201') WHERE seq = 4");
    } finally {
      b.close();
    }
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('node b: entry 4: modified');
    const j = await verify(['--json']);
    expect(j.code).toBe(1);
    const report = JSON.parse(j.out) as { ok: boolean; first_bad: unknown; problem: { code: string; node: string } };
    expect(report.ok).toBe(false);
    expect(report.first_bad).toEqual({ seq: 4, problem: 'modified', node: 'b' });
    expect(report.problem).toMatchObject({ code: 'OV_AUDIT_ENTRY_MODIFIED', node: 'b', seq: 4 });
  });

  it("names a cut tail of b by the checkpoint of a that named b's head", async () => {
    url = await freshDatabase();
    const cfg = populate('config-cut.toml');
    const b = openPostgresStorage({ url, node: 'b' });
    try {
      // Cut b from the head a's last checkpoint named, with b's checkpoints from there:
      // b's chain alone then still verifies.
      const named = b.auditChains.of('a');
      const head = named.head()!;
      const last = parsePeers(named.get(head.seq)!.entry, 'a', head.seq)![0]!.seq;
      b.pg.exec(
        `DROP TRIGGER audit_log_append_only ON ov_audit_b.audit_log; DROP TRIGGER audit_checkpoints_append_only ON ov_audit_b.audit_checkpoints;` +
          `DELETE FROM ov_audit_b.audit_checkpoints WHERE seq >= ${last}; DELETE FROM ov_audit_b.audit_log WHERE seq >= ${last}`,
      );
    } finally {
      b.close();
    }
    const j = await verify(['--json'], cfg);
    expect(j.code).toBe(1);
    const report = JSON.parse(j.out) as { nodes: { node: string; ok: boolean }[]; first_bad: { node: string; problem: string; named_by: { node: string } } };
    expect(report.nodes.map((n) => [n.node, n.ok])).toEqual([['a', true], ['b', true]]);
    expect(report.first_bad).toMatchObject({ node: 'b', problem: 'deleted', named_by: { node: 'a' } });
    const t = await verify([], cfg);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/node b: entry \d+: deleted \(the head named by node a entry \d+\)/);
  });
});
