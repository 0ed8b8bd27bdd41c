/**
 * Records and assertions shared by the storage conformance cases. Pure data: nothing here
 * opens a backend, so the suite runs the same against any of them.
 */
import { expect } from 'vitest';
import { VaultError } from '../../../src/errors.js';
import type { SecretMetaRecord, SecretVersionRecord } from '../../../src/storage/secrets-types.js';
import type { ApiKeyRecord, AuditEntryRecord, KeyringKeyRecord, SessionRecord } from '../../../src/storage/types.js';
import type { ValidatorKeyRecord, ValidatorSlotRecord } from '../../../src/storage/validators-types.js';

/** Runs fn and returns the error it throws (fails the test if it does not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

export function expectCode(e: unknown, code: string): void {
  expect(e).toBeInstanceOf(VaultError);
  expect((e as VaultError).code).toBe(code);
}

export function expectConstraint(fn: () => unknown): void {
  expectCode(thrown(fn), 'OV_STORAGE_CONSTRAINT');
}

export function apiKey(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: 'key-1',
    hash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
    role: 'operator',
    scope: 'apps/',
    label: 'ci deploy',
    createdAt: 1_700_000_000_000,
    rotatedAt: null,
    ...over,
  };
}

/** A distinct, deterministic 32-byte digest per index (stand-in for SHA-256 of a token). */
export function digest(i: number): Uint8Array {
  const d = new Uint8Array(32).fill(0xa5);
  new DataView(d.buffer).setUint32(0, i);
  return d;
}

export function session(i: number, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    digest: digest(i),
    apiKeyId: 'key-1',
    role: 'reader',
    scope: 'apps/web/',
    label: 'ci deploy',
    issuedAt: 1_700_000_000_000 + i,
    expiresAt: 1_700_000_900_000 + i,
    ...over,
  };
}

export function keyringKey(over: Partial<KeyringKeyRecord> = {}): KeyringKeyRecord {
  return {
    name: 'token',
    version: 1,
    alg: 'HMAC-SHA256',
    keyId: new Uint8Array(16).fill(7),
    publicKey: null,
    wrappedSecret: Uint8Array.from([1, 2, 3]),
    createdAt: 1_700_000_000_000,
    ...over,
  };
}

export function auditRow(seq: number, over: Partial<AuditEntryRecord> = {}): AuditEntryRecord {
  return {
    seq,
    time: 1_700_000_000_000 + seq,
    entry: `{"seq":${seq}}`,
    hash: new Uint8Array(32).fill(seq),
    ...over,
  };
}

export function secretMeta(path: string, currentVersion = 0): SecretMetaRecord {
  return { path, maxVersions: 0, casRequired: false, customMetadata: '{}', currentVersion, createdAt: 1, updatedAt: 2 };
}

export function secretVersion(path: string, version: number, over: Partial<SecretVersionRecord> = {}): SecretVersionRecord {
  return {
    path,
    version,
    kind: 'data',
    envelope: Uint8Array.of(version, 1, 2),
    kemVersion: 1,
    createdAt: 10 + version,
    deletedAt: null,
    destroyed: false,
    ...over,
  };
}

const T = 1_900_000_000_000;
export const VALIDATOR_T = T;

export function validatorSlot(over: Partial<ValidatorSlotRecord> = {}): ValidatorSlotRecord {
  return { name: 'eth-1', chain: 'ethereum', labels: '{}', metadata: '{}', signingState: '{}', createdAt: T, updatedAt: T, ...over };
}

let n = 0;
/** A fresh active BLS key in slot eth-1, with a public key and id no other call returns. */
export function validatorKey(over: Partial<ValidatorKeyRecord> = {}): ValidatorKeyRecord {
  n++;
  return {
    id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    slot: 'eth-1',
    chain: 'ethereum',
    keyType: 'BLS12-381',
    publicKey: new Uint8Array(48).fill(n % 256).fill(Math.floor(n / 256), 0, 1),
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
