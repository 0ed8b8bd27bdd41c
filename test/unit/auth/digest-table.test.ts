import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DigestTable, type SlotAccess } from '../../../src/auth/digest-table.js';
import { tokenDigest } from '../../../src/auth/session-store.js';

interface Item {
  readonly name: string;
  readonly expires: number;
  slot: number;
}
const slots: SlotAccess<Item> = { get: (v) => v.slot, set: (v, s) => void (v.slot = s) };
const expiryOf = (v: Item): number => v.expires;

/** A digest whose first word (the home slot) is `home` and whose other bytes come from `tag`. */
function digest(home: number, tag: number): Uint8Array {
  const d = tokenDigest(`tag-${tag}`);
  new DataView(d.buffer, d.byteOffset).setUint32(0, home >>> 0, true);
  return d;
}

function check(table: DigestTable<Item>, model: Map<string, { d: Uint8Array; item: Item }>): void {
  expect(table.size).toBe(model.size);
  for (const { d, item } of model.values()) {
    expect(table.get(d)).toBe(item);
    expect(table.digestOf(item)).toEqual(d);
    // The expiry travels with its entry through backward shifts and resizes.
    const slot = table.find(d);
    expect(slot).toBe(item.slot);
    expect(table.valueAt(slot)).toBe(item);
    expect(table.expiryAt(slot)).toBe(item.expires);
  }
}

describe('DigestTable', () => {
  it('agrees with a Map under random inserts and deletes, with colliding and wrapping home slots', () => {
    // Home slots cluster at the end of the smallest table (1024 slots) and wrap to the start.
    const homes = [1020, 1021, 1022, 1023, 0, 1, 2, 1023 + 1024, 5000];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), home: fc.constantFrom(...homes), tag: fc.nat(60) }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const table = new DigestTable<Item>(slots, expiryOf);
        const model = new Map<string, { d: Uint8Array; item: Item }>();
        for (const o of ops) {
          if (o.kind === 'insert') {
            const key = `${o.home}/${o.tag}`;
            if (model.has(key)) continue;
            const d = digest(o.home, o.tag);
            const item = { name: key, expires: o.home * 1000 + o.tag, slot: -1 };
            expect(table.get(d)).toBeUndefined();
            expect(table.find(d)).toBe(-1);
            table.insert(d, item);
            model.set(key, { d, item });
          } else if (model.size > 0) {
            const key = [...model.keys()][o.pick % model.size]!;
            const { d, item } = model.get(key)!;
            table.delete(item);
            model.delete(key);
            expect(table.get(d)).toBeUndefined();
            expect(table.find(d)).toBe(-1);
            expect(item.slot).toBe(-1);
          }
          check(table, model);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('grows and shrinks without losing entries', () => {
    const table = new DigestTable<Item>(slots, expiryOf);
    const entries: Array<{ d: Uint8Array; item: Item }> = [];
    for (let i = 0; i < 20_000; i++) {
      const d = tokenDigest(`grow-${i}`);
      const item = { name: String(i), expires: 1_700_000_000_000 + i, slot: -1 };
      table.insert(d, item);
      entries.push({ d, item });
    }
    expect(table.size).toBe(20_000);
    expect(entries.filter(({ d, item }) => table.get(d) !== item).length).toBe(0);
    // Delete all but every 50th: the table shrinks several times on the way.
    for (let i = 0; i < entries.length; i++) if (i % 50 !== 0) table.delete(entries[i]!.item);
    expect(table.size).toBe(400);
    const wrong = entries.filter(({ d, item }, i) => table.get(d) !== (i % 50 === 0 ? item : undefined));
    expect(wrong.length).toBe(0);
    const kept = entries.filter((_, i) => i % 50 === 0);
    expect(kept.filter(({ d, item }) => table.expiryAt(table.find(d)) !== item.expires).length).toBe(0);
  });

  it('misses on absent digests and on wrong lengths, and refuses a foreign value', () => {
    const table = new DigestTable<Item>(slots, expiryOf);
    const item = { name: 'a', expires: 1, slot: -1 };
    table.insert(tokenDigest('a'), item);
    expect(table.get(tokenDigest('b'))).toBeUndefined();
    expect(table.get(tokenDigest('a').subarray(0, 31))).toBeUndefined();
    const flipped = tokenDigest('a');
    flipped[31]! ^= 1;
    expect(table.get(flipped)).toBeUndefined();
    expect(table.find(flipped)).toBe(-1);
    expect(table.find(tokenDigest('a').subarray(0, 31))).toBe(-1);
    expect(() => table.insert(new Uint8Array(31), { name: 'x', expires: 1, slot: -1 })).toThrow(RangeError);
    expect(() => table.delete({ name: 'stranger', expires: 1, slot: 0 })).toThrow();
    expect(table.get(tokenDigest('a'))).toBe(item);
    expect(table.size).toBe(1);
  });
});
