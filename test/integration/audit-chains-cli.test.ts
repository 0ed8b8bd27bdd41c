/**
 * `vault audit verify` on a PostgreSQL database with two nodes' chains, as the built CLI:
 * the config names the database, every chain and every named peer head is checked, the
 * report lists each node, and an edited entry of node b is named with its node and seq
 * (text and --json, exit 1).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEvent } from '../../src/audit/index.js';
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

const verify = (args: readonly string[] = []): Promise<CliResult> => sb.run(['audit', 'verify', ...args], { env: { ONTOREF_CONFIG: config } });

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-audit-chains-');
  url = await freshDatabase();
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
  config = sb.path('config.toml');
  writeFileSync(config, `[storage]\nbackend = "postgres"\nurl = "${url}"\nnode = "a"\n`, { mode: 0o600 });
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
});
