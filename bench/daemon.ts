/**
 * Daemon start-up: from spawning `vault server` (compiled, key-file auto-unseal, embedded
 * SQLite) to the first `GET /v1/sys/health` answering 200, against the same measurement
 * of a bare node:http server in the same run. The product target is under 1 s.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { printHeader, printResult, ratio, type Result } from './harness.js';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/cli/main.js');

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

/** Spawns `args`, polls `url` until it answers 200, kills the child; returns milliseconds. */
async function timeToHealthy(args: readonly string[], env: NodeJS.ProcessEnv, url: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  try {
    for (;;) {
      if (performance.now() - t0 > 15_000) throw new Error(`${args.join(' ')}: not healthy after 15 s`);
      try {
        const res = await fetch(url);
        if (res.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export async function benchDaemon(): Promise<void> {
  printHeader('Daemon start to health 200 (compiled, key-file unseal, SQLite)');
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-daemon-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, ONTOREF_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
    delete env['ONTOREF_TOKEN'];
    delete env['ONTOREF_CONFIG'];
    const setup = spawnSync(process.execPath, [cli, 'setup', '--gen-keys', '--unseal-key-file', join(dir, 'data', 'unseal.key'), '--json'], { env, encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`vault setup failed: ${setup.stderr}`);

    const bare: number[] = [];
    const daemon: number[] = [];
    const bareScript = "require('node:http').createServer((q,s)=>s.end('ok')).listen(Number(process.env.PORT),'127.0.0.1')";
    for (let i = 0; i < 5; i++) {
      const p1 = await freePort();
      bare.push(await timeToHealthy(['-e', bareScript], { ...env, PORT: String(p1) }, `http://127.0.0.1:${p1}/`));
      const p2 = await freePort();
      const addr = `http://127.0.0.1:${p2}`;
      daemon.push(await timeToHealthy([cli, 'server'], { ...env, ONTOREF_ADDR: addr }, `${addr}/v1/sys/health`));
    }
    const b: Result = { name: 'bare node:http server, spawn to first 200 (median of 5)', ms: median(bare), hz: 1000 / median(bare) };
    const d: Result = { name: 'vault server, spawn to health 200 (median of 5)', ms: median(daemon), hz: 1000 / median(daemon) };
    printResult(b);
    printResult(d);
    ratio({ label: 'daemon start / bare node:http start', ratio: d.ms / b.ms, baseline: 'bare node:http server started the same way' });
    ratio({ label: 'daemon start / 1 s budget', ratio: d.ms / 1000, max: 1, baseline: 'the 1 s product target' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
