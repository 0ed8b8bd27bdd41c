/**
 * Every bad input gets its documented error code and changes nothing (docs/api.md
 * conventions, docs/errors.md), against a real `vault server` on a loopback port with fetch
 * (and node:http where fetch would not send the request as is): unseal with repeated,
 * mistyped, foreign and wrong-mode shares; malformed JSON, oversized bodies (with and
 * without Content-Length), unknown fields, wrong types and content types; missing,
 * malformed, forged, tampered, expired and revoked tokens; wrong API keys until the per-key
 * and per-address limits answer 429, with the failures in the audit log; wrong roles,
 * unknown routes and ids. After each group the observable state (seal status, sessions, API
 * keys, keyring) is compared with a snapshot taken before it. The last test greps the
 * daemon's output, the CLI's output and the audit log for every secret this file handled.
 *
 * Tests in this file run in order and share one daemon.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../../src/errors.js';
import { decodeShare, encodeShare } from '../../src/seal/shares.js';
import { assertBuilt, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { b64url, claimsOf, expectError, forge, mistype, randomKeySecret, stateSnapshot, withClaims, type Answer, type Snapshot } from './bad-input-fixture.js';
import {
  api,
  cliSources,
  daemonBuilt,
  logSources,
  rawRequest,
  readAudit,
  SecretSet,
  setupVault,
  sleep,
  startDaemon,
  type ApiOptions,
  type ApiResponse,
  type Daemon,
  type SetupResult,
} from '../helpers/daemon.js';

const BODY_LIMIT = 16 * 1024;
const FAILURES_PER_ADDRESS = 12;
const FAILURES_PER_KEY = 5;

let sb: Sandbox;
let logDir: string;
let dataDir: string;
let vault: SetupResult;
let other: SetupResult;
let daemon: Daemon;
let addr: string;
const secrets = new SecretSet();

let adminToken = '';
let readerToken = '';
let readerId = '';
let victim: { id: string; key: string };
let shortLived: { token: string; id: string; expires_at: string } | undefined;

/** The observable state: compared before and after each group of bad inputs. */
function snapshot(): Promise<Snapshot> {
  return stateSnapshot(addr, adminToken, shortLived?.id);
}

