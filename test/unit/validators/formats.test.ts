/**
 * Cosmos (CometBFT priv_validator_key.json / priv_validator_state.json), Solana keypair
 * files and per-chain public key text. Files are built in the test from the RFC 8032
 * test 1 key, so the expected public key, address and base58 are independent of the
 * code under test.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cosmosAddress, exportCosmosKey, exportCosmosState, parseCosmosKey, parseCosmosState } from '../../../src/validators/formats/cosmos.js';
import { formatPublicKey, parsePublicKey } from '../../../src/validators/formats/pubkey.js';
import { exportSolanaKeypair, parseSolanaKeypair, solanaAddress } from '../../../src/validators/formats/solana.js';
import { generateKey } from '../../../src/validators/keygen.js';
import { hex, toHex } from '../../helpers/vectors.js';
import { throwsWith } from './format-helpers.js';

// RFC 8032 section 7.1, TEST 1.
const SEED = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const PK = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const ADDRESS = createHash('sha256').update(PK).digest().subarray(0, 20).toString('hex').toUpperCase();

function cosmosFile(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    address: ADDRESS,
    pub_key: { type: 'tendermint/PubKeyEd25519', value: b64(PK) },
    priv_key: { type: 'tendermint/PrivKeyEd25519', value: b64(Buffer.concat([SEED, PK])) },
    ...over,
  };
}

describe('Cosmos priv_validator_key.json', () => {
  it('parses a file built from a known seed, with the expected address', () => {
    const key = parseCosmosKey(JSON.stringify(cosmosFile()));
    expect(key.chain).toBe('cosmos');
    expect(key.keyType).toBe('Ed25519');
    expect(toHex(key.secret)).toBe(toHex(SEED));
    expect(toHex(key.publicKey)).toBe(toHex(PK));
    expect(key.address).toBe(ADDRESS);
    expect(cosmosAddress(PK)).toBe(ADDRESS);
  });

  it('accepts a lowercase address and reports it uppercase', () => {
    expect(parseCosmosKey(JSON.stringify(cosmosFile({ address: ADDRESS.toLowerCase() }))).address).toBe(ADDRESS);
  });

  it('round-trips: export of a parsed file parses to the same key, byte-identical to the input layout', () => {
    const text = JSON.stringify(cosmosFile(), null, 2);
    const key = parseCosmosKey(text);
    expect(exportCosmosKey(key)).toBe(text);
    const fresh = generateKey('cosmos');
    const again = parseCosmosKey(exportCosmosKey(fresh));
    expect(toHex(again.publicKey)).toBe(toHex(fresh.publicKey));
    expect(toHex(again.secret)).toBe(toHex(fresh.secret));
  });

  it('refuses a wrong address, mismatched halves and wrong types', () => {
    const other = generateKey('cosmos');
    throwsWith(() => parseCosmosKey(JSON.stringify(cosmosFile({ address: cosmosAddress(other.publicKey) }))), 'OV_VALIDATOR_KEY_INVALID', 'address');
    throwsWith(() => parseCosmosKey(JSON.stringify(cosmosFile({ pub_key: { type: 'tendermint/PubKeyEd25519', value: b64(other.publicKey) } }))), 'OV_VALIDATOR_KEY_INVALID', 'pub_key.value');
    throwsWith(
      () => parseCosmosKey(JSON.stringify(cosmosFile({ priv_key: { type: 'tendermint/PrivKeyEd25519', value: b64(Buffer.concat([SEED, other.publicKey])) } }))),
      'OV_VALIDATOR_KEY_INVALID',
      'seed does not give',
    );
    throwsWith(() => parseCosmosKey(JSON.stringify(cosmosFile({ priv_key: { type: 'tendermint/PrivKeySecp256k1', value: b64(SEED) } }))), 'OV_VALIDATOR_KEY_INVALID', 'unsupported');
    throwsWith(() => parseCosmosKey(JSON.stringify(cosmosFile({ priv_key: { type: 'tendermint/PrivKeyEd25519', value: b64(SEED) } }))), 'OV_VALIDATOR_KEY_INVALID', '64 bytes');
    throwsWith(() => parseCosmosKey(JSON.stringify(cosmosFile({ extra: 1 }))), 'OV_VALIDATOR_KEY_INVALID', 'unknown field');
    throwsWith(() => parseCosmosKey(JSON.stringify(cosmosFile()).slice(0, 80)), 'OV_VALIDATOR_KEY_INVALID', 'not json');
    throwsWith(() => parseCosmosKey('[]'), 'OV_VALIDATOR_KEY_INVALID');
  });

  it('refuses non-canonical base64 (unpadded, or non-zero padding bits)', () => {
    const v = b64(PK); // 32 bytes: 43 characters and one '='; the last character carries 2 zero bits
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const tweaked = v.slice(0, 42) + alphabet[alphabet.indexOf(v[42]!) + 1]! + '=';
    expect(Buffer.from(tweaked, 'base64').equals(Buffer.from(PK))).toBe(true); // lenient decoders accept it
    for (const value of [v.slice(0, -1), tweaked]) {
      throwsWith(() => parseCosmosKey(JSON.stringify(cosmosFile({ pub_key: { type: 'tendermint/PubKeyEd25519', value } }))), 'OV_VALIDATOR_KEY_INVALID', 'pub_key.value');
    }
  });

  it('exportCosmosKey refuses keys of another chain or with a mismatched public key', () => {
    throwsWith(() => exportCosmosKey(generateKey('solana')), 'OV_VALIDATOR_KEY_INVALID');
    const k = generateKey('cosmos');
    throwsWith(() => exportCosmosKey({ ...k, publicKey: generateKey('cosmos').publicKey }), 'OV_VALIDATOR_KEY_INVALID');
  });
});

describe('Cosmos priv_validator_state.json', () => {
  it('round-trips the file CometBFT writes at init and a later state with signature', () => {
    const init = '{\n  "height": "0",\n  "round": 0,\n  "step": 0\n}';
    expect(parseCosmosState(init)).toEqual({ height: '0', round: 0, step: 0 });
    expect(exportCosmosState(parseCosmosState(init))).toBe(init);
    const later = { height: '9223372036854775807', round: 3, step: 3, signature: b64(new Uint8Array(64).fill(5)), signbytes: 'ab01' };
    const text = exportCosmosState(later);
    expect(parseCosmosState(text)).toEqual(later);
  });

  it('refuses malformed states', () => {
    const bad: unknown[] = [
      { height: 0, round: 0, step: 0 },
      { height: '-1', round: 0, step: 0 },
      { height: '01', round: 0, step: 0 },
      { height: '9223372036854775808', round: 0, step: 0 },
      { height: '1', round: -1, step: 0 },
      { height: '1', round: 0, step: 4 },
      { height: '1', round: 0.5, step: 0 },
      { height: '1', round: 0 },
      { height: '1', round: 0, step: 0, extra: true },
      { height: '1', round: 0, step: 0, signbytes: 'xyz' },
    ];
    for (const b of bad) throwsWith(() => parseCosmosState(JSON.stringify(b)), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => exportCosmosState({ height: 'x', round: 0, step: 0 }), 'OV_VALIDATOR_KEY_INVALID');
  });
});

describe('Solana keypair JSON', () => {
  const file = `[${[...SEED, ...PK].join(',')}]`;

  it('parses a keypair file and exports the same text', () => {
    const key = parseSolanaKeypair(file);
    expect(key.chain).toBe('solana');
    expect(toHex(key.secret)).toBe(toHex(SEED));
    expect(toHex(key.publicKey)).toBe(toHex(PK));
    expect(exportSolanaKeypair(key)).toBe(file);
    const fresh = generateKey('solana');
    expect(toHex(parseSolanaKeypair(exportSolanaKeypair(fresh)).publicKey)).toBe(toHex(fresh.publicKey));
  });

  it('computes the base58 address (checked against an independent encoder)', () => {
    // base58 by repeated division, written here independently of src/
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
    let x = BigInt(`0x${toHex(PK)}`);
    let s = '';
    while (x > 0n) {
      s = alphabet[Number(x % 58n)]! + s;
      x /= 58n;
    }
    for (const b of PK) {
      if (b !== 0) break;
      s = `1${s}`;
    }
    expect(solanaAddress(PK)).toBe(s);
    expect(formatPublicKey('solana', PK)).toBe(s);
  });

  it('refuses a seed/pubkey mismatch and malformed arrays', () => {
    const other = generateKey('solana');
    throwsWith(() => parseSolanaKeypair(`[${[...SEED, ...other.publicKey].join(',')}]`), 'OV_VALIDATOR_KEY_INVALID', 'seed does not give');
    throwsWith(() => parseSolanaKeypair(`[${[...SEED].join(',')}]`), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => parseSolanaKeypair(`[${[...SEED, ...PK.slice(0, 31), 256].join(',')}]`), 'OV_VALIDATOR_KEY_INVALID', '$[63]');
    throwsWith(() => parseSolanaKeypair(`[${[...SEED, ...PK.slice(0, 31), 1.5].join(',')}]`), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => parseSolanaKeypair(`[${[...SEED, ...PK.slice(0, 31)].join(',')},"1"]`), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => parseSolanaKeypair(file.slice(0, -1)), 'OV_VALIDATOR_KEY_INVALID', 'not json');
    throwsWith(() => parseSolanaKeypair('{}'), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => exportSolanaKeypair(generateKey('cosmos')), 'OV_VALIDATOR_KEY_INVALID');
  });
});

describe('public key text per chain', () => {
  it('formats and parses each chain', () => {
    const eth = generateKey('ethereum');
    const ethText = formatPublicKey('ethereum', eth.publicKey);
    expect(ethText).toBe(`0x${toHex(eth.publicKey)}`);
    expect(toHex(parsePublicKey('ethereum', ethText.toUpperCase().replace('0X', '0x')))).toBe(toHex(eth.publicKey));
    expect(toHex(parsePublicKey('ethereum', ethText.slice(2)))).toBe(toHex(eth.publicKey));
    expect(formatPublicKey('cosmos', PK)).toBe(b64(PK));
    expect(toHex(parsePublicKey('cosmos', b64(PK)))).toBe(toHex(PK));
    expect(toHex(parsePublicKey('solana', solanaAddress(PK)))).toBe(toHex(PK));
  });

  it('refuses wrong lengths and malformed text', () => {
    throwsWith(() => formatPublicKey('ethereum', PK), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => formatPublicKey('solana', new Uint8Array(48)), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => parsePublicKey('ethereum', '0x1234'), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => parsePublicKey('cosmos', 'not base64!'), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => parsePublicKey('solana', '0OIl'), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => parsePublicKey('solana', '1111'), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => formatPublicKey('bitcoin' as never, PK), 'OV_INVALID_ARGUMENT');
    throwsWith(() => formatPublicKey('toString' as never, PK), 'OV_INVALID_ARGUMENT');
    throwsWith(() => parsePublicKey('constructor' as never, 'x'), 'OV_INVALID_ARGUMENT');
  });
});
