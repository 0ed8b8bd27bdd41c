/**
 * Soak: mixed traffic against the bundled daemon for a long run (default 10 minutes,
 * `--soak-seconds N` for a quick check), from a load generator on its own CPU:
 *
 * - first the maximum rate of the mix (32 connections, closed loop, a few seconds);
 * - then an open loop at 80% of it: 90% secret reads, 10% secret writes, spread over 64
 *   paths, plus session churn (an API key exchanged for a session, which then revokes
 *   itself) once a second, from the start, so the probed maximum includes it.
 *
 * Reported per window (a minute; shorter windows for short runs): requests, errors (each
 * kind named), p50, p99 and the longest latency, and the daemon's resident set size.
 * Errors must be 0 (every answer 2xx, no failed connection), and the RSS growth from the
 * end of the warm-up (the first minute, or the first third of a shorter run) to the end of
 * the run must stay under 10%.
 * @module
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CLIENT_KEEP_ALIVE_IDLE_MS } from '../src/api/constants.js';
import { printHeader, ratio } from './harness.js';
import { call, canPin, LOADGEN_CPU, pinned, root, SERVER_CPU, startLiveVault } from './live.js';

const CONNECTIONS = 32;
const PATHS = 64;
const MAX_PROBE_S = 5;
const CHURN_PER_S = 1;
const DATA = { username: 'soak', password: 'not-a-real-secret-0123456789abcdef', host: 'db.internal:5432' };

interface Window {
  readonly window: number;
  readonly seconds: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly churn: number;
  readonly churnErrors: number;
  readonly churnP99: number;
  readonly max: number;
  /** GETs sent again after a reset on a reused keep-alive connection. */
  readonly retried: number;
  /** Failed answers of the window by method, status and error code. */
  readonly kinds: Record<string, number>;
}

