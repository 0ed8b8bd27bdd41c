/**
 * Bodies the daemon would once have stored changed: non-canonical base64, invalid UTF-8,
 * repeated JSON keys, a declared non-UTF-8 charset, and a field over the value cap. Each is
 * refused with its documented code, nothing is stored, and the audit entry names the code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasDuplicateKey, acceptedJsonType } from '../../../src/http/json-body.js';
import { auditEntries, bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

describe('hasDuplicateKey', () => {
  it('finds a key repeated in the same object, at any depth, after unescaping', () => {
    expect(hasDuplicateKey('{"a":"1","a":"2"}')).toBe(true);
    expect(hasDuplicateKey('{"data":{"x":"1","y":"2","x":"3"}}')).toBe(true);
    expect(hasDuplicateKey('{"a":"1","\\u0061":"2"}')).toBe(true);
    expect(hasDuplicateKey('{"a" : 1, "b": [ {"c":1}, {"c":2, "c":3} ]}')).toBe(true);
    // Past the short-list size too, and with escaped quotes and backslashes in keys.
    const many = Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',');
    expect(hasDuplicateKey(`{${many}}`)).toBe(false);
    expect(hasDuplicateKey(`{${many},"k299":1}`)).toBe(true);
    // Keys `a\` and `a\"`: distinct; `a\` written twice (once as \u005c): a repeat.
    expect(hasDuplicateKey(String.raw`{"a\\":1,"a\\\"":2}`)).toBe(false);
    expect(hasDuplicateKey(String.raw`{"a\\":1,"a\u005c":2}`)).toBe(true);
    // Not JSON (never passed in, since the parse comes first): the scan still ends.
    expect(hasDuplicateKey('{"a":"unterminated')).toBe(false);
  });

  it('accepts the same key in different objects, and key-like text inside strings', () => {
    expect(hasDuplicateKey('{"a":{"a":"1"},"b":{"a":"2"}}')).toBe(false);
    expect(hasDuplicateKey('[{"a":1},{"a":2}]')).toBe(false);
    expect(hasDuplicateKey('{"a":"\\"a\\":","b":"{\\"a\\":1, \\"a\\":2}"}')).toBe(false);
    expect(hasDuplicateKey('{"a":"x","b":["a","a"]}')).toBe(false);
    expect(hasDuplicateKey('"just a string"')).toBe(false);
  });
});

describe('acceptedJsonType', () => {
  it('is application/json with no charset or with utf-8 only', () => {
    for (const t of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"']) {
      expect(acceptedJsonType(t), t).toBe(true);
    }
    for (const t of ['application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json; boundary=x', 'application/jsonx', undefined]) {
      expect(acceptedJsonType(t), String(t)).toBe(false);
    }
  });
});

describe('strict request bodies', () => {
  let v: TestVault;
  let admin: string;

  const putRaw = (path: string, payload: string | Buffer, contentType = 'application/json') =>
    v.app.inject({ method: 'PUT', url: `/v1/secrets/${path}`, headers: { ...bearer(admin), 'content-type': contentType }, payload });
  /** Everything the secrets tables hold. */
  const snapshot = () => {
    const s = v.storage.secrets;
    return s.listPaths({ from: '', to: '\u007f' }, undefined, 10_000).map((p) => ({ meta: s.getMeta(p), versions: s.listVersions(p) }));
  };
  const lastAudit = () => auditEntries(v).at(-1) as { status: number; code?: string; path: string };

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
    // One stored version, so "nothing changed" also means "no version added".
    expect((await putRaw('app/x', JSON.stringify({ data: { a: 'b' } }))).statusCode).toBe(200);
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('non-canonical base64 is 400 OV_INVALID_ARGUMENT, canonical is stored as sent', async () => {
    const before = snapshot();
    for (const b of ['AB==', 'AAB=', 'AAAAAB==', 'QR==']) {
      const r = await putRaw('app/x', JSON.stringify({ binary: b }));
      expectError(r, 400, 'OV_INVALID_ARGUMENT');
      expect(r.json<{ error: { field?: string } }>().error.field).toBe('body/binary');
      expect(lastAudit()).toMatchObject({ status: 400, code: 'OV_INVALID_ARGUMENT' });
    }
    expect(snapshot()).toEqual(before);
    expect((await putRaw('app/bin', JSON.stringify({ binary: 'AA==' }))).statusCode).toBe(200);
    const read = await v.app.inject({ method: 'GET', url: '/v1/secrets/app/bin', headers: bearer(admin) });
    expect(read.json<{ binary: string }>().binary).toBe('AA==');
  });

  it('invalid UTF-8 is 400 OV_BAD_REQUEST (field body), never stored as U+FFFD', async () => {
    const before = snapshot();
    const head = Buffer.from('{"data":{"a":"');
    const tail = Buffer.from('"}}');
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82]]) {
      const r = await putRaw('app/x', Buffer.concat([head, Buffer.from(bad), tail]));
      expectError(r, 400, 'OV_BAD_REQUEST');
      expect(r.json<{ error: { field?: string } }>().error.field).toBe('body');
      expect(lastAudit()).toMatchObject({ status: 400, code: 'OV_BAD_REQUEST', path: '/v1/secrets/app/x' });
    }
    expect(snapshot()).toEqual(before);
    // Valid multi-byte UTF-8 is fine.
    expect((await putRaw('app/x', Buffer.concat([head, Buffer.from('é€😀'), tail]))).statusCode).toBe(200);
  });

  it('a repeated key is 400 OV_BAD_REQUEST (field body), whichever object it is in', async () => {
    const before = snapshot();
    for (const body of [
      '{"data":{"a":"first","a":"second"}}',
      '{"data":{"a":"first","\\u0061":"second"}}',
      '{"data":{"a":"1"},"data":{"a":"2"}}',
      '{"binary":"AA==","binary":"AQ=="}',
    ]) {
      const r = await putRaw('app/x', body);
      expectError(r, 400, 'OV_BAD_REQUEST');
      expect(r.json<{ error: { field?: string } }>().error.field).toBe('body');
    }
    expect(snapshot()).toEqual(before);
    // Same key in two different objects is not a repeat.
    expect((await putRaw('app/x', '{"data":{"data":"x"}}')).statusCode).toBe(200);
  });

  it('a charset other than UTF-8 is 415 OV_UNSUPPORTED_MEDIA_TYPE', async () => {
    const before = snapshot();
    for (const type of ['application/json; charset=latin1', 'application/json; charset=iso-8859-1', 'application/json; charset=utf-16']) {
      const r = await putRaw('app/x', JSON.stringify({ data: { a: 'caf\u00e9' } }), type);
      expectError(r, 415, 'OV_UNSUPPORTED_MEDIA_TYPE');
      expect(lastAudit()).toMatchObject({ status: 415, code: 'OV_UNSUPPORTED_MEDIA_TYPE' });
    }
    expect(snapshot()).toEqual(before);
    expect((await putRaw('app/x', JSON.stringify({ data: { a: 'caf\u00e9' } }), 'application/json; charset=UTF-8')).statusCode).toBe(200);
  });

  it('the value cap is one rule with one code: a 70,000-byte field is 413 OV_SECRET_TOO_LARGE', async () => {
    const before = snapshot();
    const cases = [
      { data: { a: 'x'.repeat(70_000) } },
      { data: { a: 'x'.repeat(40_000), b: 'y'.repeat(40_000) } },
      // 35,000 two-byte characters: 70,000 bytes in fewer characters than the cap.
      { data: { a: '\u00e9'.repeat(35_000) } },
      { binary: Buffer.alloc(70_000).toString('base64') },
    ];
    for (const body of cases) {
      const r = await putRaw('app/x', JSON.stringify(body));
      expectError(r, 413, 'OV_SECRET_TOO_LARGE');
      expect(lastAudit()).toMatchObject({ status: 413, code: 'OV_SECRET_TOO_LARGE' });
    }
    expect(snapshot()).toEqual(before);
  });
});
