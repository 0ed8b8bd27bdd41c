/**
 * Nothing acknowledged is ever lost: the daemon is killed with SIGKILL while many
 * authenticated writes are in flight over HTTP (API key creations, key -> session exchanges
 * and secret versions, each a durable write plus an audit entry), then restarted; every
 * write that got a 2xx answer is there (each created key id is listed, each issued session
 * still validates, each acknowledged secret version opens to the value written, each is in
 * the audit log) and `vault audit verify` passes, before and after the restart.
 *
 * Reads run alongside (a secret that exists, and paths that do not, one per request): the
 * audit entry of a read is written to the log before its answer leaves, and only its fsync
 * is deferred, so a process crash loses none of them: every read whose answer was
 * received is in the audit log read straight after the kill.
 *
 * Then the audit log is tampered with while the daemon is stopped, on copies of the
 * database: one entry's text edited (verify names that seq as modified), and the same
 * edit with the row's hash recomputed as an attacker who knows the (public) chain
 * formula would (the link from the next row breaks, so verify names seq + 1).
 *
 * How the edit gets past the append-only triggers: `audit_log_no_update` is an ordinary
 * SQLite trigger (migration 2) that RAISEs on UPDATE. It stops the application and
 * accidents, not someone who can write the file: such a person can DROP the trigger, edit
 * the row and CREATE it again, leaving a schema identical to the original. That is
 * exactly the attacker the hash chain exists for, so the test does the same through a
 * raw SQLite connection and restores the trigger from its stored SQL.
 *
 * Tests in this file run in order.
 */
import { editAuditEntry, openRawDb, type RawDb } from '../helpers/raw-sqlite.js';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryHash } from '../../src/audit/chain.js';
import { assertBuilt, expectOk, makeSandbox, type Sandbox } from '../helpers/cli.js';
import {
  api,
  cliSources,
  daemonBuilt,
  errorCode,
  logEveryRequest,
  logSources,
  readAudit,
  SecretSet,
  setupVault,
  startDaemon,
  type Daemon,
  type SetupResult,
} from '../helpers/daemon.js';

/** Concurrent clients, by worker number mod 4: create API keys, exchange a key for sessions, write secrets, read secrets. */
const WORKERS = 10;
const READ_PATH = 'crash/read/db';
/** Kill once this many writes of each kind were acknowledged. */
const ACKS_BEFORE_KILL = 10;

let sb: Sandbox;
let logDir: string;
let dataDir: string;
let vault: SetupResult;
let daemon: Daemon;
let adminToken = '';
let loginKey = '';
const secrets = new SecretSet();

/** Writes the daemon acknowledged with a 2xx answer before it died. */
const ackedKeys: string[] = [];
const ackedSessions: { id: string; token: string }[] = [];
const ackedSecrets: { path: string; version: number; value: string }[] = [];
/** Reads answered: 200s of READ_PATH, and 404s of paths each read once. */
let readsOfPath = 0;
const readsMissing: string[] = [];
let unacknowledged = 0;
let inFlightAtKill = 0;

const RUN = daemonBuilt;

beforeAll(() => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-crash-');
  logDir = join(sb.dir, 'logs');
  dataDir = sb.path('vault');
});

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

async function start(port?: number): Promise<Daemon> {
  // Key-file mode: the daemon unseals itself at every start (setup wrote <data dir>/config.toml).
  return startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: dataDir }, ...(port === undefined ? {} : { port }) });
}

