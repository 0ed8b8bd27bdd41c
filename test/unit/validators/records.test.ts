/**
 * Rotation records, pure (no storage: this suite also runs under Node 24): a signed,
 * hash-chained history verifies with the armored public keys; one changed byte in any
 * field of any record, a reordered, deleted or foreign record, an unknown key version
 * and a malformed record all fail, each at the right seq.
 */
import { describe, expect, it } from 'vitest';
import { getProvider, nativeAvailable, selectProvider } from '../../../src/crypto/provider.js';
import { armor, encodeKey, generateKey, publicKeyOf } from '../../../src/envelope/index.js';
import type { SecretKeyInfo } from '../../../src/envelope/keys.js';
import {
  GENESIS_HASH,
  RECORD_LABEL,
  parseRecord,
  recordHash,
  recordMessage,
  recordText,
  signRecord,
  verifyValidatorHistory,
  type RecordAction,
  type ValidatorRecord,
} from '../../../src/validators/records.js';

const provider = selectProvider();
const sign = generateKey(provider, 'ML-DSA-65', { keyVersion: 1 });
const sign2 = generateKey(provider, 'ML-DSA-65', { keyVersion: 2 });
const pubs = [armor('PUBLIC KEY', encodeKey(publicKeyOf(sign))), armor('PUBLIC KEY', encodeKey(publicKeyOf(sign2)))];

function chain(key: (i: number) => SecretKeyInfo = () => sign, slot = 'eth-1'): ValidatorRecord[] {
  const steps: [RecordAction, string, string | null, Record<string, string | number | null>][] = [
    ['import', 'k1', null, { max_block_slot: null, max_source_epoch: null, max_target_epoch: null }],
    ['rotate', 'k2', 'k1', { max_block_slot: null, max_source_epoch: null, max_target_epoch: null }],
    ['signing-state', 'k1', null, { max_block_slot: '100', max_source_epoch: '3', max_target_epoch: '4' }],
    ['promote', 'k2', 'k1', { max_block_slot: '100', max_source_epoch: '3', max_target_epoch: '4' }],
    ['destroy', 'k1', null, { max_block_slot: '100', max_source_epoch: '3', max_target_epoch: '4' }],
  ];
  const out: ValidatorRecord[] = [];
  steps.forEach(([action, keyId, prev, state], i) => {
    const last = out[i - 1];
    out.push(
      signRecord(provider, key(i), {
        seq: i + 1,
        slot,
        action,
        key_id: keyId,
        public_key: `0x${keyId.repeat(48).slice(0, 96)}`,
        prev_key_id: prev,
        signing_state: state,
        time: new Date(Date.UTC(2030, 0, 1) + i * 1000).toISOString(),
        prev_hash: last === undefined ? GENESIS_HASH : recordHash(last),
      }),
    );
  });
  return out;
}

/** A copy of `s` with one character changed to another character of the same kind. */
function flipChar(s: string, at = s.length - 1): string {
  const c = s[at] as string;
  const swap = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : c === 'A' ? 'B' : c === 'a' ? 'b' : /[A-Z]/.test(c) ? 'A' : /[a-z]/.test(c) ? 'a' : c === '+' ? '/' : '+';
  return s.slice(0, at) + swap + s.slice(at + 1);
}

function mutate(r: ValidatorRecord, field: keyof ValidatorRecord): ValidatorRecord {
  const v = r[field];
  if (typeof v === 'number') return { ...r, [field]: v + 1 };
  if (v === null) return { ...r, [field]: 'k9' };
  if (typeof v === 'object') {
    const [k, val] = Object.entries(v)[0] as [string, string | number | null];
    return { ...r, [field]: { ...v, [k]: val === null ? '1' : typeof val === 'number' ? val + 1 : flipChar(val) } };
  }
  if (field === 'signature') return { ...r, signature: flipChar(v, 10) };
  return { ...r, [field]: flipChar(v) };
}

