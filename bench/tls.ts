/**
 * TLS benchmarks, as same-run ratios:
 * - the authenticated secret read over HTTPS (keep-alive) against the same read over plain
 *   HTTP: two compiled daemons (`vault server`, child processes) over copies of one vault,
 *   loaded alternately from this process with 16 requests in flight; target >= 0.8;
 * - where OpenSSL has ML-KEM (Node >= 24.7): full handshakes (no resumption) with
 *   X25519MLKEM768 against X25519, on an in-process TLS server built by the daemon's
 *   options builder (informational).
 * `OV_BENCH_TLS_DURATION` (seconds per round) shortens a run.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, createServer as createTlsServer } from 'node:tls';
import { generateTlsFiles } from '../src/tls/certs.js';
import { HYBRID_GROUP, hybridKeyExchangeSupported, tlsServerOptions } from '../src/tls/server.js';
import { printHeader, ratio } from './harness.js';
import { DAEMON_NODE_FLAGS } from '../src/daemon-flags.js';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/cli/main.js');
const DURATION_MS = Number(process.env['OV_BENCH_TLS_DURATION'] ?? 4) * 1000;
const ROUNDS = 2;
const IN_FLIGHT = 16;

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => ok(p));
    });
  });
}

/** Runs the CLI to completion; its stdout, or a throw with its stderr. */
function run(args: string[], env: Record<string, string>, input?: string): string {
  const r = spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  if (r.status !== 0) throw new Error(`vault ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface Target {
  readonly get: (path: string, token: string) => Promise<number>;
}

function requester(url: string, ca: string | undefined): Target {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: IN_FLIGHT, ...(ca === undefined ? {} : { ca }) }) : new HttpAgent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const req = https ? httpsRequest : httpRequest;
  return {
    get: (path, token) =>
      new Promise((ok, fail) => {
        const r = req({ host: u.hostname, port: u.port, path, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.once('end', () => ok(res.statusCode ?? 0));
        });
        r.once('error', fail);
        r.end();
      }),
  };
}

/** Requests per second with IN_FLIGHT outstanding for DURATION_MS; throws on a non-200. */
async function load(t: Target, path: string, token: string): Promise<number> {
  const end = Date.now() + DURATION_MS;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const s = await t.get(path, token);
      if (s !== 200) throw new Error(`status ${s}`);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return done / ((performance.now() - t0) / 1000);
}

async function startServer(config: string, dataDir: string, url: string, ca: string | undefined): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, cli, 'server', '--config', config], { env: { ...process.env, ONTOREF_DATA_DIR: dataDir }, stdio: 'ignore' });
  const t = requester(url, ca);
  for (let i = 0; i < 200; i++) {
    try {
      await t.get('/v1/sys/health', '');
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error(`vault server at ${url} not ready`);
}

async function benchRead(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-tls-'));
  const children: ChildProcess[] = [];
  try {
    const plainDir = join(dir, 'plain');
    run(['setup', '--gen-keys', '--data-dir', plainDir, '--unseal-key-file', join(plainDir, 'unseal.key')], {});
    const files = await generateTlsFiles(join(dir, 'certs'));
    const ca = readFileSync(files.caCert, 'utf8');
    const [pPort, tPort] = [await freePort(), await freePort()];
    const tlsDir = join(dir, 'tls');
    cpSync(plainDir, tlsDir, { recursive: true });
    const conf = (d: string, port: number, tls: boolean): string => {
      const f = join(d, 'bench.toml');
      writeFileSync(
        f,
        `listen = "127.0.0.1:${port}"\nlog_level = "warn"\ndata_dir = ${JSON.stringify(d)}\n[seal]\nunseal_key_file = ${JSON.stringify(join(d, 'unseal.key'))}\n` +
          (tls ? `[tls]\ncert_file = ${JSON.stringify(files.cert)}\nkey_file = ${JSON.stringify(files.key)}\n` : ''),
      );
      return f;
    };
    const plainUrl = `http://127.0.0.1:${pPort}`;
    const tlsUrl = `https://127.0.0.1:${tPort}`;
    children.push(await startServer(conf(plainDir, pPort, false), plainDir, plainUrl, undefined));
    children.push(await startServer(conf(tlsDir, tPort, true), tlsDir, tlsUrl, ca));

    const prepare = (url: string, d: string): string => {
      const env = { ONTOREF_ADDR: url, ONTOREF_DATA_DIR: d, ONTOREF_CACERT: files.caCert, XDG_CONFIG_HOME: join(d, 'cfg') };
      const token = run(['login', '--admin', '--print-token'], env).trim();
      run(['secrets', 'put', 'bench/app/db', 'password=-'], { ...env, ONTOREF_TOKEN: token }, 'bench-password-0123456789');
      return token;
    };
    const plainToken = prepare(plainUrl, plainDir);
    const tlsToken = prepare(tlsUrl, tlsDir);
    const path = '/v1/secrets/bench/app/db';
    const plain = requester(plainUrl, undefined);
    const secure = requester(tlsUrl, ca);
    await load(plain, path, plainToken);
    await load(secure, path, tlsToken);
    let bestPlain = 0;
    let bestTls = 0;
    for (let i = 0; i < ROUNDS; i++) {
      bestPlain = Math.max(bestPlain, await load(plain, path, plainToken));
      bestTls = Math.max(bestTls, await load(secure, path, tlsToken));
    }
    process.stdout.write(`  secret read, plain HTTP keep-alive: ${bestPlain.toFixed(0)} req/s; HTTPS keep-alive: ${bestTls.toFixed(0)} req/s\n`);
    ratio({ label: 'secret read HTTPS / HTTP (keep-alive)', ratio: bestTls / bestPlain, baseline: 'same read, plain HTTP', min: 0.8 });
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Full handshakes per second against a server offering only `group`. */
async function handshakes(certFile: string, keyFile: string, ca: string, group: string, ms: number): Promise<number> {
  const server = createTlsServer(tlsServerOptions({ certFile, keyFile, clientCaFile: null, clientAuth: 'require', minVersion: 'TLSv1.3' }, [group]), (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const end = Date.now() + ms;
  let n = 0;
  const t0 = performance.now();
  while (Date.now() < end) {
    await new Promise<void>((ok, fail) => {
      const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ecdhCurve: group }, () => {
        s.destroy();
        ok();
      });
      s.once('error', fail);
    });
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await new Promise((r) => server.close(r));
  return rate;
}

async function benchHandshake(): Promise<void> {
  if (!hybridKeyExchangeSupported()) {
    process.stdout.write(`  (no ${HYBRID_GROUP} in OpenSSL ${process.versions.openssl}: handshake ratio needs Node >= 24.7)\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-hs-'));
  try {
    const f = await generateTlsFiles(dir);
    const ca = readFileSync(f.caCert, 'utf8');
    await handshakes(f.cert, f.key, ca, 'X25519', 300);
    let x = 0;
    let h = 0;
    for (let i = 0; i < ROUNDS; i++) {
      x = Math.max(x, await handshakes(f.cert, f.key, ca, 'X25519', DURATION_MS / 2));
      h = Math.max(h, await handshakes(f.cert, f.key, ca, HYBRID_GROUP, DURATION_MS / 2));
    }
    process.stdout.write(`  full TLS 1.3 handshakes: X25519 ${x.toFixed(0)}/s, ${HYBRID_GROUP} ${h.toFixed(0)}/s\n`);
    // Time per handshake, hybrid over classical: above 1 means the hybrid costs more.
    ratio({ label: `handshake time ${HYBRID_GROUP} / X25519`, ratio: x / h, baseline: 'X25519 handshake' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchTls(opts: { read: boolean }): Promise<void> {
  printHeader('TLS');
  if (opts.read) await benchRead();
  await benchHandshake();
}