describe.skipIf(!RUN)('daemon crash: SIGKILL during concurrent writes loses nothing acknowledged', () => {
  it('starts unsealed from its key file; an admin session and a login key are set up', async () => {
    vault = await setupVault(sb, dataDir, ['--unseal-key-file', join(dataDir, 'unseal.key')]);
    logEveryRequest(dataDir);
    secrets.add('admin key', vault.adminKey);
    daemon = await start();
    expect((await api(daemon.addr, 'GET', '/v1/sys/health')).status).toBe(200);
    const s = await api(daemon.addr, 'POST', '/v1/sessions', { json: { key: vault.adminKey } });
    expect(s.status, s.text).toBe(200);
    adminToken = secrets.add('admin session token', (s.json as { token: string }).token);
    const k = await api(daemon.addr, 'POST', '/v1/apikeys', { token: adminToken, json: { role: 'operator', scope: 'ci', label: 'ci login' } });
    expect(k.status, k.text).toBe(201);
    loginKey = secrets.add('ci login key', (k.json as { key: string }).key);
    const w = await api(daemon.addr, 'PUT', `/v1/secrets/${READ_PATH}`, { token: adminToken, json: { data: { value: 'read-under-load' } } });
    expect(w.status, w.text).toBe(200);
  });

  it(`SIGKILL with ${WORKERS} clients writing concurrently`, async () => {
    const addr = daemon.addr;
    let stop = false;
    let inFlight = 0;
    let killed: Promise<unknown> | undefined;
    const kill = (): void => {
      if (killed !== undefined) return;
      inFlightAtKill = inFlight;
      stop = true;
      killed = daemon.stop('SIGKILL');
    };
    let n = 0;
    const worker = async (w: number): Promise<void> => {
      while (!stop) {
        const kind = w % 4;
        inFlight++;
        try {
          if (kind === 3) {
            const i = n++;
            const path = i % 2 === 0 ? READ_PATH : `crash/missing/w${w}/n${i}`;
            const r = await api(addr, 'GET', `/v1/secrets/${path}`, { token: adminToken });
            if (path === READ_PATH && r.status === 200) {
              expect((r.json as { data: Record<string, string> }).data).toEqual({ value: 'read-under-load' });
              readsOfPath++;
            } else if (path !== READ_PATH && r.status === 404) {
              readsMissing.push(path);
            } else {
              unacknowledged++;
            }
          } else if (kind === 2) {
            const i = n++;
            const path = `crash/w${w}/n${i}`;
            const value = `crash-secret-w${w}-n${i}-${'x'.repeat(16)}`;
            const r = await api(addr, 'PUT', `/v1/secrets/${path}`, { token: adminToken, json: { data: { value } } });
            if (r.status === 200) {
              const v = r.json as { path: string; version: number };
              expect(v.path).toBe(path);
              secrets.add(`secret ${path}`, value);
              ackedSecrets.push({ path, version: v.version, value });
            } else {
              unacknowledged++;
            }
          } else if (kind === 0) {
            const label = `crash w${w} #${n++}`;
            const r = await api(addr, 'POST', '/v1/apikeys', { token: adminToken, json: { role: 'reader', scope: 'ci/jobs', label } });
            if (r.status === 201) {
              const k = r.json as { id: string; key: string; label: string };
              expect(k.label).toBe(label);
              secrets.add(`created key ${k.id}`, k.key);
              ackedKeys.push(k.id);
            } else {
              // Not acknowledged (429 when the argon2 queue is full is fine too).
              unacknowledged++;
            }
          } else {
            const r = await api(addr, 'POST', '/v1/sessions', { json: { key: loginKey, ttl: '1h' } });
            if (r.status === 200) {
              const s = r.json as { id: string; token: string };
              secrets.add(`session token ${s.id}`, s.token);
              ackedSessions.push({ id: s.id, token: s.token });
            } else {
              unacknowledged++;
            }
          }
        } catch {
          // Connection reset or refused: the daemon died with this request in flight.
          unacknowledged++;
        } finally {
          inFlight--;
        }
        const readsDone = readsOfPath >= ACKS_BEFORE_KILL && readsMissing.length >= ACKS_BEFORE_KILL;
        if (ackedKeys.length >= ACKS_BEFORE_KILL && ackedSessions.length >= ACKS_BEFORE_KILL && ackedSecrets.length >= ACKS_BEFORE_KILL && readsDone) kill();
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const exit = await killed;
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    // The kill really happened mid-write: other clients had requests outstanding.
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(unacknowledged).toBeGreaterThan(0);
    expect(ackedKeys.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    expect(ackedSessions.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    expect(ackedSecrets.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    expect(readsOfPath).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    expect(readsMissing.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
  });

  it('right after the crash, every read whose answer was received is in the audit log', () => {
    const audit = readAudit(dataDir);
    const reads = audit.filter((e) => e.method === 'GET' && e.path === `/v1/secrets/${READ_PATH}` && e.status === 200 && e.detail?.['path'] === READ_PATH);
    // At least one entry per answer received (a read answered as the process died may be logged too).
    expect(reads.length).toBeGreaterThanOrEqual(readsOfPath);
    const missing = new Set(audit.filter((e) => e.method === 'GET' && e.status === 404).map((e) => e.path));
    expect(readsMissing.filter((p) => !missing.has(`/v1/secrets/${p}`))).toEqual([]);
  });

  it('right after the crash, before any restart, vault audit verify passes (the chain is intact)', async () => {
    const v = await sb.run(['audit', 'verify', '--data-dir', dataDir, '--json']);
    expectOk(v);
    expect(JSON.parse(v.out)).toMatchObject({ ok: true, first_bad: null });
  });

  it('after the restart every acknowledged key is listed, every acknowledged session validates and every acknowledged secret version opens', async () => {
    daemon = await start(daemon.port);
    const addr = daemon.addr;
    expect((await api(addr, 'GET', '/v1/sys/health')).status).toBe(200);
    // The admin session itself survived the crash.
    const list = await api(addr, 'GET', '/v1/apikeys', { token: adminToken });
    expect(list.status, list.text).toBe(200);
    const ids = new Set((list.json as { apikeys: { id: string }[] }).apikeys.map((k) => k.id));
    expect(ackedKeys.filter((id) => !ids.has(id))).toEqual([]);

    for (const s of ackedSessions) {
      const r = await api(addr, 'GET', '/v1/sessions/self', { token: s.token });
      expect({ id: s.id, status: r.status, code: errorCode(r) }).toEqual({ id: s.id, status: 200, code: undefined });
      expect((r.json as { id: string }).id).toBe(s.id);
    }
    const sessions = await api(addr, 'GET', '/v1/sessions?limit=10000', { token: adminToken });
    const live = new Set((sessions.json as { sessions: { id: string }[] }).sessions.map((s) => s.id));
    expect(ackedSessions.filter((s) => !live.has(s.id))).toEqual([]);

    // Every acknowledged secret version opens (envelope, signature, binding) to what was written.
    for (const v of ackedSecrets) {
      const r = await api(addr, 'GET', `/v1/secrets/${v.path}?version=${v.version}`, { token: adminToken });
      expect({ path: v.path, status: r.status, code: errorCode(r) }).toEqual({ path: v.path, status: 200, code: undefined });
      expect((r.json as { data: Record<string, string> }).data).toEqual({ value: v.value });
    }
  });

  it('every acknowledged write is in the audit log, and the log verifies after a clean stop', async () => {
    expect(await daemon.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const audit = readAudit(dataDir);
    for (const id of ackedKeys) {
      expect(audit.filter((e) => e.path === '/v1/apikeys' && e.status === 201 && e.detail?.['created'] === id), id).toHaveLength(1);
    }
    for (const s of ackedSessions) {
      expect(audit.filter((e) => e.path === '/v1/sessions' && e.status === 200 && e.session === s.id), s.id).toHaveLength(1);
    }
    for (const v of ackedSecrets) {
      expect(audit.filter((e) => e.method === 'PUT' && e.path === `/v1/secrets/${v.path}` && e.status === 200 && e.detail?.['version'] === v.version), v.path).toHaveLength(1);
    }
    const v = await sb.run(['audit', 'verify', '--data-dir', dataDir]);
    expectOk(v);
    // The clean stop signed a checkpoint over the head: no tail is left unsigned.
    expect(v.out).toMatch(/^audit log ok: \d+ entries, [1-9]\d* checkpoints?, signed through entry \d+\n$/);
    const j = await sb.run(['audit', 'verify', '--data-dir', dataDir, '--json']);
    const doc = JSON.parse(j.out) as { entries: number; last_seq: number; covered_through: number };
    expect(doc.covered_through).toBe(doc.last_seq);
    expect(doc.entries).toBe(audit.length);
  });

  /** A copy of the (stopped) vault's database in a data dir of its own. */
  function copyVault(name: string): string {
    const dir = sb.path(name);
    mkdirSync(dir, { mode: 0o700 });
    // A clean close checkpoints the WAL into the main file; copy whatever is left anyway.
    for (const f of ['vault.db', 'vault.db-wal']) if (existsSync(join(dataDir, f))) copyFileSync(join(dataDir, f), join(dir, f));
    return dir;
  }

  /** Runs `fn` on the raw database with the append-only UPDATE trigger dropped, then restores it as it was. */
  function withoutUpdateTrigger(dir: string, fn: (db: RawDb) => void): void {
    const db = openRawDb(join(dir, 'vault.db'));
    try {
      const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_log_no_update'").get() as { sql: string } | undefined;
      if (row === undefined) throw new Error('audit_log_no_update trigger not found');
      // The trigger works: a plain UPDATE is refused.
      expect(() => db.prepare("UPDATE audit_log SET body = body || ' ' WHERE seq = 1").run()).toThrow(/append-only/);
      db.transaction(() => {
        db.exec('DROP TRIGGER audit_log_no_update');
        fn(db);
        db.exec(row.sql);
      })();
    } finally {
      db.close();
    }
  }

  /** The audit entry recording the creation of the first acknowledged key. */
  function creationEntry(): { seq: number; raw: string } {
    const id = ackedKeys[0] as string;
    const e = readAudit(dataDir).find((x) => x.detail?.['created'] === id);
    if (e === undefined) throw new Error('creation entry not found');
    return e;
  }

  it('an edited audit entry: vault audit verify exits 1 and names its seq as modified', async () => {
    const { seq, raw } = creationEntry();
    const dir = copyVault('tampered-text');
    // Hide who created the key: another, invented session id in the entry.
    const edited = raw.replace(/"session":"[0-9a-f-]{36}"/, '"session":"00000000-0000-4000-8000-000000000000"');
    expect(edited).not.toBe(raw);
    withoutUpdateTrigger(dir, (db) => {
      expect(editAuditEntry(db, seq, () => edited)).toBe(edited);
    });

    const text = await sb.run(['audit', 'verify', '--data-dir', dir]);
    expect(text.code).toBe(1);
    expect(text.out).toBe('');
    expect(text.stderr).toContain(`entry ${seq}: modified`);
    expect(text.stderr.startsWith('vault: error: audit entry does not match its hash chain')).toBe(true);
    const json = await sb.run(['audit', 'verify', '--data-dir', dir, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, entries: seq - 1, first_bad: { seq, problem: 'modified' } });
  });

  it('an edited entry with its hash recomputed: the chain breaks at the next entry, which verify names', async () => {
    const { seq, raw } = creationEntry();
    const dir = copyVault('tampered-rehashed');
    const edited = raw.replace(/"status":201/, '"status":403');
    expect(edited).not.toBe(raw);
    withoutUpdateTrigger(dir, (db) => {
      const prev = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq - 1) as Uint8Array;
      const hash = entryHash(seq, new Uint8Array(prev), editAuditEntry(db, seq, () => edited));
      expect(db.prepare('UPDATE audit_log SET hash = ? WHERE seq = ?').run(Buffer.from(hash), seq).changes).toBe(1);
    });
    const json = await sb.run(['audit', 'verify', '--data-dir', dir, '--json']);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.out) as { first_bad: { seq: number; problem: string } };
    // The rewritten row is self-consistent; the next row's link to it is not.
    expect(doc.first_bad).toEqual({ seq: seq + 1, problem: 'modified' });

    // The untouched original still verifies.
    expectOk(await sb.run(['audit', 'verify', '--data-dir', dataDir]));
  });

  it('no secret of this run appears in daemon output, CLI output or the audit log', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(3 + 3 * ACKS_BEFORE_KILL);
    const logs = logSources(logDir);
    expect(logs.find((l) => l.name === 'daemon.stdout.log')?.text).toContain('/v1/apikeys');
    const audit = readAudit(dataDir).map((e) => ({ name: `audit entry ${e.seq}`, text: e.raw }));
    expect(secrets.findIn([...logs, ...cliSources(), ...audit])).toEqual([]);
  });
});
