/**
 * ASCII armor (src/envelope/armor.ts): the exact text `armor` produces, round trips at
 * the line-length boundaries, and every non-canonical variant refused with
 * OV_ARMOR_INVALID (the age armor rules: 64-column lines, only the last shorter, LF only,
 * canonical padded base64, one optional trailing newline).
 */
import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../../src/errors.js';
import { armor, dearmor, isArmored, readMaybeArmored } from '../../../src/envelope/index.js';

const te = new TextEncoder();

function expectInvalid(fn: () => unknown): void {
  let e: unknown;
  try {
    fn();
  } catch (err) {
    e = err;
  }
  expect(isVaultError(e, 'OV_ARMOR_INVALID'), `expected OV_ARMOR_INVALID, got ${String(e)}`).toBe(true);
}

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);

describe('armor', () => {
  it('produces the exact documented text', () => {
    expect(armor('ENVELOPE', te.encode('hello'))).toBe('-----BEGIN ONTOREF ENVELOPE-----\naGVsbG8=\n-----END ONTOREF ENVELOPE-----\n');
    expect(armor('PUBLIC KEY', new Uint8Array(0))).toBe('-----BEGIN ONTOREF PUBLIC KEY-----\n-----END ONTOREF PUBLIC KEY-----\n');
  });

  it('round-trips at every length around the 48-byte line boundary', () => {
    for (const n of [0, 1, 2, 3, 47, 48, 49, 95, 96, 97, 1000]) {
      const data = bytes(n);
      const text = armor('SIGNATURE', data);
      const lines = text.split('\n');
      for (const l of lines.slice(1, -3)) expect(l).toHaveLength(64);
      expect(dearmor(text, 'SIGNATURE')).toEqual(data);
      expect(dearmor(text.slice(0, -1), 'SIGNATURE')).toEqual(data); // trailing newline is optional
      expect(readMaybeArmored(te.encode(text), 'SIGNATURE')).toEqual(data);
    }
  });

  it('isArmored / readMaybeArmored pass binary input through', () => {
    const bin = Uint8Array.of(0x4f, 0x52, 0x56, 0x45, 1);
    expect(isArmored(bin)).toBe(false);
    expect(readMaybeArmored(bin, 'ENVELOPE')).toBe(bin);
    expect(isArmored(te.encode(armor('SECRET KEY', bin)))).toBe(true);
  });
});

describe('dearmor refuses non-canonical text with OV_ARMOR_INVALID', () => {
  const data = bytes(100); // 3 lines: 64 + 64 + 8 base64 characters
  const good = armor('ENVELOPE', data);
  const [begin, l1, l2, l3, end] = good.split('\n') as [string, string, string, string, string];
  const join = (...ls: string[]): string => ls.join('\n') + '\n';
  const cases: [string, string][] = [
    ['wrong label', good.replaceAll('ENVELOPE', 'SIGNATURE')],
    ['lowercase label', good.replaceAll('ENVELOPE', 'envelope')],
    ['CRLF line endings', good.replaceAll('\n', '\r\n')],
    ['two trailing newlines', good + '\n'],
    ['leading newline', '\n' + good],
    ['leading space', ' ' + good],
    ['text after END', good + 'x'],
    ['missing END', join(begin, l1, l2, l3)],
    ['missing BEGIN', join(l1, l2, l3, end)],
    ['blank line in body', join(begin, l1, '', l2, l3, end)],
    ['short inner line', join(begin, l1.slice(0, 60), l1.slice(60) + l2, l3, end)],
    ['long last line', join(begin, l1, l2 + l3, end)],
    ['trailing space on a line', join(begin, l1, l2, l3 + ' ', end)],
    ['non-base64 character', join(begin, l1, l2.slice(0, -1) + '*', l3, end)],
    ['base64url alphabet', join(begin, l1, l2.replace(/[+/]/, '-').padEnd(64, 'A'), l3, end)],
    ['padding removed', join(begin, l1, l2, l3.replace(/=+$/, ''), end)],
    ['non-zero padding bits', join(begin, l1, l2, l3.slice(0, -3) + 'B==', end)],
    ['padding in an inner line', join(begin, l1.slice(0, 62) + '==', l2, l3, end)],
    ['empty text', ''],
  ];
  for (const [name, text] of cases) it(name, () => expectInvalid(() => dearmor(text, 'ENVELOPE')));

  it('the same variants via readMaybeArmored, and invalid UTF-8', () => {
    expectInvalid(() => readMaybeArmored(te.encode(good.replaceAll('\n', '\r\n')), 'ENVELOPE'));
    expectInvalid(() => readMaybeArmored(Uint8Array.from([...te.encode(good.slice(0, 40)), 0xff, 0xfe]), 'ENVELOPE'));
  });

  it('sanity: the unmodified text decodes', () => {
    expect(l3.endsWith('=')).toBe(true);
    expect(dearmor(good, 'ENVELOPE')).toEqual(data);
  });
});
