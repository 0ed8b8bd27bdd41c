/** MetaStore cases: blob round trips, replace, delete, and isolation from callers' buffers. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../../src/storage/types.js';

export function metaConformance(open: () => Storage): void {
  describe('meta', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
    });
    afterEach(() => s.close());

    it('returns undefined for a missing name', () => {
      expect(s.meta.get('seal-config')).toBeUndefined();
    });

    it('stores a blob and returns a plain Uint8Array with the same bytes', () => {
      const value = Uint8Array.from([0, 1, 2, 255, 0]);
      s.meta.put('wrapped-root', value);
      const got = s.meta.get('wrapped-root');
      expect(got).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(got)).toBe(false);
      expect(got).toEqual(value);
    });

    it('stores only the bytes a subarray views, and an empty value', () => {
      const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
      s.meta.put('view', backing.subarray(2, 5));
      s.meta.put('empty', new Uint8Array(0));
      expect(s.meta.get('view')).toEqual(Uint8Array.from([1, 2, 3]));
      expect(s.meta.get('empty')).toEqual(new Uint8Array(0));
    });

    it('keeps its own copy: changing the buffer put or the one returned changes nothing stored', () => {
      const value = Uint8Array.from([1, 2, 3]);
      s.meta.put('x', value);
      value.fill(0);
      s.meta.get('x')?.fill(0);
      expect(s.meta.get('x')).toEqual(Uint8Array.from([1, 2, 3]));
    });

    it('put replaces an existing value', () => {
      s.meta.put('check', Uint8Array.from([1]));
      s.meta.put('check', Uint8Array.from([2, 2]));
      expect(s.meta.get('check')).toEqual(Uint8Array.from([2, 2]));
    });

    it('delete removes the name, and deleting a missing name is a no-op', () => {
      s.meta.put('a', Uint8Array.from([1]));
      s.meta.put('b', Uint8Array.from([2]));
      s.meta.delete('a');
      s.meta.delete('never-there');
      expect(s.meta.get('a')).toBeUndefined();
      expect(s.meta.get('b')).toEqual(Uint8Array.from([2]));
    });
  });
}