async function call(method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> {
  return api(addr, method, path, opts);
}

const RUN = daemonBuilt;

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-bad-input-');
  logDir = join(sb.dir, 'logs');
  dataDir = sb.path('vault');
  const config = sb.path('server.toml');
  writeFileSync(
    config,
    ['log_level = "debug"', '[limits]', `body_limit = ${BODY_LIMIT}`, `auth_failures_per_address = ${FAILURES_PER_ADDRESS}`, `auth_failures_per_key = ${FAILURES_PER_KEY}`, ''].join('\n'),
  );
  vault = await setupVault(sb, dataDir);
  other = await setupVault(sb, sb.path('other-vault'));
  for (const [name, v] of [
    ['', vault],
    ['other vault ', other],
  ] as const) {
    v.shares.forEach((s, i) => secrets.add(`${name}unseal share ${i + 1}`, s));
    secrets.add(`${name}admin key`, v.adminKey);
  }
  daemon = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: dataDir, ONTOREF_CONFIG: config } });
  addr = daemon.addr;
});

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('bad input against the real daemon', () => {
  const share = (i: number): string => vault.shares[i - 1] as string;

  it('unseal: repeated, mistyped, malformed and wrong-mode shares are refused with their codes; progress is unchanged', async () => {
    const first = await call('POST', '/v1/sys/unseal', { json: { share: share(1) } });
    expect(first.json).toMatchObject({ sealed: true, progress: 1 });
    const before = await snapshot();
    expect(before.seal).toMatchObject({ sealed: true, progress: 1 });

    expectError(await call('POST', '/v1/sys/unseal', { json: { share: share(1) } }), 'OV_UNSEAL_DUPLICATE_SHARE');
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: mistype(share(2)) } }), 'OV_UNSEAL_INVALID_SHARE');
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: 'not a share at all' } }), 'OV_UNSEAL_INVALID_SHARE');
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: share(2).replace('ovs1-', 'ovs2-') } }), 'OV_UNSEAL_INVALID_SHARE');
    expectError(await call('POST', '/v1/sys/unseal', { json: { passphrase: 'correct horse battery staple' } }), 'OV_UNSEAL_MODE');
    // Body shapes: nothing, two methods at once, an unknown field, wrong types, reset: false.
    expectError(await call('POST', '/v1/sys/unseal', { json: {} }), 'OV_BAD_REQUEST');
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: share(2), passphrase: 'x' } }), 'OV_BAD_REQUEST');
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: share(2), force: true } }), 'OV_BAD_REQUEST');
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: 2 } }), 'OV_BAD_REQUEST');
    expectError(await call('POST', '/v1/sys/unseal', { json: { reset: false } }), 'OV_BAD_REQUEST');
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: 'x'.repeat(2000) } }), 'OV_BAD_REQUEST');
    expect(await snapshot()).toEqual(before);
  });

  it('unseal: a forged share and a share of another vault fail the attempt (OV_UNSEAL_FAILED) and drop every submitted share', async () => {
    // A well-formed share (valid checksum) for share 1's x-coordinate with other share bytes:
    // two different points for one x cannot both belong to this vault, refused at once.
    const one = decodeShare(share(1));
    const y = Uint8Array.from(one.y);
    y[0] = (y[0] as number) ^ 1;
    const forged = encodeShare(one.index, { x: one.x, y });
    secrets.add('forged share', forged);
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: forged } }), 'OV_UNSEAL_FAILED');
    expect((await snapshot()).seal).toMatchObject({ sealed: true, progress: 0, nonce: '' });

    // Another vault's share on a different x-coordinate is only caught when t shares combine.
    const used = new Set([share(1), share(3)].map((s) => decodeShare(s).x));
    const foreign = other.shares.find((s) => !used.has(decodeShare(s).x)) as string;
    expect((await call('POST', '/v1/sys/unseal', { json: { share: share(1) } })).json).toMatchObject({ progress: 1 });
    expect((await call('POST', '/v1/sys/unseal', { json: { share: foreign } })).json).toMatchObject({ progress: 2 });
    expectError(await call('POST', '/v1/sys/unseal', { json: { share: share(3) } }), 'OV_UNSEAL_FAILED');
    expect((await snapshot()).seal).toMatchObject({ sealed: true, progress: 0, nonce: '' });
    expect((await call('GET', '/v1/sys/health')).status).toBe(503);
    // A reset drops a pending share too.
    expect((await call('POST', '/v1/sys/unseal', { json: { share: share(4) } })).json).toMatchObject({ progress: 1 });
    expect((await call('POST', '/v1/sys/unseal', { json: { reset: true } })).json).toMatchObject({ sealed: true, progress: 0, nonce: '' });
    // The failed attempts are on record as unseal requests that failed, without any share.
    const failed = readAudit(dataDir).filter((e) => e.path === '/v1/sys/unseal' && e.code === 'OV_UNSEAL_FAILED');
    expect(failed).toHaveLength(2);
  });

  it('unseals with three right shares; the admin, a reader and a rate-limit victim key get sessions', async () => {
    for (const i of [5, 3]) expect((await call('POST', '/v1/sys/unseal', { json: { share: share(i) } })).json).toMatchObject({ sealed: true });
    expect((await call('POST', '/v1/sys/unseal', { json: { share: share(1) } })).json).toMatchObject({ sealed: false });

    const admin = await call('POST', '/v1/sessions', { json: { key: vault.adminKey } });
    expect(admin.status, admin.text).toBe(200);
    adminToken = secrets.add('admin session token', (admin.json as { token: string }).token);

    const r = await call('POST', '/v1/apikeys', { token: adminToken, json: { role: 'reader', scope: 'apps', label: 'reader' } });
    expect(r.status, r.text).toBe(201);
    readerId = (r.json as { id: string }).id;
    const readerKey = secrets.add('reader key', (r.json as { key: string }).key);
    const v = await call('POST', '/v1/apikeys', { token: adminToken, json: { role: 'reader', scope: 'apps/victim', label: 'victim' } });
    expect(v.status, v.text).toBe(201);
    victim = v.json as { id: string; key: string };
    secrets.add('victim key', victim.key);

    const s = await call('POST', '/v1/sessions', { json: { key: readerKey } });
    readerToken = secrets.add('reader session token', (s.json as { token: string }).token);
    // The shortest session there is (1 s); checked for expiry further down.
    const short = await call('POST', '/v1/sessions', { json: { key: readerKey, ttl: '1s' } });
    expect(short.status, short.text).toBe(200);
    const sl = short.json as { token: string; id: string; expires_at: string };
    shortLived = sl;
    secrets.add('short-lived session token', sl.token);
  });

  it('malformed JSON, an empty JSON body and non-object JSON: 400 OV_BAD_REQUEST, nothing created', async () => {
    const before = await snapshot();
    const bodies = ['{"role": "reader", "label": ', '{role: reader}', '{"role":"reader","label":"x"} trailing', 'nul', '[]', '"reader"', 'null', '{"role":"reader","label":"x",}'];
    for (const body of bodies) {
      expectError(await call('POST', '/v1/apikeys', { token: adminToken, body, contentType: 'application/json' }), 'OV_BAD_REQUEST');
      expectError(await call('POST', '/v1/sessions', { body, contentType: 'application/json' }), 'OV_BAD_REQUEST');
    }
    expectError(await call('POST', '/v1/apikeys', { token: adminToken, body: '', contentType: 'application/json' }), 'OV_BAD_REQUEST');
    expectError(await call('POST', '/v1/sessions', { body: '', contentType: 'application/json; charset=utf-8' }), 'OV_BAD_REQUEST');
    // Prototype poisoning is refused, not merged.
    const poisoned = '{"role":"reader","label":"x","__proto__":{"role":"admin"}}';
    expectError(await call('POST', '/v1/apikeys', { token: adminToken, body: poisoned, contentType: 'application/json' }), 'OV_BAD_REQUEST');
    const constructor = '{"role":"reader","label":"x","constructor":{"prototype":{"role":"admin"}}}';
    expectError(await call('POST', '/v1/apikeys', { token: adminToken, body: constructor, contentType: 'application/json' }), 'OV_BAD_REQUEST');
    expect(await snapshot()).toEqual(before);
  });

  it('oversized bodies: 413 OV_BODY_TOO_LARGE with and without Content-Length; an anonymous caller is refused before its body is read', async () => {
    const before = await snapshot();
    const big = JSON.stringify({ role: 'reader', label: 'x', pad: 'a'.repeat(BODY_LIMIT) });
    expectError(await call('POST', '/v1/apikeys', { token: adminToken, body: big, contentType: 'application/json' }), 'OV_BODY_TOO_LARGE');
    expectError(await call('POST', '/v1/sessions', { body: JSON.stringify({ key: 'k'.repeat(BODY_LIMIT + 1) }), contentType: 'application/json' }), 'OV_BODY_TOO_LARGE');
    expectError(await call('POST', '/v1/sys/unseal', { body: JSON.stringify({ share: 's'.repeat(BODY_LIMIT + 1) }), contentType: 'application/json' }), 'OV_BODY_TOO_LARGE');
    // Chunked transfer encoding, no Content-Length: refused while reading.
    const chunk = 'a'.repeat(4096);
    const chunked = await rawRequest(addr, {
      method: 'POST',
      path: '/v1/sessions',
      headers: { 'content-type': 'application/json' },
      chunks: ['{"key":"', ...Array.from({ length: 6 }, () => chunk), '"}'],
    });
    expectError(chunked, 'OV_BODY_TOO_LARGE');
    // Without a session, an authenticated route answers 401 whatever the body.
    expectError(await call('POST', '/v1/apikeys', { body: big, contentType: 'application/json' }), 'OV_AUTH_INVALID');
    // Just under the limit is read (and then fails validation on its unknown field).
    const fits = JSON.stringify({ role: 'reader', label: 'x', pad: 'a'.repeat(BODY_LIMIT - 100) });
    expectError(await call('POST', '/v1/apikeys', { token: adminToken, body: fits, contentType: 'application/json' }), 'OV_BAD_REQUEST', 'body');
    expect(await snapshot()).toEqual(before);
  });

  it('unknown fields, missing fields and wrong types or forms: 400 with the failing path, never the sent name or value', async () => {
    const before = await snapshot();
    const cases: [string, string, unknown, ErrorCode, string][] = [
      ['POST', '/v1/apikeys', { role: 'reader', label: 'x', secret_field_name: true }, 'OV_BAD_REQUEST', 'body'],
      ['POST', '/v1/apikeys', { role: 'reader', label: 'x', scope: 'apps', extra: { nested: 1 } }, 'OV_BAD_REQUEST', 'body'],
      ['POST', '/v1/apikeys', { label: 'x' }, 'OV_BAD_REQUEST', 'body'],
      ['POST', '/v1/apikeys', { role: 'root', label: 'x' }, 'OV_BAD_REQUEST', 'body/role'],
      ['POST', '/v1/apikeys', { role: 'reader', label: '' }, 'OV_BAD_REQUEST', 'body/label'],
      ['POST', '/v1/apikeys', { role: 'reader', label: 7 }, 'OV_BAD_REQUEST', 'body/label'],
      // OV_INVALID_ARGUMENT answers: their `field` is checked in the next test.
      ['POST', '/v1/apikeys', { role: 'reader', label: 'bell\u0007' }, 'OV_INVALID_ARGUMENT', ''],
      ['POST', '/v1/apikeys', { role: 'reader', label: 'x', scope: '../etc' }, 'OV_INVALID_ARGUMENT', ''],
      ['POST', '/v1/sessions', { key: vault.adminKey, ttl: '1h', scope: '*' }, 'OV_BAD_REQUEST', 'body'],
      ['POST', '/v1/sessions', { key: vault.adminKey, ttl: 'forever' }, 'OV_BAD_REQUEST', 'body/ttl'],
      ['POST', '/v1/sessions', { key: vault.adminKey, ttl: '48h' }, 'OV_BAD_REQUEST', 'body/ttl'],
      ['POST', '/v1/sessions', { key: vault.adminKey, ttl: '500ms' }, 'OV_BAD_REQUEST', 'body/ttl'],
      ['POST', '/v1/sessions', { key: ['a'] }, 'OV_BAD_REQUEST', 'body/key'],
      ['POST', '/v1/keys/token/min-decrypt-version', { version: 1, force: true }, 'OV_BAD_REQUEST', 'body'],
      ['POST', '/v1/keys/token/min-decrypt-version', { version: '1' }, 'OV_BAD_REQUEST', 'body/version'],
      ['POST', '/v1/keys/token/min-decrypt-version', { version: 2 }, 'OV_INVALID_ARGUMENT', ''],
    ];
    for (const [method, path, json, code, field] of cases) {
      const r = await call(method, path, { token: adminToken, json });
      const label = `${method} ${path} ${JSON.stringify(json)}`;
      expect({ label, status: r.status, code: (r.json as { error: { code: string } }).error.code }).toEqual({ label, status: ERRORS[code].status, code });
      expectError(r, code, field === '' ? undefined : field);
      expect(r.text).not.toContain('secret_field_name');
      expect(r.text).not.toContain('forever');
    }
    // Query strings and path parameters are validated too.
    expectError(await call('GET', '/v1/sessions?limit=0', { token: adminToken }), 'OV_BAD_REQUEST');
    expectError(await call('GET', '/v1/sessions?limit=lots', { token: adminToken }), 'OV_BAD_REQUEST');
    expectError(await call('GET', '/v1/sessions?api_key_id=ZZ', { token: adminToken }), 'OV_BAD_REQUEST');
    expectError(await call('GET', '/v1/sessions?limit=10&include_tokens=true', { token: adminToken }), 'OV_BAD_REQUEST');
    expectError(await call('DELETE', '/v1/sessions/not-a-uuid', { token: adminToken }), 'OV_BAD_REQUEST', 'params/id');
    expectError(await call('POST', '/v1/apikeys/XYZ/rotate', { token: adminToken }), 'OV_BAD_REQUEST', 'params/id');
    expectError(await call('POST', '/v1/keys/nope/rotate', { token: adminToken }), 'OV_BAD_REQUEST');
    expect(await snapshot()).toEqual(before);
  });

  it('OV_INVALID_ARGUMENT answers name the failing part as a request path (body/label, body/scope, body/version), as docs/api.md says', async () => {
    // docs/api.md: "`field`, when present, is the path of the failing part (`body`,
    // `body/label`, `params/id`)"; its apikeys section lists the label and scope checks
    // as OV_INVALID_ARGUMENT with "`field` names it".
    const before = await snapshot();
    const cases: [string, unknown, string][] = [
      ['/v1/apikeys', { role: 'reader', label: 'bell\u0007' }, 'body/label'],
      ['/v1/apikeys', { role: 'reader', label: 'x', scope: '../etc' }, 'body/scope'],
      ['/v1/keys/token/min-decrypt-version', { version: 2 }, 'body/version'],
    ];
    const got = [];
    for (const [path, json] of cases) {
      const r = await call('POST', path, { token: adminToken, json });
      got.push({ path, status: r.status, body: r.json });
    }
    expect(got).toEqual(
      cases.map(([path, , field]) => ({ path, status: 400, body: { error: { code: 'OV_INVALID_ARGUMENT', message: ERRORS.OV_INVALID_ARGUMENT.message, field } } })),
    );
    expect(await snapshot()).toEqual(before);
  });

  it('wrong content types: 415 OV_UNSUPPORTED_MEDIA_TYPE, nothing created', async () => {
    const before = await snapshot();
    const body = JSON.stringify({ role: 'reader', label: 'x' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream', 'application/jsonx']) {
      const r = await call('POST', '/v1/apikeys', { token: adminToken, body, contentType: type });
      expect({ type, status: r.status }).toEqual({ type, status: 415 });
      expectError(r, 'OV_UNSUPPORTED_MEDIA_TYPE');
    }
    // fetch's default for a string body is text/plain.
    expectError(await call('POST', '/v1/sessions', { body: JSON.stringify({ key: vault.adminKey }) }), 'OV_UNSUPPORTED_MEDIA_TYPE');
    expectError(await call('POST', '/v1/sys/unseal', { body: 'share=x', contentType: 'application/x-www-form-urlencoded' }), 'OV_UNSUPPORTED_MEDIA_TYPE');
    expect(await snapshot()).toEqual(before);
  });

  it('missing, malformed, forged and tampered tokens: 401 OV_AUTH_INVALID with WWW-Authenticate, audited as auth failures', async () => {
    const before = await snapshot();
    const seqBefore = readAudit(dataDir).length;
    const claims = claimsOf(adminToken);
    const header = JSON.parse(Buffer.from(adminToken.split('.')[0] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'HS256', kid: '1' });
    const forged = forge(header, claims, randomBytes(32));
    const none = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT', kid: '1' }))}.${b64url(JSON.stringify(claims))}.x`;
    const tampered = withClaims(readerToken, { role: 'admin', scope: '*' });
    const extended = withClaims(adminToken, { exp: Number(claims['exp']) + 86_400 });
    const otherKid = `${b64url(JSON.stringify({ ...header, kid: '2' }))}.${adminToken.split('.').slice(1).join('.')}`;
    const badKid = `${b64url(JSON.stringify({ ...header, kid: '../1' }))}.${adminToken.split('.').slice(1).join('.')}`;
    const presented = [forged, none, tampered, extended, otherKid, badKid];
    for (const [i, t] of presented.entries()) secrets.add(`crafted token ${i}`, t);
    const headers: (string | undefined)[] = [
      undefined,
      'Basic YWRtaW46YWRtaW4=',
      'Bearer',
      'Bearer ',
      'Bearer garbage',
      `Bearer ${adminToken} extra`,
      `Token ${adminToken}`,
      `Bearer ${'a'.repeat(3000)}.${'b'.repeat(3000)}.c`,
      ...presented.map((t) => `Bearer ${t}`),
    ];
    for (const h of headers) {
      for (const [method, path] of [
        ['GET', '/v1/sessions/self'],
        ['GET', '/v1/apikeys'],
        ['POST', '/v1/sys/seal'],
      ] as const) {
        const r = await call(method, path, h === undefined ? {} : { headers: { authorization: h } });
        expect({ h: h?.slice(0, 40), path, status: r.status }).toEqual({ h: h?.slice(0, 40), path, status: 401 });
        expectError(r, 'OV_AUTH_INVALID');
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    // Each refusal is an auth entry. A presented token that looks like a JWT appears only
    // as an HMAC under the audit key: the same for the same token (correlatable), distinct
    // per token; the other headers leave no trace of what they carried.
    const entries = readAudit(dataDir).filter((e) => e.seq > seqBefore && e.status === 401);
    expect(entries).toHaveLength(headers.length * 3);
    for (const e of entries) expect(e).toMatchObject({ type: 'auth', code: 'OV_AUTH_INVALID' });
    const macs = entries.map((e) => e.detail?.['token']).filter((m): m is string => typeof m === 'string');
    for (const m of macs) expect(m).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const perMac = new Map<string, number>();
    for (const m of macs) perMac.set(m, (perMac.get(m) ?? 0) + 1);
    // (An Authorization header over 4 KiB is not looked at, so not HMACed either.)
    const jwtShaped = headers.filter((h) => h !== undefined && h.length <= 4096 && /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(h));
    expect(perMac.size).toBe(jwtShaped.length);
    expect([...perMac.values()].every((n) => n === 3)).toBe(true);
    // The vault is still unsealed and nothing else changed.
    expect(await snapshot()).toEqual(before);
  });

  it('revoked and expired tokens: 401, the same answer as any other bad token', async () => {
    const before = await snapshot();
    const s = await call('POST', '/v1/sessions', { json: { key: vault.adminKey, ttl: '5m' } });
    const doomed = secrets.add('revoked session token', (s.json as { token: string }).token);
    expect((await call('GET', '/v1/sessions/self', { token: doomed })).status).toBe(200);
    expect((await call('DELETE', '/v1/sessions/self', { token: doomed })).status).toBe(204);
    expectError(await call('GET', '/v1/sessions/self', { token: doomed }), 'OV_AUTH_INVALID');
    expectError(await call('DELETE', '/v1/sessions/self', { token: doomed }), 'OV_AUTH_INVALID');
    expectError(await call('GET', '/v1/apikeys', { token: doomed }), 'OV_AUTH_INVALID');

    // The 1 s session from before: wait until it has certainly expired (same machine, same clock).
    const sl = shortLived as { token: string; id: string; expires_at: string };
    await sleep(Math.max(0, Date.parse(sl.expires_at) + 100 - Date.now()));
    expectError(await call('GET', '/v1/sessions/self', { token: sl.token }), 'OV_AUTH_INVALID');
    // An expired session is no longer listed and cannot be revoked.
    const after = await snapshot();
    const listed = await call('GET', '/v1/sessions', { token: adminToken });
    expect((listed.json as { sessions: { id: string }[] }).sessions.map((x) => x.id)).not.toContain(sl.id);
    expectError(await call('DELETE', `/v1/sessions/${sl.id}`, { token: adminToken }), 'OV_NOT_FOUND');
    expect(after).toEqual(before);
  });

  it(`wrong keys: ${FAILURES_PER_KEY} failures for one key id, then 429 even for the right key; other keys unaffected; all audited`, async () => {
    const before = await snapshot();
    expectError(await call('POST', '/v1/sessions', { json: { key: 'hunter2-is-not-an-api-key' } }), 'OV_AUTH_INVALID');
    for (let i = 0; i < FAILURES_PER_KEY; i++) {
      const wrong = `ovk_${victim.id}_${randomKeySecret()}`;
      secrets.add(`wrong victim key ${i}`, wrong);
      const r = await call('POST', '/v1/sessions', { json: { key: wrong } });
      expectError(r, 'OV_AUTH_INVALID');
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
    const limited = await call('POST', '/v1/sessions', { json: { key: victim.key } });
    expectError(limited, 'OV_RATE_LIMITED');
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(await snapshot()).toEqual(before);

    const audit = readAudit(dataDir).filter((e) => e.path === '/v1/sessions' && e.apiKey === victim.id);
    expect(audit.filter((e) => e.type === 'auth' && e.status === 401 && e.code === 'OV_AUTH_INVALID')).toHaveLength(FAILURES_PER_KEY);
    expect(audit.filter((e) => e.type === 'auth' && e.status === 429 && e.code === 'OV_RATE_LIMITED')).toHaveLength(1);
    // The refusals are visible to the operator as metrics too.
    const metrics = await call('GET', '/v1/sys/metrics', { token: adminToken });
    expect(metrics.text).toMatch(/^ontoref_vault_auth_failures_total [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^ontoref_vault_rate_limited_total [1-9]\d*$/m);
  });

  it(`wrong keys from one address: after ${FAILURES_PER_ADDRESS} failures even the admin key is refused with 429`, async () => {
    const before = await snapshot();
    let failures = 0;
    let limited: Answer | undefined;
    for (let i = 0; i < FAILURES_PER_ADDRESS + 1 && limited === undefined; i++) {
      const wrong = `ovk_${randomBytes(8).toString('hex')}_${randomKeySecret()}`;
      secrets.add(`unknown key ${i}`, wrong);
      const r = await call('POST', '/v1/sessions', { json: { key: wrong } });
      if (r.status === 429) limited = r;
      else {
        expectError(r, 'OV_AUTH_INVALID');
        failures++;
      }
    }
    expect(limited).toBeDefined();
    expectError(limited as Answer, 'OV_RATE_LIMITED');
    // The earlier failures of this file count too: one malformed key and the victim's five.
    expect(failures).toBe(FAILURES_PER_ADDRESS - 1 - FAILURES_PER_KEY);
    expectError(await call('POST', '/v1/sessions', { json: { key: vault.adminKey } }), 'OV_RATE_LIMITED');
    // Sessions already issued keep working: the limit is on exchanges, not on tokens.
    expect((await call('GET', '/v1/sessions/self', { token: readerToken })).status).toBe(200);
    expect(await snapshot()).toEqual(before);
    const audit = readAudit(dataDir).filter((e) => e.path === '/v1/sessions' && e.type === 'auth');
    expect(audit.filter((e) => e.status === 401)).toHaveLength(FAILURES_PER_ADDRESS);
    expect(audit.filter((e) => e.status === 429).length).toBeGreaterThanOrEqual(3);
  });

  it('wrong roles, unknown routes and unknown ids: 403 or 404 with their codes, nothing changed', async () => {
    const before = await snapshot();
    expectError(await call('POST', '/v1/apikeys', { token: readerToken, json: { role: 'admin', label: 'escalate' } }), 'OV_FORBIDDEN');
    expectError(await call('POST', '/v1/sys/seal', { token: readerToken }), 'OV_FORBIDDEN');
    expectError(await call('POST', '/v1/keys/token/rotate', { token: readerToken }), 'OV_FORBIDDEN');
    expectError(await call('GET', '/v1/sys/metrics', { token: readerToken }), 'OV_FORBIDDEN');
    expectError(await call('POST', `/v1/apikeys/${readerId}/rotate`, { token: readerToken }), 'OV_FORBIDDEN');
    expectError(await call('DELETE', `/v1/apikeys/${victim.id}`, { token: readerToken }), 'OV_FORBIDDEN');

    expectError(await call('GET', '/v1/nothing-here', { token: adminToken }), 'OV_NOT_FOUND');
    expectError(await call('GET', '/v1/apikeys/', { token: adminToken }), 'OV_NOT_FOUND');
    expectError(await call('GET', '/V1/apikeys', { token: adminToken }), 'OV_NOT_FOUND');
    expectError(await call('PUT', '/v1/apikeys', { token: adminToken, json: {} }), 'OV_NOT_FOUND');
    expectError(await call('DELETE', '/v1/sessions/00000000-0000-4000-8000-000000000000', { token: adminToken }), 'OV_NOT_FOUND');
    expectError(await call('POST', '/v1/apikeys/0123456789abcdef/rotate', { token: adminToken }), 'OV_NOT_FOUND');
    expectError(await call('DELETE', '/v1/apikeys/0123456789abcdef', { token: adminToken }), 'OV_NOT_FOUND');
    expectError(await call('POST', '/v1/keys/sign-falcon/rotate', { token: adminToken }), 'OV_KEY_NOT_FOUND');
    // Dot segments are not resolved by the daemon: no route is reached through them.
    for (const path of ['/v1/sys/../apikeys', '/v1/sessions/../apikeys', '/v1/sys/%2e%2e/apikeys']) {
      const r = await rawRequest(addr, { method: 'GET', path, headers: { authorization: `Bearer ${adminToken}` } });
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
      expectError(r, 'OV_NOT_FOUND');
    }
    expect(await snapshot()).toEqual(before);
  });

  it(`unseal guessing is limited too: after ${FAILURES_PER_ADDRESS} failed unseals from one address, even a right share gets 429`, async () => {
    expect((await call('POST', '/v1/sys/seal', { token: adminToken })).status).toBe(204);
    const one = decodeShare(share(1));
    const y = Uint8Array.from(one.y);
    y[1] = (y[1] as number) ^ 1;
    const forged = encodeShare(one.index, { x: one.x, y });
    // Two failed attempts so far in this file (the forged share and the foreign one).
    for (let i = 0; i < FAILURES_PER_ADDRESS - 2; i++) {
      expect((await call('POST', '/v1/sys/unseal', { json: { share: share(1) } })).json).toMatchObject({ progress: 1 });
      expectError(await call('POST', '/v1/sys/unseal', { json: { share: forged } }), 'OV_UNSEAL_FAILED');
    }
    const limited = await call('POST', '/v1/sys/unseal', { json: { share: share(1) } });
    expectError(limited, 'OV_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await snapshot()).seal).toMatchObject({ sealed: true, progress: 0, nonce: '' });
    const audit = readAudit(dataDir).filter((e) => e.path === '/v1/sys/unseal');
    expect(audit.filter((e) => e.code === 'OV_UNSEAL_FAILED')).toHaveLength(FAILURES_PER_ADDRESS);
    expect(audit.filter((e) => e.status === 429 && e.code === 'OV_RATE_LIMITED')).toHaveLength(1);
  });

  it('after all of it: the audit log verifies, and no secret appears in daemon output, CLI output, error answers or the audit log', async () => {
    const v = await sb.run(['audit', 'verify', '--data-dir', dataDir, '--json']);
    expect(v.code, v.stderr).toBe(0);
    const doc = JSON.parse(v.out) as { ok: boolean; entries: number };
    expect(doc.ok).toBe(true);
    const audit = readAudit(dataDir);
    // Entries are appended before each answer leaves, so all of this file's requests are in.
    expect(doc.entries).toBeGreaterThanOrEqual(audit.length - 1);
    expect(audit.length).toBeGreaterThan(150);

    expect(secrets.size).toBeGreaterThan(30);
    const logs = logSources(logDir);
    expect(logs.find((l) => l.name === 'daemon.stdout.log')?.text).toContain('/v1/sys/unseal');
    const entries = audit.map((e) => ({ name: `audit entry ${e.seq}`, text: e.raw }));
    expect(secrets.findIn([...logs, ...cliSources(), ...entries])).toEqual([]);
  });
});
