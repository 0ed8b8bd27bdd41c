/**
 * A synchronous PostgreSQL connection. The storage contract is synchronous (a transaction
 * is a plain function that no other request can interleave with), so the `pg` client runs
 * in a worker thread and the calling thread blocks on a shared word (`Atomics.wait`) for
 * each reply, which it then takes from its port with `receiveMessageOnPort`. One request is
 * in flight at a time; each has a deadline, and a request that misses it ends the worker
 * (its socket closes, so PostgreSQL rolls back whatever it had open) and fails with
 * `OV_STORAGE_UNAVAILABLE`. The next request starts a new worker and connection.
 * docs/adr/0019-postgres-behind-the-synchronous-contract.md says why and what it costs.
 * @module
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { VaultError } from '../../errors.js';

export interface PgTls {
  /** PEM of the CA that signed the server's certificate; the server is always verified. */
  readonly ca?: string | undefined;
  /** PEM client certificate and key, when the server asks for one. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

export interface PgConnectOptions {
  /** `postgres://user:password@host:port/database` */
  readonly url: string;
  readonly tls?: PgTls;
  /** First element of the search path (a schema of this node's own tables), if any. */
  readonly searchPath?: string;
  /** How long one request may take before the connection is dropped (ms). */
  readonly timeoutMs: number;
  readonly applicationName: string;
}

/** Column names and rows (as arrays) of one statement; `rowCount` for writes. */
export interface PgResult {
  readonly fields: readonly string[];
  readonly rows: unknown[][];
  readonly rowCount: number;
}

type Request =
  | { op: 'query'; sql: string; params: readonly unknown[]; savepoint: boolean }
  | { op: 'exec'; sql: string }
  | { op: 'fetch'; cursor: string; sql?: string; params?: readonly unknown[]; count: number }
  | { op: 'closeCursor'; cursor: string };

interface Reply {
  id: number;
  ok: boolean;
  result?: PgResult;
  code?: string;
  message?: string;
}

// The worker is evaluated from source so the bundle needs no second entry point; it
// loads `pg` from node_modules by the path the caller resolved.
const WORKER = `
'use strict';
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { port, state, config, searchPath } = workerData;
const toNumber = (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) && !(Number.isFinite(n) && String(n) === v)) throw new Error('integer out of range: ' + v);
  return n;
};
const types = { getTypeParser: (oid, format) => (oid === 20 || oid === 1700 ? toNumber : pg.types.getTypeParser(oid, format)) };
let client;
const names = new Map();
async function connection() {
  if (client !== undefined) return client;
  const c = new pg.Client({ ...config, types });
  c.on('error', () => { if (client === c) client = undefined; });
  await c.connect();
  if (searchPath) await c.query('SET search_path TO ' + searchPath + ', public');
  names.clear();
  client = c;
  return c;
}
function statementName(sql) {
  let n = names.get(sql);
  if (n === undefined) { n = 'ov' + names.size; names.set(sql, n); }
  return n;
}
async function run(c, sql, params, once) {
  // Statements are prepared once per connection by name, but not a one-off (a FETCH names
  // its own cursor): each would stay prepared on the server for the connection's life.
  const r = await c.query({ ...(once ? {} : { name: statementName(sql) }), text: sql, values: params, rowMode: 'array' });
  return { fields: r.fields.map((f) => f.name), rows: r.rows, rowCount: r.rowCount ?? 0 };
}
async function handle(m) {
  const c = await connection();
  switch (m.op) {
    case 'query':
      if (!m.savepoint) return run(c, m.sql, m.params);
      // Inside a transaction a failed statement must undo only itself, as in SQLite.
      await c.query('SAVEPOINT ov_stmt');
      try {
        const r = await run(c, m.sql, m.params);
        await c.query('RELEASE SAVEPOINT ov_stmt');
        return r;
      } catch (e) {
        if (client === c) await c.query('ROLLBACK TO SAVEPOINT ov_stmt; RELEASE SAVEPOINT ov_stmt').catch(() => {});
        throw e;
      }
    case 'exec':
      await c.query(m.sql);
      return { fields: [], rows: [], rowCount: 0 };
    case 'fetch':
      if (m.sql !== undefined) await c.query({ text: 'DECLARE ' + m.cursor + ' NO SCROLL CURSOR WITH HOLD FOR ' + m.sql, values: m.params });
      return run(c, 'FETCH ' + m.count + ' FROM ' + m.cursor, [], true);
    case 'closeCursor':
      await c.query('CLOSE ' + m.cursor);
      return { fields: [], rows: [], rowCount: 0 };
  }
  throw new Error('unknown op');
}
let queue = Promise.resolve();
port.on('message', (m) => {
  queue = queue.then(async () => {
    let reply;
    try {
      reply = { id: m.id, ok: true, result: await handle(m) };
    } catch (e) {
      reply = { id: m.id, ok: false, code: typeof e?.code === 'string' ? e.code : undefined, message: String(e?.message ?? e) };
      if (reply.code === undefined || reply.code.startsWith('08') || reply.code.startsWith('57P')) {
        const c = client; client = undefined; c?.end().catch(() => {});
      }
    }
    port.postMessage(reply);
    Atomics.store(state, 0, m.id);
    Atomics.notify(state, 0);
  });
});
`;

const requireCjs = createRequire(import.meta.url);