// The load generator child. stdout: one JSON line with the probed maximum, then one per window.
const LOADGEN = `
const http = require('node:http');
const o = JSON.parse(process.env.OV_LOAD);
// Up to 512 requests in flight; beyond that they queue here, and the wait counts in their latency.
// Idle connections are retired before the daemon closes them, as the project's client does.
const agent = new http.Agent({ keepAlive: true, maxSockets: 512, timeout: o.idleMs });
const body = JSON.stringify({ data: o.data });
let retried = 0;
// A GET reset on a reused keep-alive connection before any answer byte is sent once more,
// as the project's own client does (an idempotent request may move on after such a reset);
// a write is never resent. Both are counted.
async function send(method, path, token, payload) {
  const r = await sendOnce(method, path, token, payload);
  if (r.ok || !r.reused || r.failure !== 'ECONNRESET' || method !== 'GET') return r;
  retried++;
  const again = await sendOnce(method, path, token, payload);
  return { ...again, ms: again.ms + r.ms };
}
function sendOnce(method, path, token, payload) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const headers = {};
    if (token) headers.authorization = 'Bearer ' + token;
    if (payload !== undefined) { headers['content-type'] = 'application/json'; headers['content-length'] = Buffer.byteLength(payload); }
    const req = http.request(o.addr + path, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode, ms: performance.now() - t0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (e) => resolve({ ok: false, status: 0, ms: performance.now() - t0, body: '', failure: e.code || 'connection', reused: req.reusedSocket }));
    req.end(payload);
  });
}
let n = 0;
function one() {
  const i = n++;
  const path = '/v1/secrets/bench/s/' + (i % o.paths);
  const method = i % 10 === 9 ? 'PUT' : 'GET';
  return send(method, path, o.token, method === 'PUT' ? body : undefined).then((r) => { if (!r.ok) failed(method, r); return r; });
}
// What each failed answer was: "PUT 503 OV_X" (method, status, error code) or "GET ECONNRESET".
let kinds = {};
function failed(method, r) {
  let code = r.failure || '';
  if (!code) { try { code = JSON.parse(r.body).error.code; } catch { code = '?'; } }
  const k = method + ' ' + (r.status ? r.status + ' ' : '') + code + (r.reused ? ' (reused connection)' : '');
  kinds[k] = (kinds[k] || 0) + 1;
}
const q = (xs, p) => { xs.sort((a, b) => a - b); return xs.length === 0 ? 0 : xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]; };
let lat = [], errors = 0, churnLat = [], churn = 0, churnErrors = 0;
const pending = new Set();
// Session churn runs from the start, so the probed maximum is that of the whole mix.
const churnTimer = setInterval(() => {
  const p = (async () => {
    const s = await send('POST', '/v1/sessions', undefined, JSON.stringify({ key: o.key }));
    let token;
    try { token = JSON.parse(s.body).token; } catch {}
    if (!s.ok) failed('POST', s);
    const r = s.ok && token ? await send('DELETE', '/v1/sessions/self', token) : { ok: false, ms: 0 };
    if (s.ok && !r.ok && token) failed('DELETE', r);
    churn++;
    if (!s.ok || !r.ok) churnErrors++;
    churnLat.push(s.ms + r.ms);
  })();
  pending.add(p); p.finally(() => pending.delete(p));
}, 1000 / o.churnPerSecond);
(async () => {
  // Maximum: closed loop.
  let done = 0;
  const end = performance.now() + o.probeSeconds * 1000;
  await Promise.all(Array.from({ length: o.connections }, async () => { while (performance.now() < end) { const r = await one(); if (r.ok) done++; else errors++; } }));
  const max = done / o.probeSeconds;
  const rate = max * 0.8;
  process.stdout.write(JSON.stringify({ max, rate }) + '\\n');
  // Open loop at 80%: requests are issued on schedule whether or not earlier ones finished.
  const probeErrors = errors + churnErrors;
  lat = []; errors = probeErrors; churnLat = []; churn = 0; churnErrors = 0;
  const t0 = performance.now();
  let issued = 0, window = 0, windowStart = t0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.floor(((now - t0) / 1000) * rate);
      for (; issued < due; issued++) {
        const p = one().then((r) => { if (r.ok) lat.push(r.ms); else errors++; });
        pending.add(p); p.finally(() => pending.delete(p));
      }
      if (now - windowStart >= o.windowSeconds * 1000) {
        window++;
        process.stdout.write(JSON.stringify({ window, seconds: (now - windowStart) / 1000, requests: lat.length + errors, errors, p50: q(lat, 0.5), p99: q(lat, 0.99), max: lat.reduce((m, x) => (x > m ? x : m), 0), churn, churnErrors, churnP99: q(churnLat, 0.99), kinds, retried }) + '\\n');
        lat = []; errors = 0; churnLat = []; churn = 0; churnErrors = 0; kinds = {}; retried = 0; windowStart = now;
        if (window >= o.windows) { clearInterval(tick); clearInterval(churnTimer); resolve(); }
      }
    }, 5);
  });
  await Promise.all([...pending]);
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

export async function benchSoak(seconds: number): Promise<void> {
  const windowSeconds = seconds >= 300 ? 60 : Math.max(5, Math.round(seconds / 6));
  const windows = Math.max(2, Math.round(seconds / windowSeconds));
  printHeader(`Soak: ${windows} windows of ${windowSeconds} s, 90% reads / 10% writes at 80% of the measured maximum, ${CHURN_PER_S} session create+revoke/s`);
  if (canPin) process.stdout.write(`  daemon pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOADGEN_CPU}\n`);
  const vault = await startLiveVault('soak');
  try {
    for (let i = 0; i < PATHS; i++) {
      const r = await call(vault.addr, 'PUT', `/v1/secrets/bench/s/${i}`, vault.operator, { data: DATA });
      if (r.status !== 200) throw new Error(`secret write failed: ${r.status} ${JSON.stringify(r.json)}`);
    }
    const input = {
      addr: vault.addr,
      token: vault.operator,
      key: vault.operatorKey,
      data: DATA,
      paths: PATHS,
      connections: CONNECTIONS,
      probeSeconds: MAX_PROBE_S,
      churnPerSecond: CHURN_PER_S,
      idleMs: CLIENT_KEEP_ALIVE_IDLE_MS,
      windowSeconds,
      windows,
    };
    const [cmd, args] = pinned(LOADGEN_CPU, ['-e', LOADGEN]);
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, OV_LOAD: JSON.stringify(input) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const rss: number[] = [];
    const results: Window[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      const v = JSON.parse(line) as Partial<Window> & { max?: number; rate?: number };
      if (v.max !== undefined && v.rate !== undefined) {
        process.stdout.write(`  maximum of the mix: ${v.max.toFixed(0)} req/s; soaking at ${v.rate.toFixed(0)} req/s\n`);
        continue;
      }
      const w = v as Window;
      results.push(w);
      rss.push(vault.rssKiB());
      process.stdout.write(
        `  window ${String(w.window).padStart(2)}: ${(w.requests / w.seconds).toFixed(0).padStart(6)} req/s  p50 ${w.p50.toFixed(1).padStart(6)} ms  p99 ${w.p99.toFixed(1).padStart(6)} ms  max ${w.max.toFixed(0).padStart(5)} ms  errors ${w.errors}` +
          `  sessions ${w.churn} (errors ${w.churnErrors}, p99 ${w.churnP99.toFixed(0)} ms)  daemon RSS ${((rss.at(-1) ?? 0) / 1024).toFixed(1)} MiB\n`,
      );
      const kinds = Object.entries(w.kinds ?? {});
      if (kinds.length > 0) process.stdout.write(`    failed: ${kinds.map(([k, c]) => `${k} x${c}`).join(', ')}\n`);
      if (w.retried > 0) process.stdout.write(`    GETs sent again after a reset on a reused connection: ${w.retried}\n`);
    }
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
    if (code !== 0) throw new Error(`soak load generator failed (${String(code)}): ${err}`);
    const errors = results.reduce((a, w) => a + w.errors + w.churnErrors, 0);
    const warmWindows = Math.max(1, Math.ceil(Math.min(60, seconds / 3) / windowSeconds));
    const warm = rss[warmWindows - 1] ?? NaN;
    const last = rss.at(-1) ?? NaN;
    ratio({ label: 'soak errors (requests and session churn)', ratio: errors, max: 0, baseline: 'every answer must be 2xx' });
    ratio({ label: 'soak daemon RSS growth after warm-up', ratio: (last - warm) / warm, max: 0.1, baseline: `RSS at the end of window ${warmWindows}, the warm-up (${(warm / 1024).toFixed(1)} MiB)` });
  } finally {
    await vault.stop();
  }
}
