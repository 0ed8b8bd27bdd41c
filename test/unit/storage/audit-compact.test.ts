/**
 * The compact audit row (src/storage/audit-codec.ts) and migration 6 that moves existing
 * rows into it: every entry the writer produces round-trips to its exact canonical text
 * in the compact form; a text the codec would not reproduce byte for byte is stored
 * whole; and a version-5 file's log, migrated, reads back the same texts and verifies,
 * its path filter answering from the seq scan once migration 7 has dropped the index.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, entryHash, GENESIS_HASH, verifyAudit } from '../../../src/audit/index.js';
import { decodeAuditEntry, encodeAuditEntry } from '../../../src/storage/audit-codec.js';
import { applyMigrations, MIGRATIONS } from '../../../src/storage/migrations.js';
import { openStorage } from '../../../src/storage/sqlite.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { tempDir } from './helpers.js';

const T = 1_765_000_000_000;

const samples = (seq: number): string[] => [
  canonicalJson({ type: 'request', method: 'GET', path: '/v1/secrets/data/app/db', status: 200, remote: '127.0.0.1', session: '0190c0de-0000-7000-8000-000000000001', seq, time: T + seq }),
  canonicalJson({ type: 'auth', code: 'OV_AUTH_INVALID', status: 401, apiKey: 'k-1', detail: { token: 'hmac-sha256:00ff', n: 2, ok: false }, seq, time: T }),
  canonicalJson({ type: 'sys', detail: { event: 'unseal', 'x.y': 'a\u2028b\ud800' }, seq, time: 0 }),
];

describe('compact audit rows', () => {
  it('stores writer entries as a compact array and rebuilds the exact text', () => {
    for (const [i, text] of samples(7).entries()) {
      const time = (JSON.parse(text) as { time: number }).time;
      const row = encodeAuditEntry(text, 7, time);
      expect(row.body.startsWith('['), text).toBe(true);
      expect(row.body.length).toBeLessThan(text.length);
      expect(row.path).toBe(i === 0 ? '/v1/secrets/data/app/db' : null);
      expect(decodeAuditEntry(7, time, row.path, row.body)).toBe(text);
    }
  });

  it('stores whole any text it would not rebuild byte for byte', () => {
    for (const text of ['{"seq":1}', '{"time":5,"type":"request","seq":1}', '{"extra":1,"seq":1,"time":5,"type":"sys"}', 'not json']) {
      const row = encodeAuditEntry(text, 1, 5);
      expect(row.body).toBe(text);
      expect(decodeAuditEntry(1, 5, row.path, row.body)).toBe(text);
    }
  });

  it('migration 6 moves a version-5 log into compact rows: same texts, same hashes, chain verifies', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'vault.db');
      const db = openRawDb(file);
      const texts: string[] = [];
      try {
        applyMigrations(db, MIGRATIONS.slice(0, 5));
        const insert = db.prepare('INSERT INTO audit_log (seq, time, entry, prev_hash, hash) VALUES (?, ?, ?, ?, ?)');
        let prev = GENESIS_HASH;
        db.exec('BEGIN');
        for (let seq = 1; seq <= 1500; seq++) {
          const text = samples(seq)[seq % 3] as string;
          const time = (JSON.parse(text) as { time: number }).time;
          const hash = entryHash(seq, prev, text);
          insert.run(seq, time, text, prev, hash);
          texts.push(text);
          prev = hash;
        }
        db.exec('COMMIT');
      } finally {
        db.close();
      }
      chmodSync(file, 0o600);
      const storage = openStorage(file);
      try {
        expect(storage.schemaVersion).toBe(7);
        expect([...storage.audit.entries()].map((e) => e.entry)).toEqual(texts);
        expect(verifyAudit(storage, [], selectProvider())).toMatchObject({ ok: true, entries: 1500, lastSeq: 1500 });
        expect(storage.audit.page({ limit: 5, order: 'asc', pathPrefix: '/v1/secrets/data/' }).map((e) => e.seq)).toEqual([3, 6, 9, 12, 15]);
        expect(storage.audit.page({ limit: 3, order: 'desc', pathPrefix: '/v1/secrets/data/app/' }).map((e) => e.seq)).toEqual([1500, 1497, 1494]);
      } finally {
        storage.close();
      }
      // Migration 7 dropped the path index; the time index stays.
      const after = openRawDb(file);
      try {
        const indexes = after.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit_log' ORDER BY name").pluck().all();
        expect(indexes).toEqual(['audit_log_time']);
      } finally {
        after.close();
      }
    } finally {
      cleanup();
    }
  });
});