export class SyncPg {
  readonly #opts: PgConnectOptions;
  #worker: Worker | undefined;
  #port: MessagePort | undefined;
  #state: Int32Array | undefined;
  #nextId = 1;
  #closed = false;

  constructor(opts: PgConnectOptions) {
    this.#opts = opts;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** One statement with `$n` parameters; `savepoint` wraps it so a failure undoes only it. */
  query(sql: string, params: readonly unknown[] = [], savepoint = false): PgResult {
    return this.#call({ op: 'query', sql, params, savepoint });
  }

  /** One or more statements without parameters (simple protocol). */
  exec(sql: string): void {
    this.#call({ op: 'exec', sql });
  }

  /** Opens a cursor on `sql` (first call, with `sql`) or reads on (without) `count` rows. */
  fetch(cursor: string, count: number, sql?: string, params?: readonly unknown[]): PgResult {
    return this.#call(sql === undefined ? { op: 'fetch', cursor, count } : { op: 'fetch', cursor, count, sql, params: params ?? [] });
  }

  /**
   * Runs `fn` between `begin` (BEGIN and what it takes, such as an advisory lock) and
   * COMMIT, and rolls back when it throws; a connection lost meanwhile has rolled back
   * already, and is dropped.
   */
  transact<T>(begin: string, fn: () => T): T {
    this.exec(begin);
    try {
      const result = fn();
      this.exec('COMMIT');
      return result;
    } catch (e) {
      try {
        this.exec('ROLLBACK');
      } catch {
        this.reset();
      }
      throw e;
    }
  }

  closeCursor(cursor: string): void {
    this.#call({ op: 'closeCursor', cursor });
  }

  /** Drops the connection (PostgreSQL rolls back anything open) and refuses further calls. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#drop();
  }

  /** Drops the connection only; the next call reconnects. */
  reset(): void {
    this.#drop();
  }

  #drop(): void {
    const w = this.#worker;
    this.#worker = undefined;
    this.#port?.close();
    this.#port = undefined;
    this.#state = undefined;
    void w?.terminate();
  }

  #start(): { port: MessagePort; state: Int32Array } {
    if (this.#worker !== undefined && this.#port !== undefined && this.#state !== undefined) return { port: this.#port, state: this.#state };
    const { port1, port2 } = new MessageChannel();
    const state = new Int32Array(new SharedArrayBuffer(4));
    const o = this.#opts;
    const config = {
      connectionString: o.url,
      application_name: o.applicationName,
      connectionTimeoutMillis: o.timeoutMs,
      // A statement the server cannot finish in time is cancelled there too.
      statement_timeout: o.timeoutMs,
      keepAlive: true,
      ...(o.tls === undefined ? {} : { ssl: { rejectUnauthorized: true, ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key } }),
    };
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { pgPath: requireCjs.resolve('pg'), port: port2, state, config, searchPath: o.searchPath },
      transferList: [port2],
      // Not the process's own flags: `--input-type=module` would make this source an ES module.
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    // The worker holds a socket; neither it nor the port may keep a finished process alive.
    worker.unref();
    port1.unref();
    this.#worker = worker;
    this.#port = port1;
    this.#state = state;
    return { port: port1, state };
  }

  #call(req: Request): PgResult {
    if (this.#closed) throw new VaultError('OV_IO', { reason: 'closed' });
    const { port, state } = this.#start();
    const id = this.#nextId++;
    if (this.#nextId > 0x3fffffff) this.#nextId = 1;
    Atomics.store(state, 0, 0);
    port.postMessage({ ...req, id });
    const deadline = Date.now() + this.#opts.timeoutMs + 250;
    for (;;) {
      const msg = receiveMessageOnPort(port) as { message: Reply } | undefined;
      if (msg !== undefined) {
        const reply = msg.message;
        if (reply.id !== id) continue;
        if (reply.ok && reply.result !== undefined) return reply.result;
        throw pgError(reply.code, reply.message ?? 'unknown error');
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        // Whatever the worker was doing is abandoned with its connection.
        this.#drop();
        throw new VaultError('OV_STORAGE_UNAVAILABLE', { reason: 'timeout' });
      }
      // Sleep until the worker signals; once it has, the reply may take a moment longer to
      // be readable on the port, so look again at once.
      if (Atomics.load(state, 0) === 0) Atomics.wait(state, 0, 0, left);
    }
  }
}

/**
 * Maps a PostgreSQL error (its SQLSTATE) or a network failure to the registry codes the
 * storage contract uses. Unreachable, shutting down, too many connections, or a statement
 * cancelled by `statement_timeout` (57014): the database cannot serve now.
 */
function pgError(code: string | undefined, message: string): VaultError {
  const cause = new Error(message);
  if (code === undefined || /^E[A-Z]+$/.test(code) || code.startsWith('08') || code.startsWith('57P') || code === '57014' || code === '53300') {
    return new VaultError('OV_STORAGE_UNAVAILABLE', code === undefined ? {} : { pg: code }, { cause });
  }
  // Integrity violations, values out of range or of the wrong type, and raised trigger
  // errors: a write the schema refuses.
  if (code.startsWith('23') || code.startsWith('22') || code === 'P0001') {
    return new VaultError('OV_STORAGE_CONSTRAINT', { pg: code }, { cause });
  }
  // An undefined table or column: not our database, or a damaged schema.
  if (code === '42P01' || code === '42703') return new VaultError('OV_STORAGE_CORRUPT', { pg: code }, { cause });
  return new VaultError('OV_IO', { pg: code }, { cause });
}
