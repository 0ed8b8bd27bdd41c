/**
 * Migration 4 and the SQLite validator store: the invariants the database itself
 * enforces, whatever the code above it does (one active and one pending key per slot,
 * one public key per chain, keys only in a slot of their chain, destroyed keys without
 * envelopes, append-only records), conditional state moves, and row round trips.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import type { ValidatorKeyRecord, ValidatorSlotRecord } from '../../../src/storage/validators-types.js';
import { sqliteLoads, tempDir, thrown } from './helpers.js';
import { VaultError } from '../../../src/errors.js';

const T = 1_900_000_000_000;

function slot(over: Partial<ValidatorSlotRecord> = {}): ValidatorSlotRecord {
  return { name: 'eth-1', chain: 'ethereum', labels: '{}', metadata: '{}', signingState: '{}', createdAt: T, updatedAt: T, ...over };
}

let n = 0;
function key(over: Partial<ValidatorKeyRecord> = {}): ValidatorKeyRecord {
  n++;
  const pk = new Uint8Array(48).fill(n);
  return {
    id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    slot: 'eth-1',
    chain: 'ethereum',
    keyType: 'BLS12-381',
    publicKey: pk,
    path: null,
    state: 'active',
    source: 'generated',
    envelope: Uint8Array.of(1, 2, 3),
    kemVersion: 1,
    createdAt: T + n,
    activatedAt: T + n,
    retiredAt: null,
    destroyedAt: null,
    ...over,
  };
}

function constraint(fn: () => unknown): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(VaultError);
  expect((e as VaultError).code).toBe('OV_STORAGE_CONSTRAINT');
}

describe.runIf(sqliteLoads)('validator storage (migration 4)', () => {
  let t: ReturnType<typeof tempDir>;
  let s: SqliteStorageHandle;
  beforeEach(() => {
    t = tempDir();
    s = openStorage(join(t.dir, 'vault.db'));
    s.validators.insertSlot(slot());
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('round-trips slots, keys and records', () => {
    const k = key({ path: 'm/12381/3600/0/0/0' });
    s.validators.insertKey(k);
    expect(s.validators.getKey(k.id)).toEqual(k);
    expect(s.validators.keysOf('eth-1')).toEqual([k]);
    expect(s.validators.findByPublicKey('ethereum', k.publicKey)?.id).toBe(k.id);
    expect(s.validators.findByPublicKey('cosmos', k.publicKey)).toBeUndefined();
    expect(s.validators.getSlot('eth-1')).toEqual(slot());
    expect(s.validators.updateSigningState('eth-1', '{"max_block_slot":"5"}', T + 9)).toBe(true);
    expect(s.validators.getSlot('eth-1')?.signingState).toBe('{"max_block_slot":"5"}');
    expect(s.validators.updateSigningState('nope', '{}', T)).toBe(false);
    s.validators.appendRecord({ slot: 'eth-1', seq: 1, record: '{"a":1}', hash: new Uint8Array(32) });
    s.validators.appendRecord({ slot: 'eth-1', seq: 2, record: '{"a":2}', hash: new Uint8Array(32).fill(7) });
    expect(s.validators.lastRecord('eth-1')?.seq).toBe(2);
    expect(s.validators.records('eth-1').map((r) => r.record)).toEqual(['{"a":1}', '{"a":2}']);
    expect(s.validators.counts()).toEqual({ slots: 1, keys: 1, records: 2 });
  });

  it('makes a second active or pending key in a slot impossible, even by direct insert', () => {
    s.validators.insertKey(key());
    constraint(() => s.validators.insertKey(key()));
    s.validators.insertKey(key({ state: 'pending', activatedAt: null }));
    constraint(() => s.validators.insertKey(key({ state: 'pending', activatedAt: null })));
    // Bypassing the store: raw SQL on a second connection hits the same index.
    const db = new Database(join(t.dir, 'vault.db'));
    try {
      const pending = s.validators.keysOf('eth-1').find((k) => k.state === 'pending');
      expect(() => db.prepare("UPDATE validator_keys SET state = 'active' WHERE id = ?").run(pending?.id)).toThrow(/UNIQUE/);
    } finally {
      db.close();
    }
    expect(s.validators.keysOf('eth-1').filter((k) => k.state === 'active')).toHaveLength(1);
    // Another slot may have its own active key.
    s.validators.insertSlot(slot({ name: 'eth-2' }));
    s.validators.insertKey(key({ slot: 'eth-2' }));
  });

  it('keeps one public key per chain, and keys in a slot of their own chain', () => {
    const k = key();
    s.validators.insertKey(k);
    s.validators.insertSlot(slot({ name: 'eth-2' }));
    constraint(() => s.validators.insertKey(key({ slot: 'eth-2', publicKey: k.publicKey })));
    s.validators.insertSlot(slot({ name: 'cos', chain: 'cosmos' }));
    constraint(() => s.validators.insertKey(key({ slot: 'cos' })));
    constraint(() => s.validators.insertKey(key({ slot: 'missing' })));
    constraint(() => s.validators.insertSlot(slot()));
    expect(s.validators.counts()).toEqual({ slots: 3, keys: 1, records: 0 });
  });

  it('moves states only from the expected state, and destroys only retired keys', () => {
    const a = key();
    const p = key({ state: 'pending', activatedAt: null });
    s.validators.insertKey(a);
    s.validators.insertKey(p);
    // The index refuses a second active key; the conditional update refuses a wrong source state.
    constraint(() => s.validators.setKeyState(p.id, 'pending', 'active', T + 50));
    expect(s.validators.setKeyState(p.id, 'active', 'retired', T + 50)).toBe(false);
    expect(s.validators.setKeyState(a.id, 'active', 'retired', T + 50)).toBe(true);
    expect(s.validators.setKeyState(p.id, 'pending', 'active', T + 51)).toBe(true);
    expect(s.validators.getKey(a.id)).toMatchObject({ state: 'retired', retiredAt: T + 50 });
    expect(s.validators.getKey(p.id)).toMatchObject({ state: 'active', activatedAt: T + 51 });
    expect(s.validators.destroyKey(p.id, T + 60)).toBe(false);
    expect(s.validators.destroyKey(a.id, T + 60)).toBe(true);
    expect(s.validators.getKey(a.id)).toMatchObject({ state: 'destroyed', envelope: null, destroyedAt: T + 60 });
    expect(s.validators.destroyKey(a.id, T + 61)).toBe(false);
    expect(s.validators.getKey(p.id)?.envelope).not.toBeNull();
  });

  it('refuses to edit or delete a record, and a destroyed key with an envelope', () => {
    s.validators.appendRecord({ slot: 'eth-1', seq: 1, record: '{}', hash: new Uint8Array(32) });
    constraint(() => s.validators.appendRecord({ slot: 'eth-1', seq: 1, record: '{}', hash: new Uint8Array(32) }));
    constraint(() => s.validators.appendRecord({ slot: 'eth-1', seq: 2, record: '{}', hash: new Uint8Array(31) }));
    constraint(() => s.validators.appendRecord({ slot: 'eth-1', seq: 2, record: 'not json', hash: new Uint8Array(32) }));
    const db = new Database(join(t.dir, 'vault.db'));
    try {
      expect(() => db.prepare("UPDATE validator_records SET record = '{\"x\":1}'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM validator_records').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    constraint(() => s.validators.insertKey(key({ state: 'destroyed', destroyedAt: T })));
    constraint(() => s.validators.insertKey(key({ state: 'retired', envelope: null })));
    expect(s.validators.counts()).toEqual({ slots: 1, keys: 0, records: 1 });
  });
});
