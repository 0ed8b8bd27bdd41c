/**
 * Storage is untrusted: a second connection to the real vault.db edits an envelope byte,
 * moves a row to another path or version, changes its kind or its recorded KEM version.
 * Every read of an edited row fails with the one error, OV_SECRET_UNREADABLE, with the
 * read cache on (the rows were read, and cached, before the edit), and the audit log
 * records the failure with the path and version but never the value.
 */
import { join } from 'node:path';
import { openRawDb, type RawDb } from '../helpers/raw-sqlite.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, bearer, expectError, login, makeVault, unseal, type TestVault } from '../unit/http/helpers.js';

describe('tampered secret rows', () => {
  let v: TestVault;
  let token: string;
  let db: RawDb;

  const put = async (path: string, data: Record<string, string>) => {
    const r = await v.app.inject({ method: 'PUT', url: `/v1/secrets/${path}`, headers: bearer(token), payload: { data } });
    expect(r.statusCode, r.body).toBe(200);
  };
  const read = (url: string) => v.app.inject({ method: 'GET', url, headers: bearer(token) });
  const expectUnreadable = async (path: string, version: number) => {
    const r = await read(`/v1/secrets/${path}?version=${version}`);
    expectError(r, 500, 'OV_SECRET_UNREADABLE');
    expect(r.body).not.toContain('s3cret');
    const last = auditEntries(v).at(-1) as { code?: string; status?: number; detail?: Record<string, unknown> };
    expect(last).toMatchObject({ code: 'OV_SECRET_UNREADABLE', status: 500, detail: { reason: 'unreadable', path, version } });
  };

  beforeAll(async () => {
    v = await makeVault();
    expect(v.config.secrets.cacheBytes).toBeGreaterThan(0);
    await unseal(v);
    token = (await login(v, v.adminKey as string)).token;
    db = openRawDb(join(v.dir, 'vault.db'));
  });
  afterAll(async () => {
    db.close();
    await v.cleanup();
  });

  it('an edited envelope byte (header, ciphertext, signature) does not open, cache or not', async () => {
    await put('t/env', { password: 's3cret' });
    expect((await read('/v1/secrets/t/env')).statusCode).toBe(200); // now cached
    const original = db.prepare<[], { envelope: Buffer }>("SELECT envelope FROM secret_versions WHERE path = 't/env'").get()?.envelope as Buffer;
    for (const at of [10, Math.floor(original.length / 2), original.length - 5]) {
      const edited = Buffer.from(original);
      edited[at] = (edited[at] as number) ^ 0x01;
      db.prepare("UPDATE secret_versions SET envelope = ? WHERE path = 't/env'").run(edited);
      await expectUnreadable('t/env', 1);
    }
    db.prepare("UPDATE secret_versions SET envelope = ? WHERE path = 't/env'").run(original);
    expect((await read('/v1/secrets/t/env')).json<{ data: { password: string } }>().data.password).toBe('s3cret');
  });

  it('a row moved to another path is gone from its own and unreadable at the other', async () => {
    await put('t/a', { password: 's3cret-a' });
    await put('t/b', { password: 'b1' });
    await put('t/b', { password: 'b2' });
    expect((await read('/v1/secrets/t/a')).statusCode).toBe(200);
    db.prepare("DELETE FROM secret_versions WHERE path = 't/b' AND version = 2").run();
    db.prepare("UPDATE secret_versions SET path = 't/b', version = 2 WHERE path = 't/a' AND version = 1").run();
    expectError(await read('/v1/secrets/t/a'), 404, 'OV_SECRET_NOT_FOUND');
    await expectUnreadable('t/b', 2);
  });

  it('a row renumbered to another version of the same path is unreadable', async () => {
    await put('t/c', { password: 's3cret-c1' });
    await put('t/c', { password: 's3cret-c2' });
    expect((await read('/v1/secrets/t/c?version=1')).statusCode).toBe(200);
    db.prepare("DELETE FROM secret_versions WHERE path = 't/c' AND version = 2").run();
    db.prepare("UPDATE secret_versions SET version = 2 WHERE path = 't/c' AND version = 1").run();
    expectError(await read('/v1/secrets/t/c?version=1'), 404, 'OV_SECRET_NOT_FOUND');
    await expectUnreadable('t/c', 2);
  });

  it('an edited kind or KEM version column is unreadable', async () => {
    await put('t/d', { password: 's3cret-d' });
    await put('t/e', { password: 's3cret-e' });
    expect((await read('/v1/secrets/t/d')).statusCode).toBe(200);
    db.prepare("UPDATE secret_versions SET kind = 'binary' WHERE path = 't/d'").run();
    await expectUnreadable('t/d', 1);
    db.prepare("UPDATE secret_versions SET kem_version = 2 WHERE path = 't/e'").run();
    await expectUnreadable('t/e', 1);
  });

  it('an envelope from another row, or one planted without the vault signing key, is unreadable', async () => {
    await put('t/f', { password: 's3cret-f' });
    await put('t/g', { password: 's3cret-g' });
    const other = db.prepare<[], { envelope: Buffer }>("SELECT envelope FROM secret_versions WHERE path = 't/g'").get()?.envelope as Buffer;
    db.prepare("UPDATE secret_versions SET envelope = ? WHERE path = 't/f'").run(other);
    await expectUnreadable('t/f', 1);
  });
});
