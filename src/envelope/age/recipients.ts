/**
 * The two supported age recipient types (c2sp.org/age, "Native recipient types"):
 *
 * - `mlkem768x25519`: HPKE SealBase with KEM MLKEM768-X25519 (X-Wing, 0x647a), HKDF-SHA256
 *   and ChaCha20Poly1305, info "age-encryption.org/mlkem768x25519", empty AAD; the stanza is
 *   `-> mlkem768x25519 base64(enc)` with the 32-byte HPKE ciphertext as body.
 * - `X25519`: an ephemeral X25519 share, wrap key HKDF-SHA-256(ikm = shared secret,
 *   salt = share || recipient, info = "age-encryption.org/v1/X25519"), ChaCha20-Poly1305
 *   with a zero nonce; the stanza is `-> X25519 base64(share)` with a 32-byte body.
 *
 * Unwrapping follows the spec's rules: stanzas of other types are ignored; a stanza of
 * the identity's type with the wrong argument count, a non-canonical or wrong-length
 * argument, a body that is not exactly 32 bytes (checked before any decryption, against
 * partitioning oracles) or an all-zero X25519 shared secret is a header failure; a stanza
 * that simply does not decrypt belongs to someone else.
 * @module
 */
import { aead } from '../../crypto/aead.js';
import { concatBytes, randomBytes, utf8, wipe } from '../../crypto/bytes.js';
import { hkdf } from '../../crypto/kdf.js';
import type { CryptoProvider } from '../../crypto/types.js';
import { x25519, x25519Keygen, x25519PublicKey } from '../../crypto/x25519.js';
import { AEAD_ID, KDF_ID, hpkeSuite, sealBase, setupBaseR, type HpkeSuite, type RecipientContext } from '../hpke.js';
import { ageFail } from './fail.js';
import { b64decodeExact, b64encode, type Stanza } from './format.js';
import type { AgeIdentity, AgeRecipient } from './keys.js';

export const FILE_KEY_LENGTH = 16;
const WRAPPED_LENGTH = FILE_KEY_LENGTH + 16;
const XWING_ENC_LENGTH = 1120;
const PQ_INFO = utf8('age-encryption.org/mlkem768x25519');
const X25519_INFO = utf8('age-encryption.org/v1/X25519');
const ZERO_NONCE = new Uint8Array(12);
const EMPTY = new Uint8Array(0);
const chacha = aead('ChaCha20-Poly1305');

function pqSuite(provider: CryptoProvider): HpkeSuite {
  return hpkeSuite(provider.kem('X-Wing'), KDF_ID['HKDF-SHA256'], AEAD_ID['ChaCha20-Poly1305']);
}

/** One stanza wrapping `fileKey` to `recipient`. */
export function wrapFileKey(provider: CryptoProvider, recipient: AgeRecipient, fileKey: Uint8Array): Stanza {
  if (recipient.type === 'mlkem768x25519') {
    const { enc, ciphertext } = sealBase(pqSuite(provider), recipient.publicKey, PQ_INFO, EMPTY, fileKey);
    return { args: ['mlkem768x25519', b64encode(enc)], body: ciphertext };
  }
  const eph = x25519Keygen(randomBytes(32));
  let shared: Uint8Array | undefined;
  let key: Uint8Array | undefined;
  try {
    shared = x25519(eph.secretKey, recipient.publicKey);
    key = hkdf('SHA-256', shared, concatBytes(eph.publicKey, recipient.publicKey), X25519_INFO, 32);
    return { args: ['X25519', b64encode(eph.publicKey)], body: chacha.seal(key, ZERO_NONCE, EMPTY, fileKey) };
  } finally {
    wipe(eph.secretKey, shared, key);
  }
}

function checkShape(stanza: Stanza, argLength: number): Uint8Array {
  if (stanza.args.length !== 2) ageFail('header');
  const arg = b64decodeExact(stanza.args[1], argLength);
  if (stanza.body.length !== WRAPPED_LENGTH) ageFail('header');
  return arg;
}

/** AEAD-open the wrapped file key; undefined when it is not ours. */
function tryOpen(open: () => Uint8Array): Uint8Array | undefined {
  try {
    return open();
  } catch {
    return undefined;
  }
}

function unwrapPq(provider: CryptoProvider, seed: Uint8Array, stanza: Stanza): Uint8Array | undefined {
  const enc = checkShape(stanza, XWING_ENC_LENGTH);
  let ctx: RecipientContext;
  try {
    ctx = setupBaseR(pqSuite(provider), enc, seed, PQ_INFO);
  } catch {
    // X-Wing decapsulation fails only on an X25519 share that gives an all-zero secret.
    ageFail('header');
  }
  try {
    return tryOpen(() => ctx.open(EMPTY, stanza.body));
  } finally {
    ctx.dispose();
  }
}

function unwrapX25519(secretKey: Uint8Array, stanza: Stanza): Uint8Array | undefined {
  const share = checkShape(stanza, 32);
  let shared: Uint8Array;
  try {
    shared = x25519(secretKey, share);
  } catch {
    ageFail('header');
  }
  const key = hkdf('SHA-256', shared, concatBytes(share, x25519PublicKey(secretKey)), X25519_INFO, 32);
  try {
    return tryOpen(() => chacha.open(key, ZERO_NONCE, EMPTY, stanza.body));
  } finally {
    wipe(shared, key);
  }
}

/**
 * The file key from the first stanza `identity` can unwrap, or undefined. Throws a header
 * failure for a malformed stanza of the identity's own type.
 */
export function unwrapFileKey(provider: CryptoProvider, identity: AgeIdentity, stanzas: readonly Stanza[]): Uint8Array | undefined {
  for (const stanza of stanzas) {
    if (stanza.args[0] !== identity.type) continue;
    const key = identity.type === 'X25519' ? unwrapX25519(identity.secretKey, stanza) : unwrapPq(provider, identity.seed, stanza);
    if (key !== undefined) return key;
  }
  return undefined;
}
