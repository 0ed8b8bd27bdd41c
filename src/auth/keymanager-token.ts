/**
 * The static bearer token of the Ethereum keymanager API (`/eth/v1/*`): validator tooling
 * configures one long-lived token, as the keymanager spec expects, rather than log in.
 * The vault keeps only the token's SHA-256 (meta row `keymanager.token_sha256`); the token
 * itself is written once, to `<datadir>/keymanager.token` (0600) at setup or to the file
 * an admin names when replacing it. It is accepted on `/eth/v1/*` only: its shape
 * (`ovkm_` and 43 base64url characters) is never a session token, so every other route
 * refuses it.
 * @module
 */
import { constantTimeEqual, randomBytes } from '../crypto/bytes.js';
import type { MetaStore } from '../storage/types.js';
import { tokenDigest } from './session-store.js';

export const KEYMANAGER_TOKEN_META = 'keymanager.token_sha256';
export const KEYMANAGER_TOKEN_FILE = 'keymanager.token';
const TOKEN_RE = /^ovkm_[A-Za-z0-9_-]{43}$/;

/** A fresh token and the digest to store. */
export function newKeymanagerToken(): { token: string; digest: Uint8Array } {
  const token = `ovkm_${Buffer.from(randomBytes(32)).toString('base64url')}`;
  return { token, digest: tokenDigest(token) };
}

/** Stores a fresh token's digest (replacing any earlier one) and returns the token. */
export function replaceKeymanagerToken(meta: MetaStore): string {
  const { token, digest } = newKeymanagerToken();
  meta.put(KEYMANAGER_TOKEN_META, digest);
  return token;
}

/** True when `token` is the vault's keymanager token (compared as digests, in constant time). */
export function keymanagerTokenValid(meta: MetaStore, token: string): boolean {
  const stored = meta.get(KEYMANAGER_TOKEN_META);
  if (stored === undefined || stored.length !== 32 || !TOKEN_RE.test(token)) return false;
  return constantTimeEqual(tokenDigest(token), stored);
}
