/**
 * ValidatorStore cases: the invariants the storage enforces whatever the code above it
 * does (one active and one pending key per slot, one public key per chain, keys only in a
 * slot of their chain, destroyed keys without envelopes, append-only records), conditional
 * state moves, the rewrap scan, orderings and row round trips.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../../src/storage/types.js';
import { expectCode, expectConstraint, thrown, VALIDATOR_T as T, validatorKey as key, validatorSlot as slot } from './fixtures.js';

export function validatorsConformance(open: () => Storage): void {
  describe('validators', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
      s.validators.insertSlot(slot());
    });
    afterEach(() => s.close());

    it('round-trips slots, keys and records', () => {
      const k = key({ path: 'm/12381/3600/0/0/0' });
      s.validators.insertKey(k);
      expect(s.validators.getKey(k.id)).toEqual(k);
      expect(s.validators.getKey('00000000-0000-4000-8000-ffffffffffff')).toBeUndefined();
      expect(s.validators.keysOf('eth-1')).toEqual([k]);
      expect(s.validators.keysOf('eth-2')).toEqual([]);
      expect(s.validators.findByPublicKey('ethereum', k.publicKey)?.id).toBe(k.id);
      expect(s.validators.findByPublicKey('cosmos', k.publicKey)).toBeUndefined();
      // The signer's lookup: the row without its envelope.
      expect(s.validators.signingKey('ethereum', k.publicKey)).toEqual({ id: k.id, state: k.state, kemVersion: k.kemVersion, slot: slot() });
      expect(s.validators.signingKey('cosmos', k.publicKey)).toBeUndefined();
      expect(s.validators.getSlot('eth-1')).toEqual(slot());
      expect(s.validators.getSlot('nope')).toBeUndefined();
      expect(s.validators.updateSigningState('eth-1', '{"max_block_slot":"5"}', T + 9)).toBe(true);
      expect(s.validators.getSlot('eth-1')).toEqual(slot({ signingState: '{"max_block_slot":"5"}', updatedAt: T + 9 }));
      expect(s.validators.updateSigningState('nope', '{}', T)).toBe(false);
      expect(s.validators.updateSlotMetadata('eth-1', '{"env":"prod"}', '{"ref":"x"}', T + 10)).toBe(true);
      expect(s.validators.getSlot('eth-1')).toMatchObject({ labels: '{"env":"prod"}', metadata: '{"ref":"x"}', updatedAt: T + 10 });
      expect(s.validators.updateSlotMetadata('nope', '{}', '{}', T)).toBe(false);
      s.validators.appendRecord({ slot: 'eth-1', seq: 1, record: '{"a":1}', hash: new Uint8Array(32) });
      s.validators.appendRecord({ slot: 'eth-1', seq: 2, record: '{"a":2}', hash: new Uint8Array(32).fill(7) });
      expect(s.validators.lastRecord('eth-1')).toEqual({ slot: 'eth-1', seq: 2, record: '{"a":2}', hash: new Uint8Array(32).fill(7) });
      expect(s.validators.lastRecord('nope')).toBeUndefined();
      expect(s.validators.records('eth-1').map((r) => r.record)).toEqual(['{"a":1}', '{"a":2}']);
      expect(s.validators.counts()).toEqual({ slots: 1, keys: 1, records: 2 });
    });

    it('refuses slot and metadata values the schema forbids, changing nothing', () => {
      expectConstraint(() => s.validators.insertSlot(slot({ name: '' })));
      expectConstraint(() => s.validators.insertSlot(slot({ name: 'n'.repeat(65) })));
      expectConstraint(() => s.validators.insertSlot(slot({ name: 'x', chain: 'bitcoin' as 'ethereum' })));
      expectConstraint(() => s.validators.insertSlot(slot({ name: 'x', labels: '{' })));
      expectConstraint(() => s.validators.updateSigningState('eth-1', 'nope', T + 1));
      expectConstraint(() => s.validators.updateSlotMetadata('eth-1', '{}', '{', T + 1));
      expect(s.validators.listSlots()).toEqual([slot()]);
    });

    it('lists slots by name and keys by slot, then age, then id', () => {
      s.validators.insertSlot(slot({ name: 'a-sol', chain: 'solana' }));
      s.validators.insertSlot(slot({ name: 'eth-2' }));
      const late = key({ createdAt: T + 500, state: 'retired', retiredAt: T + 501 });
      const early = key({ createdAt: T - 5 });
      const other = key({ slot: 'eth-2', createdAt: T - 100 });
      const sol = key({ slot: 'a-sol', chain: 'solana', keyType: 'Ed25519', publicKey: new Uint8Array(32).fill(3), createdAt: T + 900 });
      for (const k of [late, other, sol, early]) s.validators.insertKey(k);
      expect(s.validators.listSlots().map((x) => x.name)).toEqual(['a-sol', 'eth-1', 'eth-2']);
      expect(s.validators.keysOf('eth-1').map((k) => k.id)).toEqual([early.id, late.id]);
      expect(s.validators.listKeys().map((k) => k.id)).toEqual([sol.id, early.id, late.id, other.id]);
    });

    it('makes a second active or pending key in a slot impossible', () => {
      s.validators.insertKey(key());
      expectConstraint(() => s.validators.insertKey(key()));
      s.validators.insertKey(key({ state: 'pending', activatedAt: null }));
      expectConstraint(() => s.validators.insertKey(key({ state: 'pending', activatedAt: null })));
      expect(s.validators.keysOf('eth-1').filter((k) => k.state === 'active')).toHaveLength(1);
      // Retired keys are not limited, and another slot may have its own active key.
      s.validators.insertKey(key({ state: 'retired', retiredAt: T }));
      s.validators.insertKey(key({ state: 'retired', retiredAt: T }));
      s.validators.insertSlot(slot({ name: 'eth-2' }));
      s.validators.insertKey(key({ slot: 'eth-2' }));
      expect(s.validators.counts().keys).toBe(5);
    });

    it('keeps one public key per chain, and keys in a slot of their own chain', () => {
      const k = key();
      s.validators.insertKey(k);
      s.validators.insertSlot(slot({ name: 'eth-2' }));
      expectConstraint(() => s.validators.insertKey(key({ slot: 'eth-2', publicKey: k.publicKey })));
      s.validators.insertSlot(slot({ name: 'cos', chain: 'cosmos' }));
      expectConstraint(() => s.validators.insertKey(key({ slot: 'cos' })));
      expectConstraint(() => s.validators.insertKey(key({ slot: 'missing' })));
      expectConstraint(() => s.validators.insertKey({ ...key(), id: k.id }));
      expectConstraint(() => s.validators.insertSlot(slot()));
      // The same bytes on another chain are another key.
      s.validators.insertKey(key({ slot: 'cos', chain: 'cosmos', publicKey: k.publicKey }));
      expect(s.validators.counts()).toEqual({ slots: 3, keys: 2, records: 0 });
    });

    it('refuses key rows the schema forbids', () => {
      expectConstraint(() => s.validators.insertKey(key({ id: 'short' })));
      expectConstraint(() => s.validators.insertKey(key({ publicKey: new Uint8Array(47) })));
      expectConstraint(() => s.validators.insertKey(key({ kemVersion: 0 })));
      expectConstraint(() => s.validators.insertKey(key({ keyType: 'RSA' as 'Ed25519' })));
      expectConstraint(() => s.validators.insertKey(key({ state: 'lost' as 'active' })));
      expectConstraint(() => s.validators.insertKey(key({ source: 'stolen' as 'generated' })));
      expectConstraint(() => s.validators.insertKey(key({ state: 'destroyed', destroyedAt: T })));
      expectConstraint(() => s.validators.insertKey(key({ state: 'retired', envelope: null })));
      expectConstraint(() => s.validators.insertKey(key({ state: 'destroyed', envelope: null, destroyedAt: null })));
      expectConstraint(() => s.validators.insertKey(key({ destroyedAt: T })));
      expect(s.validators.counts().keys).toBe(0);
      s.validators.insertKey(key({ state: 'destroyed', envelope: null, destroyedAt: T }));
      expect(s.validators.counts().keys).toBe(1);
    });

    it('moves states only from the expected state, and destroys only retired keys', () => {
      const a = key();
      const p = key({ state: 'pending', activatedAt: null });
      s.validators.insertKey(a);
      s.validators.insertKey(p);
      // The index refuses a second active key; the conditional update refuses a wrong source state.
      expectConstraint(() => s.validators.setKeyState(p.id, 'pending', 'active', T + 50));
      expect(s.validators.getKey(p.id)).toEqual(p);
      expect(s.validators.setKeyState(p.id, 'active', 'retired', T + 50)).toBe(false);
      expect(s.validators.setKeyState('00000000-0000-4000-8000-ffffffffffff', 'active', 'retired', T)).toBe(false);
      expect(s.validators.setKeyState(a.id, 'active', 'retired', T + 50)).toBe(true);
      expect(s.validators.setKeyState(p.id, 'pending', 'active', T + 51)).toBe(true);
      expect(s.validators.getKey(a.id)).toEqual({ ...a, state: 'retired', retiredAt: T + 50 });
      expect(s.validators.getKey(p.id)).toEqual({ ...p, state: 'active', activatedAt: T + 51 });
      expect(s.validators.destroyKey(p.id, T + 60)).toBe(false);
      expect(s.validators.destroyKey(a.id, T + 60)).toBe(true);
      expect(s.validators.getKey(a.id)).toMatchObject({ state: 'destroyed', envelope: null, destroyedAt: T + 60 });
      expect(s.validators.signingKey('ethereum', a.publicKey)).toMatchObject({ id: a.id, state: 'destroyed', kemVersion: a.kemVersion, slot: { name: a.slot } });
      expect(s.validators.destroyKey(a.id, T + 61)).toBe(false);
      expect(s.validators.getKey(p.id)?.envelope).not.toBeNull();
      // Back to pending (a cancelled activation) stamps no time.
      expect(s.validators.setKeyState(p.id, 'active', 'pending', T + 70)).toBe(true);
      expect(s.validators.getKey(p.id)).toMatchObject({ state: 'pending', activatedAt: T + 51 });
      // A destroyed key never comes back: it has no envelope.
      expectConstraint(() => s.validators.setKeyState(a.id, 'destroyed', 'active', T + 80));
      // Its public key stays taken.
      expectConstraint(() => s.validators.insertKey(key({ publicKey: a.publicKey, state: 'retired', retiredAt: T })));
    });

    it('scans stale envelopes by id and swaps an envelope only if unchanged', () => {
      const ids = ['00000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
      const [c, a, b] = ids.map((id, i) => key({ id, state: 'retired', retiredAt: T, kemVersion: i === 2 ? 2 : 1 }));
      for (const k of [c, a, b]) if (k !== undefined) s.validators.insertKey(k);
      const d = key({ state: 'retired', retiredAt: T });
      s.validators.insertKey(d);
      s.validators.destroyKey(d.id, T + 1);
      expect(s.validators.countStale(2)).toBe(2);
      expect(s.validators.countStale(3)).toBe(3);
      expect(s.validators.staleKeys(3, '', 10).map((k) => k.id)).toEqual([a?.id, b?.id, c?.id]);
      expect(s.validators.staleKeys(2, '', 1).map((k) => k.id)).toEqual([a?.id]);
      expect(s.validators.staleKeys(2, a?.id ?? '', 10).map((k) => k.id)).toEqual([c?.id]);
      expect(s.validators.staleKeys(2, '', 10)[0]).toEqual(a);
      expectCode(thrown(() => s.validators.staleKeys(2, '', 0)), 'OV_INVALID_ARGUMENT');
      const id = a?.id ?? '';
      expect(s.validators.replaceEnvelope(id, Uint8Array.of(9), Uint8Array.of(7), 2)).toBe(false);
      expect(s.validators.replaceEnvelope(id, Uint8Array.of(1, 2, 3), Uint8Array.of(7), 2)).toBe(true);
      expect(s.validators.getKey(id)).toMatchObject({ envelope: Uint8Array.of(7), kemVersion: 2 });
      expect(s.validators.replaceEnvelope(d.id, Uint8Array.of(1, 2, 3), Uint8Array.of(7), 2)).toBe(false);
      expectConstraint(() => s.validators.replaceEnvelope(id, Uint8Array.of(7), Uint8Array.of(8), 0));
      expect(s.validators.countStale(2)).toBe(1);
    });

    it('keeps records append-only: no duplicate seq, valid JSON, 32-byte hash, an existing slot', () => {
      s.validators.appendRecord({ slot: 'eth-1', seq: 1, record: '{}', hash: new Uint8Array(32) });
      expectConstraint(() => s.validators.appendRecord({ slot: 'eth-1', seq: 1, record: '{"x":1}', hash: new Uint8Array(32) }));
      expectConstraint(() => s.validators.appendRecord({ slot: 'eth-1', seq: 2, record: '{}', hash: new Uint8Array(31) }));
      expectConstraint(() => s.validators.appendRecord({ slot: 'eth-1', seq: 2, record: 'not json', hash: new Uint8Array(32) }));
      expectConstraint(() => s.validators.appendRecord({ slot: 'eth-1', seq: 0, record: '{}', hash: new Uint8Array(32) }));
      expectConstraint(() => s.validators.appendRecord({ slot: 'ghost', seq: 1, record: '{}', hash: new Uint8Array(32) }));
      expect(s.validators.records('eth-1')).toEqual([{ slot: 'eth-1', seq: 1, record: '{}', hash: new Uint8Array(32) }]);
      expect(s.validators.counts()).toEqual({ slots: 1, keys: 0, records: 1 });
    });
  });
}
