/**
 * The validator client (src/client/validators.ts) and the `vault validator` CLI against a
 * node:http server on 127.0.0.1:0 standing in for the daemon: what goes on the wire
 * (method, path, query, body: passwords only in bodies, never in a URL), how answers are
 * checked (missing fields, file names from the daemon that would be paths), and the CLI's
 * bulk import splitting a directory into import jobs of at most 1000 keystores, following
 * each to the end and mapping each per-item result back to its file. No SQLite and no daemon: runs under Node 20 and
 * Node 24. The CLI part needs the build (`npm run build`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ValidatorsClient, VaultClient, isDaemonError } from '../../../src/client/index.js';
import { isVaultError } from '../../../src/errors.js';
import { assertBuilt, makeSandbox, type Sandbox } from '../../helpers/cli.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let addr: string;
let handler: Handler;
let seen: Seen[] = [];

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const KEY = {
  id: '6f1c0d2e-5b3a-4c1d-9e8f-0a1b2c3d4e5f',
  key_type: 'Ed25519',
  public_key: 'hJ3kAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  address: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01',
  state: 'active',
  created_at: '2026-01-01T00:00:00.000Z',
  activated_at: '2026-01-01T00:00:00.000Z',
  retired_at: null,
  source: 'imported-cosmos',
  derivation_path: null,
};
const SLOT = { name: 'val-1', chain: 'cosmos', labels: {}, metadata: {}, signing_state: { height: '5', round: 0, step: 0 }, created_at: '2026-01-01T00:00:00.000Z', keys: [KEY] };

function client(): ValidatorsClient {
  return new ValidatorsClient(new VaultClient({ addr, token: 'test-token-123' }));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  handler = (_req, res) => json(res, 200, SLOT);
});

describe('ValidatorsClient on the wire', () => {
  it('maps each call to its route, method and body; names are URL-encoded', async () => {
    const c = client();
    await c.get('val-1');
    await c.create({ name: 'val-1', chain: 'cosmos', format: 'cosmos', key_file: '{"k":1}' });
    await c.rotate('val-1', { format: 'generate' });
    await c.promote('val-1');
    await c.retire('val-1');
    await c.setSigningState('val-1', { height: '9', round: 0, step: 1 });
    handler = (_req, res) => json(res, 200, { validators: [SLOT] });
    expect(await c.list({ chain: 'cosmos', state: 'retired' })).toHaveLength(1);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /v1/validators/val-1',
      'POST /v1/validators',
      'POST /v1/validators/val-1/rotate',
      'POST /v1/validators/val-1/promote',
      'POST /v1/validators/val-1/retire',
      'PUT /v1/validators/val-1/signing-state',
      'GET /v1/validators?chain=cosmos&state=retired',
    ]);
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ name: 'val-1', chain: 'cosmos', format: 'cosmos', key_file: '{"k":1}' });
    expect(JSON.parse(seen[3]?.body ?? '')).toEqual({});
    expect(JSON.parse(seen[5]?.body ?? '')).toEqual({ height: '9', round: 0, step: 1 });
  });

  it('passwords travel in the body only; the destroy confirmation is the public key, encoded in the query', async () => {
    handler = (_req, res) => json(res, 200, { files: { 'keystore.json': '{}' } });
    const password = 'export-password-never-in-a-url';
    expect(await client().export('eth-1', { format: 'eip2335', password })).toEqual({ 'keystore.json': '{}' });
    expect(seen[0]?.url).toBe('/v1/validators/eth-1/export');
    expect(seen[0]?.body).toContain(password);
    handler = (_req, res) => json(res, 200, { destroyed: KEY.id });
    expect(await client().destroyKey('val-1', KEY.id, KEY.public_key)).toEqual({ destroyed: KEY.id });
    expect(seen[1]?.method).toBe('DELETE');
    expect(seen[1]?.url).toBe(`/v1/validators/val-1/keys/${KEY.id}?confirm=${encodeURIComponent(KEY.public_key)}`);
  });

  it('refuses answers it cannot trust: a slot without keys, an exported file name that is a path, a short bulk answer', async () => {
    handler = (_req, res) => json(res, 200, { ...SLOT, keys: undefined });
    await expect(client().get('val-1')).rejects.toSatisfy((e) => isDaemonError(e, 'OV_DAEMON_RESPONSE'));
    handler = (_req, res) => json(res, 200, { files: { '../../.bashrc': 'x' } });
    await expect(client().export('val-1', { format: 'solana' })).rejects.toSatisfy((e) => isDaemonError(e, 'OV_DAEMON_RESPONSE'));
    handler = (_req, res) => json(res, 200, { results: [{ index: 0, status: 'imported' }] });
    await expect(client().importBulk({ chain: 'ethereum', items: [{ keystore: '{}', password: 'p' }, { keystore: '{}', password: 'q' }] })).rejects.toSatisfy((e) =>
      isDaemonError(e, 'OV_DAEMON_RESPONSE'),
    );
  });

  it('daemon errors keep their code; more than 1000 bulk items are refused before sending', async () => {
    handler = (_req, res) => json(res, 409, { error: { code: 'OV_VALIDATOR_STATE', message: 'x' } });
    await expect(client().promote('val-1')).rejects.toSatisfy((e) => isDaemonError(e, 'OV_VALIDATOR_STATE'));
    seen = [];
    const items = Array.from({ length: 1001 }, () => ({ keystore: '{}', password: 'p' }));
    await expect(client().importBulk({ chain: 'ethereum', items })).rejects.toSatisfy((e) => isVaultError(e) && e.code === 'OV_INVALID_ARGUMENT');
    expect(seen).toHaveLength(0);
  });
});

describe('vault validator import --dir against a stand-in daemon', () => {
  let sb: Sandbox;
  beforeAll(() => {
    assertBuilt();
    sb = makeSandbox('vault-validator-unit-');
  });
  afterAll(() => sb.cleanup());

  it('sends 1200 keystores as import jobs of 1000 and 200, follows each to the end and maps every result back to its file', async () => {
    const dir = sb.path('keys');
    mkdirSync(dir);
    const names: string[] = [];
    const total = 1200;
    for (let i = 0; i < total; i++) {
      const n = `keystore-${String(i).padStart(4, '0')}.json`;
      names.push(n);
      writeFileSync(join(dir, n), JSON.stringify({ n: i }));
    }
    writeFileSync(sb.path('pw.txt'), 'shared-password-for-all\n', { mode: 0o600 });
    const T = '2026-01-01T00:00:00.000Z';
    const jobs = new Map<string, { items: { keystore: string }[]; reads: number }>();
    handler = (req, res, body) => {
      if (req.method === 'POST') {
        const items = (JSON.parse(body) as { items: { keystore: string; password: string }[] }).items;
        const id = `7a1c0d2e-5b3a-4c1d-9e8f-0a1b2c3d4e5${jobs.size}`;
        jobs.set(id, { items, reads: 0 });
        json(res, 202, { id, state: 'running', total: items.length, done: 0, created_at: T, finished_at: null });
        return;
      }
      const id = (req.url ?? '').split('/').pop() as string;
      const job = jobs.get(id);
      if (job === undefined) return json(res, 404, { error: { code: 'OV_NOT_FOUND', message: 'not found' } });
      job.reads++;
      // First read: half done; second: done, with every result. Echo each keystore's number back as its name; every 7th fails.
      if (job.reads === 1) return json(res, 200, { id, state: 'running', total: job.items.length, done: Math.floor(job.items.length / 2), created_at: T, finished_at: null });
      json(res, 200, {
        id,
        state: 'done',
        total: job.items.length,
        done: job.items.length,
        created_at: T,
        finished_at: T,
        results: job.items.map((it, index) => {
          const n = (JSON.parse(it.keystore) as { n: number }).n;
          return n % 7 === 0 ? { index, status: 'error', code: 'OV_KEYSTORE_PASSWORD', message: 'wrong' } : { index, status: 'imported', name: `k-${n}`, public_key: `0x${n}` };
        }),
      });
    };
    const r = await sb.run(['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--dir', dir, '--password-file', sb.path('pw.txt'), '--json'], { env: { ONTOREF_ADDR: addr, ONTOREF_TOKEN: 'test-token-123' } });
    expect(r.code, r.stderr).toBe(2);
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts.map((s) => (JSON.parse(s.body) as { items: unknown[] }).items.length)).toEqual([1000, 200]);
    for (const s of posts) {
      expect(s.url).toBe('/v1/validators/import');
      const b = JSON.parse(s.body) as { genesis_validators_root: string; items: { password: string }[] };
      expect(b.genesis_validators_root).toBe('0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f');
      // The password file's trailing newline is not part of the password.
      for (const it of b.items) expect(it.password).toBe('shared-password-for-all');
    }
    // Each job was read until done (twice), never with a password in the URL.
    expect(seen.filter((s) => s.method === 'GET').map((s) => s.url)).toEqual([...jobs.keys()].flatMap((id) => [`/v1/validators/import/${id}`, `/v1/validators/import/${id}`]));
    const doc = JSON.parse(r.out) as { results: { file: string; status: string; name?: string; code?: string }[]; imported: number; error: number };
    expect(doc.results.map((x) => x.file)).toEqual(names);
    doc.results.forEach((x, i) => {
      if (i % 7 === 0) expect(x).toMatchObject({ status: 'error', code: 'OV_KEYSTORE_PASSWORD' });
      else expect(x).toMatchObject({ status: 'imported', name: `k-${i}` });
    });
    expect(doc.error).toBe(Math.ceil(total / 7));
    expect(doc.imported).toBe(total - Math.ceil(total / 7));
    expect(r.stderr).not.toContain('shared-password-for-all');
  });

  it('refuses an ethereum import without its chain, sending nothing', async () => {
    seen = [];
    writeFileSync(sb.path('nochain.pw'), 'pw-1234567890', { mode: 0o600 });
    const r = await sb.run(['validator', 'import', '--chain', 'ethereum', '--keystore', sb.path('nochain.json'), '--password-file', sb.path('nochain.pw')], { env: { ONTOREF_ADDR: addr, ONTOREF_TOKEN: 'test-token-123' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('an ethereum key needs its chain');
    const bad = await sb.run(['validator', 'import', '--chain', 'ethereum', '--network', 'goerli', '--keystore', sb.path('nochain.json'), '--password-file', sb.path('nochain.pw')], { env: { ONTOREF_ADDR: addr, ONTOREF_TOKEN: 'test-token-123' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--network must be one of mainnet, hoodi, sepolia, holesky, gnosis');
    expect(seen).toEqual([]);
  });

  it('derives the default slot name from the file and refuses a file it cannot name, sending nothing', async () => {
    const env = { ONTOREF_ADDR: addr, ONTOREF_TOKEN: 'test-token-123' };
    const pub = `93247f${'ab'.repeat(45)}`;
    writeFileSync(sb.path('ks.json'), JSON.stringify({ pubkey: pub, version: 4 }));
    writeFileSync(sb.path('ks.pw'), 'pw-1234567890', { mode: 0o600 });
    handler = (_req, res) => json(res, 201, { ...SLOT, name: 'eth-93247fab', chain: 'ethereum' });
    const ok = await sb.run(['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', sb.path('ks.json'), '--password-file', sb.path('ks.pw')], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(seen[0]?.body ?? '')).toMatchObject({ name: 'eth-93247fab', chain: 'ethereum', format: 'eip2335', password: 'pw-1234567890' });

    seen = [];
    writeFileSync(sb.path('trunc.json'), '{"pubkey": "93');
    const bad = await sb.run(['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', sb.path('trunc.json'), '--password-file', sb.path('ks.pw')], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('vault: error: keystore is malformed or unsupported: no public key to name the slot after');
    const arr = Array.from({ length: 64 }, (_, i) => i);
    writeFileSync(sb.path('sol.json'), JSON.stringify(arr), { mode: 0o600 });
    handler = (_req, res) => json(res, 201, { ...SLOT, chain: 'solana' });
    expect((await sb.run(['validator', 'import', '--chain', 'solana', '--keypair', sb.path('sol.json')], { env })).code).toBe(0);
    expect(JSON.parse(seen[0]?.body ?? '')).toMatchObject({ name: 'sol-20212223', format: 'solana' });
    // Mismatched options are usage errors before any request.
    seen = [];
    const mixed = await sb.run(['validator', 'import', '--chain', 'cosmos', '--keystore', sb.path('ks.json')], { env });
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain('--chain cosmos takes --key-file');
    expect(seen).toHaveLength(0);
  });
});
