/**
 * The remote signer's watermark survives SIGKILL: a real daemon (child process) signs
 * attestations for one key with rising target epochs, several in flight at once, over its
 * signer listener, and is killed with SIGKILL while requests are between decision and
 * answer. After a restart the slot's target watermark is at least every target whose
 * signature was received, and a conflicting attestation for any of those targets (or a
 * lower one) is refused with 412: a decision is durable before its signature leaves. Each
 * acknowledged signature's audit entry is on disk too, exactly once: it is committed in
 * the transaction of its watermark.
 *
 * Tests in this file run in order.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { api, daemonBuilt, freePort, readAudit, setupVault, sleep, startDaemon, type Daemon } from '../helpers/daemon.js';

const RUN = daemonBuilt;
const WORKERS = 6;
const ACKS_BEFORE_KILL = 40;
const GVR = `0x${'04'.repeat(32)}`;
const FORK_INFO = { fork: { previous_version: '0x00000000', current_version: '0x00000000', epoch: '0' }, genesis_validators_root: GVR };

let sb: Sandbox;
let logDir: string;
let dataDir: string;
let signerPort = 0;
let daemon: Daemon;
let token = '';
let pubkey = '';

function attestation(source: number, target: number, root: string): Record<string, unknown> {
  return {
    type: 'ATTESTATION',
    fork_info: FORK_INFO,
    attestation: { slot: String(target * 32), index: '0', beacon_block_root: root, source: { epoch: String(source), root }, target: { epoch: String(target), root } },
  };
}

const signer = (): string => `http://127.0.0.1:${signerPort}`;

async function signerUp(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      const r = await fetch(`${signer()}/upcheck`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(25);
  }
  throw new Error('signer listener did not come up');
}

beforeAll(() => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-signer-crash-');
  logDir = join(sb.dir, 'logs');
  dataDir = sb.path('vault');
});

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

async function start(port?: number): Promise<Daemon> {
  const d = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: dataDir }, ...(port === undefined ? {} : { port }) });
  await signerUp();
  return d;
}

describe.skipIf(!RUN)('signer crash: SIGKILL between decision and answer keeps the watermark', () => {
  it('starts with a [signer] listener and an Ethereum key', async () => {
    const v = await setupVault(sb, dataDir, ['--unseal-key-file', join(dataDir, 'unseal.key')]);
    signerPort = await freePort();
    appendFileSync(join(dataDir, 'config.toml'), `\n[signer]\nlisten = "127.0.0.1:${signerPort}"\n`);
    daemon = await start();
    const s = await api(daemon.addr, 'POST', '/v1/sessions', { json: { key: v.adminKey } });
    token = (s.json as { token: string }).token;
    const c = await api(daemon.addr, 'POST', '/v1/validators', { token, json: { name: 'crash', chain: 'ethereum', format: 'generate' } });
    expect(c.status, c.text).toBe(201);
    pubkey = (c.json as { keys: { public_key: string }[] }).keys[0]!.public_key;
    const keys = await fetch(`${signer()}/api/v1/eth2/publicKeys`);
    expect(await keys.json()).toEqual([pubkey]);
  });

  let highestAcked = 0;
  it('SIGKILL while attestations are in flight; restart keeps every acknowledged target', async () => {
    let next = 1;
    let acks = 0;
    let stop = false;
    let killed: Promise<unknown> | undefined;
    const acked: number[] = [];
    const worker = async (): Promise<void> => {
      while (!stop) {
        const t = next++;
        try {
          const r = await fetch(`${signer()}/api/v1/eth2/sign/${pubkey}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify(attestation(t - 1, t, `0x${'11'.repeat(32)}`)),
          });
          const text = await r.text();
          if (r.status === 200) {
            expect(text).toMatch(/"signature":"0x[0-9a-f]{192}"/);
            highestAcked = Math.max(highestAcked, t);
            acked.push(t);
            if (++acks >= ACKS_BEFORE_KILL && killed === undefined) {
              stop = true;
              killed = daemon.stop('SIGKILL');
            }
          }
        } catch {
          // the connection died with the daemon: not acknowledged
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, () => worker()));
    await killed;
    expect(highestAcked).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

    // Read before the restart writes anything: what the killed daemon left on disk.
    const signed = readAudit(dataDir).filter((e) => e.path === `/api/v1/eth2/sign/${pubkey}` && e.status === 200);
    for (const t of acked) {
      const entries = signed.filter((e) => e.detail?.['target_epoch'] === String(t));
      expect(entries, `target ${t}`).toHaveLength(1);
      expect(entries[0]?.detail?.['decision']).toBe('signed');
    }
    daemon = await start(daemon.port);
    const s = await api(daemon.addr, 'GET', '/v1/validators/crash', { token });
    expect(s.status, s.text).toBe(200);
    const state = (s.json as { signing_state: { max_target_epoch: string } }).signing_state;
    expect(Number(state.max_target_epoch)).toBeGreaterThanOrEqual(highestAcked);
    // The highest watermark on disk, acknowledged or not, has its entry: they commit together.
    expect(signed.filter((e) => e.detail?.['target_epoch'] === state.max_target_epoch)).toHaveLength(1);
    // A different attestation for the highest acknowledged target: a double vote.
    const dbl = await fetch(`${signer()}/api/v1/eth2/sign/${pubkey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(attestation(highestAcked - 1, highestAcked, `0x${'22'.repeat(32)}`)),
    });
    expect(dbl.status).toBe(412);
    const err = (await dbl.json()) as { error: { code: string; reason: string } };
    expect(err.error.code).toBe('OV_SLASHING_REFUSED');
    expect(err.error.reason).toMatch(/double vote|below/);
  });
});