describe('validator rotation records', () => {
  it('verifies a signed chain against the armored vault public keys', () => {
    const records = chain();
    expect(verifyValidatorHistory(records, pubs, { provider })).toEqual({ ok: true });
    // Several key versions over one history (the vault's sign key was rotated).
    expect(verifyValidatorHistory(chain((i) => (i < 2 ? sign : sign2)), pubs)).toEqual({ ok: true });
    // Through JSON and back: what the history endpoint returns.
    const wire = JSON.parse(JSON.stringify(records)) as unknown[];
    expect(verifyValidatorHistory(wire, pubs)).toEqual({ ok: true });
  });

  it.runIf(nativeAvailable())('verifies across providers: noble-signed with native, native-signed with noble', () => {
    const noble = getProvider('noble');
    const native = getProvider('native');
    const fields = {
      seq: 1,
      slot: 's',
      action: 'import' as const,
      key_id: 'k',
      public_key: 'p',
      prev_key_id: null,
      signing_state: {},
      time: '2030-01-01T00:00:00.000Z',
      prev_hash: GENESIS_HASH,
    };
    expect(verifyValidatorHistory([signRecord(noble, sign, fields)], pubs, { provider: native })).toEqual({ ok: true });
    expect(verifyValidatorHistory([signRecord(native, sign, fields)], pubs, { provider: noble })).toEqual({ ok: true });
  });

  it('signs the label and the canonical JSON of every field but the signature', () => {
    const [r] = chain();
    const rec = r as ValidatorRecord;
    const { signature: _s, ...unsigned } = rec;
    void _s;
    const msg = new TextDecoder().decode(recordMessage(rec));
    expect(msg.startsWith(RECORD_LABEL)).toBe(true);
    expect(JSON.parse(msg.slice(RECORD_LABEL.length))).toEqual(unsigned);
    expect(msg.slice(RECORD_LABEL.length)).not.toContain(' ');
    expect(Object.keys(JSON.parse(recordText(rec)) as object)).toEqual(Object.keys(rec).sort());
    expect(parseRecord(recordText(rec))).toEqual(rec);
    expect(rec.prev_hash).toBe(GENESIS_HASH);
  });

  it('fails on one changed byte in any field of any record', () => {
    const records = chain();
    const fields = Object.keys(records[0] as object) as (keyof ValidatorRecord)[];
    expect(fields).toHaveLength(12);
    for (let i = 0; i < records.length; i++) {
      for (const field of fields) {
        const copy = records.map((r) => ({ ...r }));
        copy[i] = mutate(records[i] as ValidatorRecord, field);
        const v = verifyValidatorHistory(copy, pubs);
        expect(v.ok, `record ${i + 1} field ${field}`).toBe(false);
        if (!v.ok) expect(v.seq, `record ${i + 1} field ${field}`).toBe(i + 1);
      }
    }
  });

  it('fails on reordered, deleted, foreign or unknown-key records', () => {
    const records = chain();
    const swapped = [records[0], records[2], records[1], records[3], records[4]];
    expect(verifyValidatorHistory(swapped, pubs)).toMatchObject({ ok: false, seq: 2 });
    expect(verifyValidatorHistory([records[0], records[1], records[3], records[4]], pubs)).toMatchObject({ ok: false, seq: 3 });
    expect(verifyValidatorHistory(records.slice(1), pubs)).toMatchObject({ ok: false, seq: 1 });
    const other = chain(undefined, 'eth-2');
    expect(verifyValidatorHistory([records[0], other[1]], pubs)).toMatchObject({ ok: false, seq: 2 });
    // Signed by a key the verifier was not given.
    expect(verifyValidatorHistory(records, [pubs[1] as string])).toMatchObject({ ok: false, seq: 1 });
    const stranger = generateKey(provider, 'ML-DSA-65', { keyVersion: 1 });
    expect(verifyValidatorHistory(records, [armor('PUBLIC KEY', encodeKey(publicKeyOf(stranger)))])).toMatchObject({ ok: false, seq: 1, reason: 'bad signature' });
    expect(verifyValidatorHistory([], pubs)).toMatchObject({ ok: false });
    expect(verifyValidatorHistory([{ ...records[0], extra: 1 }], pubs)).toMatchObject({ ok: false, seq: 1 });
    expect(verifyValidatorHistory(['not a record'], pubs)).toMatchObject({ ok: false, seq: 1 });
  });
});
