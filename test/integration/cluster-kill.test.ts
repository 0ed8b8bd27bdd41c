/**
 * SIGKILL of a node of a three-daemon cluster while clients write through all three
 * addresses: the clients keep working on the other nodes, no write that was acknowledged is
 * lost, and the audit history of every node still verifies.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../src/client/index.js';
import { assertBuilt, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { sleep, type Daemon } from '../helpers/daemon.js';
import { startPostgres, type PgServer } from '../helpers/pg.js';
import { setupPgVault, startClusterNodes, type PgVault } from './cluster-fixture.js';

const NODES = ['a', 'b', 'c'] as const;
const WRITERS = 6;
/** Writes each writer makes after the kill before the test stops it. */
const AFTER_KILL = 15;

let sb: Sandbox;
let server: PgServer;
let vault: PgVault;
let nodes = new Map<string, Daemon>();

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-cluster-kill-');
  server = await startPostgres();
  vault = await setupPgVault(server.url, sb.path('keys'), 'a');
  nodes = await startClusterNodes(sb, server.url, vault, NODES);
}, 120_000);

afterAll(async () => {
  await Promise.all([...nodes.values()].map((d) => d.stop()));
  await server?.destroy();
  sb?.cleanup();
});

describe('SIGKILL of a node under concurrent writes', () => {
  it('clients fail over, no acknowledged write is lost, and every chain verifies', async () => {
    const list = NODES.map((n) => (nodes.get(n) as Daemon).addr).join(',');
    const login = new VaultClient({ addr: list });
    const { token } = await login.createSession({ key: vault.adminKey });
    const acknowledged: { path: string; value: string }[] = [];
    let killed = false;
    const afterKill = new Array<number>(WRITERS).fill(0);
    const failures: string[] = [];
    const writer = async (w: number): Promise<void> => {
      const client = new VaultClient({ addr: list, token });
      for (let i = 0; afterKill[w]! < AFTER_KILL; i++) {
        const path = `kill/w${w}/n${i}`;
        const value = `v-${w}-${i}`;
        const wasKilled = killed;
        try {
          await client.putSecret(path, { data: { value } });
          acknowledged.push({ path, value });
          if (wasKilled) afterKill[w]!++;
        } catch (e) {
          // A write in flight on the killed node has no answer: its outcome is unknown, and
          // the client rightly does not resend it. Anything else is a failure.
          failures.push((e as { code?: string }).code ?? String(e));
          if (!killed) throw e;
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    while (acknowledged.length < WRITERS * 5) await sleep(20);
    // Set first: a write cut by the kill may fail before the kill has been reported back.
    killed = true;
    await (nodes.get('a') as Daemon).stop('SIGKILL');
    await Promise.all(writers);
    // Each writer went on after the kill through the other addresses.
    expect(afterKill.every((n) => n >= AFTER_KILL)).toBe(true);
    // Only writes the killed node may have received failed, each as unreachable: the one in
    // flight, and one sent on a kept-alive connection that the kill had cut. The client does
    // not resend those, since it cannot know whether they committed.
    expect(failures.length).toBeLessThanOrEqual(2 * WRITERS);
    for (const f of failures) expect(f).toBe('OV_DAEMON_UNREACHABLE');
    // Every acknowledged write is there, read through a node that was never killed.
    const reader = new VaultClient({ addr: (nodes.get('c') as Daemon).addr, token });
    for (const { path, value } of acknowledged) {
      const doc = await reader.getSecret(path);
      expect(doc.data, path).toEqual({ value });
    }
    // The audit history of every node, the killed one's included, verifies offline.
    const cfg = join(sb.path('node-b'), 'config.toml');
    const r = await sb.run(['audit', 'verify', '--json'], { env: { ONTOREF_CONFIG: cfg } });
    expect(r.code, r.stderr + r.out).toBe(0);
    const doc = JSON.parse(r.out) as { ok: boolean; nodes?: { node: string; ok: boolean }[] };
    expect(doc.ok).toBe(true);
    expect(doc.nodes?.map((n) => [n.node, n.ok])).toEqual([
      ['a', true],
      ['b', true],
      ['c', true],
    ]);
  }, 180_000);
});
