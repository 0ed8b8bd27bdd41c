/**
 * EIP-3076 slashing protection interchange (format v5): the EIP's example instance
 * parses, watermarks are the maxima per key (across several entries for one key),
 * a minimal interchange is built and parses back to the same watermarks, and malformed
 * files are refused with OV_INTERCHANGE_INVALID naming the field.
 */
import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../../src/errors.js';
import { interchangeFor, parseInterchange, watermarksFrom, type EthWatermark } from '../../../src/validators/interchange.js';
import { DELETE, withPath } from './format-helpers.js';

// The "Example JSON Instance" of EIP-3076 (ethereum/EIPs, EIPS/eip-3076.md; CC0).
const ROOT = '0x04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673';
const PK = '0xb845089a1457f811bfc000588fbb4e713669be8ce060ea6be3c6ece09afc3794106c91ca73acda5e5457122d58723bed';
const EXAMPLE = {
  metadata: { interchange_format_version: '5', genesis_validators_root: ROOT },
  data: [
    {
      pubkey: PK,
      signed_blocks: [{ slot: '81952', signing_root: '0x4ff6f743a43f3b4f95350831aeaf0a122a1a392922c45d804280284a69eb850b' }, { slot: '81951' }],
      signed_attestations: [
        { source_epoch: '2290', target_epoch: '3007', signing_root: '0x587d6a4f59a58fe24f406e0502413e77fe1babddee641fda30034ed37ecc884d' },
        { source_epoch: '2290', target_epoch: '3008' },
      ],
    },
  ],
};
const PK2 = `0x${'a'.repeat(96)}`;

function invalidField(json: string): string {
  let err: unknown;
  try {
    parseInterchange(json);
  } catch (e) {
    err = e;
  }
  expect(isVaultError(err, 'OV_INTERCHANGE_INVALID'), `expected OV_INTERCHANGE_INVALID for ${json.slice(0, 60)}`).toBe(true);
  return (err as { detail: { field: string } }).detail.field;
}

describe('EIP-3076 interchange', () => {
  it('parses the EIP example unchanged', () => {
    expect(parseInterchange(JSON.stringify(EXAMPLE))).toEqual(EXAMPLE);
  });

  it('takes the maxima per key, across entries, as uint64 strings', () => {
    const doc = structuredClone(EXAMPLE);
    doc.data.push(
      { pubkey: PK.toUpperCase().replace('0X', '0x'), signed_blocks: [{ slot: '18446744073709551615' }], signed_attestations: [{ source_epoch: '9', target_epoch: '10' }] },
      { pubkey: PK2, signed_blocks: [], signed_attestations: [] },
    );
    const i = parseInterchange(JSON.stringify(doc));
    // 18446744073709551615 > 81952 only as BigInt; and '9' < '2290' numerically though not lexically
    expect(watermarksFrom(i, PK)).toEqual({ maxBlockSlot: '18446744073709551615', maxSourceEpoch: '2290', maxTargetEpoch: '3008' });
    expect(watermarksFrom(i, PK.slice(2))).toEqual(watermarksFrom(i, PK));
    expect(watermarksFrom(i, PK2)).toEqual({ maxBlockSlot: null, maxSourceEpoch: null, maxTargetEpoch: null });
    expect(watermarksFrom(i, `0x${'b'.repeat(96)}`)).toEqual({ maxBlockSlot: null, maxSourceEpoch: null, maxTargetEpoch: null });
    expect(() => watermarksFrom(i, '0x1234')).toThrow(/invalid argument/);
  });

  it('builds a minimal interchange that parses back to the same watermarks', () => {
    const w1: EthWatermark = { maxBlockSlot: '81952', maxSourceEpoch: '2290', maxTargetEpoch: '3008' };
    const w2: EthWatermark = { maxBlockSlot: null, maxSourceEpoch: null, maxTargetEpoch: null };
    const built = interchangeFor(ROOT.toUpperCase().replace('0X', '0x'), [{ pubkey: PK.slice(2), watermark: w1 }, { pubkey: PK2, watermark: w2 }]);
    expect(built).toEqual({
      metadata: { interchange_format_version: '5', genesis_validators_root: ROOT },
      data: [
        { pubkey: PK, signed_blocks: [{ slot: '81952' }], signed_attestations: [{ source_epoch: '2290', target_epoch: '3008' }] },
        { pubkey: PK2, signed_blocks: [], signed_attestations: [] },
      ],
    });
    const back = parseInterchange(JSON.stringify(built));
    expect(watermarksFrom(back, PK)).toEqual(w1);
    expect(watermarksFrom(back, PK2)).toEqual(w2);
  });

  it('fills a missing epoch without loosening protection', () => {
    const onlyTarget = interchangeFor(ROOT, [{ pubkey: PK, watermark: { maxBlockSlot: null, maxSourceEpoch: null, maxTargetEpoch: '7' } }]);
    expect(onlyTarget.data[0]!.signed_attestations).toEqual([{ source_epoch: '0', target_epoch: '7' }]);
    const onlySource = interchangeFor(ROOT, [{ pubkey: PK, watermark: { maxBlockSlot: '3', maxSourceEpoch: '5', maxTargetEpoch: null } }]);
    expect(onlySource.data[0]!.signed_attestations).toEqual([{ source_epoch: '5', target_epoch: '5' }]);
  });

  it('refuses bad builder input', () => {
    expect(() => interchangeFor('0x12', [])).toThrow(/invalid argument/);
    expect(() => interchangeFor(ROOT, [{ pubkey: PK, watermark: { maxBlockSlot: '-1', maxSourceEpoch: null, maxTargetEpoch: null } }])).toThrow(/invalid argument/);
    expect(() => interchangeFor(ROOT, [{ pubkey: 'zz', watermark: { maxBlockSlot: null, maxSourceEpoch: null, maxTargetEpoch: null } }])).toThrow(/invalid argument/);
  });

  it('refuses malformed files, naming the field', () => {
    const cases: Array<[string, readonly (string | number)[], unknown]> = [
      ['metadata.interchange_format_version', ['metadata', 'interchange_format_version'], 5],
      ['metadata.interchange_format_version', ['metadata', 'interchange_format_version'], '4'],
      ['metadata.genesis_validators_root', ['metadata', 'genesis_validators_root'], ROOT.slice(2)],
      ['data[0].pubkey', ['data', 0, 'pubkey'], PK.slice(0, -2)],
      ['data[0].signed_blocks[1].slot', ['data', 0, 'signed_blocks', 1, 'slot'], 81951],
      ['data[0].signed_blocks[1].slot', ['data', 0, 'signed_blocks', 1, 'slot'], '18446744073709551616'],
      ['data[0].signed_attestations[0].source_epoch', ['data', 0, 'signed_attestations', 0, 'source_epoch'], '01'],
      ['data[0].signed_attestations[1].signing_root', ['data', 0, 'signed_attestations', 1, 'signing_root'], '0x12'],
      ['data[0].signed_attestations', ['data', 0, 'signed_attestations'], DELETE],
      ['data[0].extra', ['data', 0, 'extra'], true],
      ['data', ['data'], {}],
      ['metadata', ['metadata'], DELETE],
    ];
    expect(invalidField('{')).toBe('$');
    for (const [field, path, value] of cases) expect(invalidField(JSON.stringify(withPath(EXAMPLE, path, value))), field).toBe(field);
  });
});
