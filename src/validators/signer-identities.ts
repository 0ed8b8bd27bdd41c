/**
 * Remote-signer identities: a name, the validator slots it may sign for, and the client
 * certificate (by SHA-256 fingerprint) that proves it on the signer listener. The
 * certificates come from a signer CA of the vault's own, made on the first `create`.
 *
 * Everything (the CA key, every identity, revoked ones kept so a name is never reused)
 * lives in one sealed record (../keyring/sealed-records.ts) in a meta row, so an identity
 * cannot be planted or widened by whoever writes the database without the vault's
 * signing key, and the CA key opens only while the vault is unsealed. The CA certificate,
 * which is public, is kept in the clear beside it so the signer listener can name it in
 * its TLS certificate request before any unseal.
 *
 * The identity's key pair is made by the client (`vault signer identity create`), which
 * sends only the public key: the private key and the keystore password never reach the
 * daemon. Lookups on the signing path reopen the record only when its stored bytes change.
 * @module
 */
import { VaultError } from '../errors.js';
import type { SealedBinding, SealedRecords } from '../keyring/sealed-records.js';
import type { RewrapRow, RewrapSource } from '../keyring/rewrap-loop.js';
import type { Storage } from '../storage/types.js';
import { wipe } from '../crypto/bytes.js';

/** Meta row of the sealed identity set: 4-byte big-endian KEM key version, then the envelope. */
export const SIGNER_IDENTITIES_META = 'signer.identities';
/** Meta row of the signer CA certificate (PEM, public). */
export const SIGNER_CA_META = 'signer.identity_ca';

export const IDENTITY_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Slots one identity may name. */
export const MAX_IDENTITY_SLOTS = 1000;
/** Identities one vault keeps (revoked ones included). */
export const MAX_IDENTITIES = 10_000;

export interface SignerIdentity {
  readonly name: string;
  readonly slots: readonly string[];
  /** SHA-256 of the certificate DER, lowercase hex. */
  readonly fingerprint: string;
  readonly serial: string;
  readonly createdAt: number;
  readonly notAfter: number;
  readonly revokedAt: number | null;
}

/** What the signing path needs of an identity. */
export interface IdentityGrant {
  readonly name: string;
  readonly slots: ReadonlySet<string>;
}

/** Certificate operations, supplied by the composition root (src/tls). */
export interface IdentityCertificates {
  newCa(now: number): Promise<{ certPem: string; keyPkcs8: Uint8Array }>;
  issue(ca: { certPem: string; keyPkcs8: Uint8Array }, name: string, spki: Uint8Array, now: number): Promise<{ certPem: string; fingerprint: string; serial: string; notAfter: number }>;
}

export interface SignerIdentityDeps {
  readonly storage: Storage;
  readonly sealed: SealedRecords;
  readonly certificates: IdentityCertificates;
  readonly now: () => number;
}

interface StoredSet {
  ca: { cert: string; key: string };
  identities: SignerIdentity[];
}

const BINDING: SealedBinding = {
  context: new TextEncoder().encode('ontoref-vault signer identities v1'),
  unreadable: (cause) => new VaultError('OV_SIGNER_IDENTITY_UNREADABLE', cause === undefined ? undefined : { cause }),
};

function bad(field: string, reason: string): never {
  throw new VaultError('OV_INVALID_ARGUMENT', { field, reason });
}

export function checkIdentityName(name: unknown): string {
  if (typeof name !== 'string' || !IDENTITY_NAME_RE.test(name)) bad('name', 'must match ^[a-z0-9][a-z0-9._-]{0,63}$');
  return name;
}

function split(raw: Uint8Array): { kemVersion: number; envelope: Uint8Array } {
  if (raw.length < 5) throw BINDING.unreadable('OV_STORAGE_CORRUPT');
  return { kemVersion: Buffer.from(raw.buffer, raw.byteOffset, 4).readUInt32BE(0), envelope: raw.subarray(4) };
}

