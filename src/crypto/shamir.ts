/**
 * Shamir secret sharing over GF(2^8) (Shamir 1979, the same field and polynomial as
 * HashiCorp Vault's `shamir` package), through the independently audited
 * `shamir-secret-sharing` library. This is the only module that imports it.
 *
 * The library's share layout (value bytes followed by one x-coordinate byte) stays in
 * here: callers see `{ x, y }` pairs, so the printable share format in src/seal does not
 * depend on the library's byte order. x-coordinates are random and distinct in 1..255.
 * @module
 */
import { combine, split } from 'shamir-secret-sharing';
import { VaultError } from '../errors.js';
import { wipe } from './bytes.js';

/** One point of the sharing polynomials: `y[i]` is polynomial i evaluated at `x`. */
export interface ShamirShare {
  /** x-coordinate, 1..255 (0 would be the secret itself). */
  readonly x: number;
  readonly y: Uint8Array;
}

/** GF(2^8) has 255 non-zero x-coordinates. */
export const SHAMIR_MAX_SHARES = 255;
/** Secrets above this length are not what this wrapper is for (a 256-bit root key). */
export const SHAMIR_MAX_SECRET = 64;

function checkSplitParams(secretLength: number, n: number, t: number): void {
  if (secretLength < 1 || secretLength > SHAMIR_MAX_SECRET) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'secret', max: SHAMIR_MAX_SECRET });
  }
  if (!Number.isInteger(n) || n < 2 || n > SHAMIR_MAX_SHARES) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'shares', min: 2, max: SHAMIR_MAX_SHARES });
  }
  // t = 1 would make every share equal to the secret; the library refuses it too.
  if (!Number.isInteger(t) || t < 2 || t > n) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'threshold', min: 2, max: n });
  }
}

/**
 * Splits `secret` into `n` shares of which any `t` reconstruct it. The caller's secret is
 * not modified; the library's working copy is wiped. (The library keeps its polynomial
 * coefficients in arrays it does not wipe; they become garbage when it returns.)
 */
export async function shamirSplit(secret: Uint8Array, n: number, t: number): Promise<ShamirShare[]> {
  checkSplitParams(secret.length, n, t);
  // The library insists on a plain Uint8Array (it checks the constructor, so a Buffer fails).
  const copy = new Uint8Array(secret);
  let raw: Uint8Array[] = [];
  try {
    raw = await split(copy, n, t);
    return raw.map((s) => ({ x: s[s.length - 1]!, y: s.slice(0, s.length - 1) }));
  } finally {
    wipe(copy, ...raw);
  }
}

/**
 * Reconstructs the secret from `shares`. Any t or more shares of one split give the
 * secret; fewer, or shares of different splits, give unrelated bytes without any error:
 * Shamir has no integrity, so the caller must check the result (src/seal does, with the
 * root-key check value). Throws OV_INVALID_ARGUMENT for shapes that cannot be combined:
 * fewer than 2 shares, x outside 1..255, repeated x, or unequal lengths.
 */
export async function shamirCombine(shares: readonly ShamirShare[]): Promise<Uint8Array> {
  if (shares.length < 2 || shares.length > SHAMIR_MAX_SHARES) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'shares', min: 2, max: SHAMIR_MAX_SHARES });
  }
  const length = shares[0]!.y.length;
  const seen = new Set<number>();
  for (const s of shares) {
    if (!Number.isInteger(s.x) || s.x < 1 || s.x > SHAMIR_MAX_SHARES || seen.has(s.x)) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'x' });
    }
    if (s.y.length !== length || length < 1 || length > SHAMIR_MAX_SECRET) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'y' });
    }
    seen.add(s.x);
  }
  const raw = shares.map((s) => {
    const r = new Uint8Array(length + 1);
    r.set(s.y);
    r[length] = s.x;
    return r;
  });
  try {
    return await combine(raw);
  } finally {
    wipe(...raw);
  }
}
