/**
 * Writers on several connections to one PostgreSQL database, as several daemons are: a
 * read-then-write inside a storage transaction (how a slashing watermark or the next secret
 * version is decided) never races another process's, because every writing transaction
 * holds the same advisory lock.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../../src/storage/postgres/index.js';
import { freshDatabaseSync } from '../../helpers/pg.js';

const run = promisify(execFile);
const STORAGE = join(import.meta.dirname, '..', '..', '..', 'dist', 'src', 'storage', 'postgres', 'index.js');
const ROUNDS = 150;

// Each child increments a counter row ROUNDS times, reading it and writing it back in one
// transaction; without the lock two of them would read the same value and lose an increment.
const CHILD = `
const { openPostgresStorage } = await import(process.env.OV_STORAGE);
const s = openPostgresStorage({ url: process.env.OV_URL, node: process.env.OV_NODE });
for (let i = 0; i < ${ROUNDS}; i++) {
  s.transaction(() => {
    const v = s.meta.get('counter');
    const n = v === undefined ? 0 : new DataView(v.buffer, v.byteOffset).getUint32(0);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, n + 1);
    s.meta.put('counter', out);
  });
}
s.close();
`;

describe('writers in several processes', () => {
  it('lose no read-then-write update', async () => {
    const url = freshDatabaseSync();
    openPostgresStorage({ url }).close();
    const nodes = ['a', 'b', 'c'];
    await Promise.all(
      nodes.map((node) => run(process.execPath, ['--input-type=module', '-e', CHILD], { env: { ...process.env, OV_STORAGE: STORAGE, OV_URL: url, OV_NODE: node } })),
    );
    const s = openPostgresStorage({ url });
    try {
      const v = s.meta.get('counter') as Uint8Array;
      expect(new DataView(v.buffer, v.byteOffset).getUint32(0)).toBe(nodes.length * ROUNDS);
    } finally {
      s.close();
    }
  });
});