function join(kemVersion: number, envelope: Uint8Array): Uint8Array {
  const out = Buffer.alloc(4 + envelope.length);
  out.writeUInt32BE(kemVersion, 0);
  out.set(envelope, 4);
  return out;
}

export class SignerIdentityService {
  readonly #deps: SignerIdentityDeps;
  #cache: { raw: Buffer; grants: Map<string, IdentityGrant> } | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #caListeners = new Set<(certPem: string) => void>();

  constructor(deps: SignerIdentityDeps) {
    this.#deps = deps;
  }

  /** The signer CA certificate (PEM), or undefined before the first identity. */
  caCertPem(): string | undefined {
    const raw = this.#deps.storage.meta.get(SIGNER_CA_META);
    return raw === undefined ? undefined : new TextDecoder().decode(raw);
  }

  /** Called with the CA certificate when the CA is made; returns the unsubscribe function. */
  onCaChange(fn: (certPem: string) => void): () => void {
    this.#caListeners.add(fn);
    return () => this.#caListeners.delete(fn);
  }

  #read(): StoredSet | undefined {
    const raw = this.#deps.storage.meta.get(SIGNER_IDENTITIES_META);
    if (raw === undefined) return undefined;
    const plain = this.#deps.sealed.open(BINDING, split(raw));
    try {
      return JSON.parse(new TextDecoder().decode(plain)) as StoredSet;
    } catch {
      throw BINDING.unreadable('OV_STORAGE_CORRUPT');
    } finally {
      wipe(plain);
    }
  }

  #write(set: StoredSet, caPem?: string): void {
    const bytes = new TextEncoder().encode(JSON.stringify(set));
    try {
      const { envelope, kemVersion } = this.#deps.sealed.seal(BINDING, bytes);
      this.#deps.storage.transaction(() => {
        this.#deps.storage.meta.put(SIGNER_IDENTITIES_META, join(kemVersion, envelope));
        if (caPem !== undefined) this.#deps.storage.meta.put(SIGNER_CA_META, new TextEncoder().encode(caPem));
      });
    } finally {
      wipe(bytes);
    }
  }

  /** Runs `fn` after every earlier change, so two creates cannot both write over one read. */
  #serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Every identity, revoked ones included, by name. OV_SEALED while sealed. */
  list(): SignerIdentity[] {
    this.#deps.sealed.keyring();
    return [...(this.#read()?.identities ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Issues a certificate for `spki` (a P-256 public key, DER) as identity `name`, allowed
   * to sign for `slots` (each an existing validator slot). OV_INVALID_ARGUMENT,
   * OV_VALIDATOR_NOT_FOUND, OV_SIGNER_IDENTITY_EXISTS (a revoked name too), OV_SEALED;
   * nothing is written on any of them.
   */
  async create(nameIn: unknown, slotsIn: unknown, spki: Uint8Array): Promise<{ identity: SignerIdentity; certPem: string; caCertPem: string }> {
    const name = checkIdentityName(nameIn);
    if (!Array.isArray(slotsIn) || slotsIn.length === 0 || slotsIn.length > MAX_IDENTITY_SLOTS) bad('slots', `must list 1-${MAX_IDENTITY_SLOTS} validator slots`);
    const slots = [...new Set(slotsIn as unknown[])].map((s, i) => {
      if (typeof s !== 'string') bad(`slots/${i}`, 'not a string');
      return s;
    });
    return this.#serial(async () => {
      const { storage, sealed, certificates, now } = this.#deps;
      sealed.keyring();
      for (const s of slots) if (storage.validators.getSlot(s) === undefined) throw new VaultError('OV_VALIDATOR_NOT_FOUND', { slot: s.slice(0, 64) });
      const current = this.#read();
      if (current?.identities.some((i) => i.name === name) === true) throw new VaultError('OV_SIGNER_IDENTITY_EXISTS');
      if ((current?.identities.length ?? 0) >= MAX_IDENTITIES) bad('name', `the vault keeps at most ${MAX_IDENTITIES} identities`);
      const t = now();
      let ca: { certPem: string; keyPkcs8: Uint8Array };
      let newCa = false;
      if (current === undefined) {
        ca = await certificates.newCa(t);
        newCa = true;
      } else {
        ca = { certPem: current.ca.cert, keyPkcs8: Uint8Array.from(Buffer.from(current.ca.key, 'base64')) };
      }
      try {
        const issued = await certificates.issue(ca, name, spki, t);
        const identity: SignerIdentity = { name, slots: slots.sort(), fingerprint: issued.fingerprint, serial: issued.serial, createdAt: t, notAfter: issued.notAfter, revokedAt: null };
        const next: StoredSet = { ca: { cert: ca.certPem, key: Buffer.from(ca.keyPkcs8).toString('base64') }, identities: [...(current?.identities ?? []), identity] };
        this.#write(next, newCa ? ca.certPem : undefined);
        if (newCa) for (const fn of this.#caListeners) fn(ca.certPem);
        return { identity, certPem: issued.certPem, caCertPem: ca.certPem };
      } finally {
        wipe(ca.keyPkcs8);
      }
    });
  }

  /** Revokes `name` at once (its certificate is refused from the next request on); a revoked one is returned as it is. OV_SIGNER_IDENTITY_NOT_FOUND. */
  async revoke(nameIn: unknown): Promise<SignerIdentity> {
    const name = checkIdentityName(nameIn);
    return this.#serial(() => {
      this.#deps.sealed.keyring();
      const current = this.#read();
      const found = current?.identities.find((i) => i.name === name);
      if (current === undefined || found === undefined) throw new VaultError('OV_SIGNER_IDENTITY_NOT_FOUND');
      if (found.revokedAt !== null) return found;
      const revoked = { ...found, revokedAt: this.#deps.now() };
      this.#write({ ...current, identities: current.identities.map((i) => (i.name === name ? revoked : i)) });
      return revoked;
    });
  }

  /**
   * The unrevoked identity whose certificate has this fingerprint, or undefined (none,
   * revoked, the vault sealed, or a record that does not open: every certificate is then
   * refused). Reopens the record only when its bytes changed.
   */
  grant(fingerprint: string): IdentityGrant | undefined {
    const raw = this.#deps.storage.meta.get(SIGNER_IDENTITIES_META);
    if (raw === undefined) return undefined;
    const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (this.#cache === undefined || !this.#cache.raw.equals(buf)) {
      let set: StoredSet | undefined;
      try {
        set = this.#read();
      } catch {
        this.#cache = undefined;
        return undefined;
      }
      const grants = new Map<string, IdentityGrant>();
      for (const i of set?.identities ?? []) if (i.revokedAt === null) grants.set(i.fingerprint, { name: i.name, slots: new Set(i.slots) });
      this.#cache = { raw: Buffer.from(buf), grants };
    }
    return this.#cache.grants.get(fingerprint.toLowerCase());
  }

  /** Drops the opened set (the vault seals). */
  wipeCache(): void {
    this.#cache = undefined;
  }
}

/** The identity record as a rewrap source: one row, no cursor. */
export function signerIdentityRewrapSource(storage: Storage): RewrapSource<true> {
  const stale = (kemVersion: number): RewrapRow<true>[] => {
    const raw = storage.meta.get(SIGNER_IDENTITIES_META);
    if (raw === undefined) return [];
    const row = split(raw);
    return row.kemVersion < kemVersion ? [{ binding: BINDING, envelope: row.envelope, kemVersion: row.kemVersion, cursor: true }] : [];
  };
  return {
    stale: (kemVersion, after) => (after === undefined ? stale(kemVersion) : []),
    replace: (row, envelope, kemVersion) => {
      const raw = storage.meta.get(SIGNER_IDENTITIES_META);
      if (raw === undefined || row.envelope === null || !Buffer.from(split(raw).envelope).equals(Buffer.from(row.envelope))) return false;
      storage.meta.put(SIGNER_IDENTITIES_META, join(kemVersion, envelope));
      return true;
    },
    countStale: (kemVersion) => stale(kemVersion).length,
    transaction: (fn) => storage.transaction(fn),
  };
}
