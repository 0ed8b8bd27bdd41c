/**
 * Key generation and derivation: EIP-2333 test cases (master and child keys), BIP-39
 * mnemonic -> seed (the EIP-2333 test case 0 mnemonic), EIP-2334 signing paths, random
 * keys per chain, and the BLS / Ed25519 primitives behind them (RFC 8032 test 1,
 * sign/verify round trips).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLS_CURVE_ORDER, blsPublicKey, blsPublicKeyValid, blsSecretValid, blsSign, blsVerify, eip2333Child, eip2333Master } from '../../../src/crypto/bls.js';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from '../../../src/crypto/ed25519.js';
import { deriveEth2Key, generateKey, mnemonicToSeed } from '../../../src/validators/keygen.js';
import { hex, toHex } from '../../helpers/vectors.js';
import { throwsWith } from './format-helpers.js';

const dec = (b: Uint8Array): string => BigInt(`0x${toHex(b)}`).toString(10);

// EIP-2333 "Test Cases" (ethereum/EIPs, EIPS/eip-2333.md; CC0): seed -> master_SK ->
// child_SK at child_index, secret keys as decimal integers.
const EIP2333 = [
  {
    seed: 'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04',
    master: '6083874454709270928345386274498605044986640685124978867557563392430687146096',
    index: 0,
    child: '20397789859736650942317412262472558107875392172444076792671091975210932703118',
  },
  {
    seed: '3141592653589793238462643383279502884197169399375105820974944592',
    master: '29757020647961307431480504535336562678282505419141012933316116377660817309383',
    index: 3141592653,
    child: '25457201688850691947727629385191704516744796114925897962676248250929345014287',
  },
  {
    seed: '0099FF991111002299DD7744EE3355BBDD8844115566CC55663355668888CC00',
    master: '27580842291869792442942448775674722299803720648445448686099262467207037398656',
    index: 4294967295,
    child: '29358610794459428860402234341874281240803786294062035874021252734817515685787',
  },
  {
    seed: 'd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3',
    master: '19022158461524446591288038168518313374041767046816487870552872741050760015818',
    index: 42,
    child: '31372231650479070279774297061823572166496564838472787488249775572789064611981',
  },
];

describe('EIP-2333 test cases', () => {
  it.each(EIP2333.map((c, i) => [i, c] as const))('test case %i: master and child keys', (_i, c) => {
    const master = eip2333Master(hex(c.seed));
    expect(dec(master)).toBe(c.master);
    expect(dec(eip2333Child(master, c.index))).toBe(c.child);
  });

  it('refuses short seeds and out-of-range indices', () => {
    expect(() => eip2333Master(new Uint8Array(31))).toThrow(RangeError);
    const m = eip2333Master(new Uint8Array(32));
    expect(() => eip2333Child(m, 2 ** 32)).toThrow(RangeError);
    expect(() => eip2333Child(m, -1)).toThrow(RangeError);
    throwsWith(() => deriveEth2Key(new Uint8Array(32), 2 ** 32), 'OV_INVALID_ARGUMENT');
    throwsWith(() => deriveEth2Key(new Uint8Array(16), 0), 'OV_INVALID_ARGUMENT');
  });
});

describe('BIP-39 mnemonic -> seed', () => {
  const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

  it('gives the EIP-2333 test case 0 seed for its mnemonic and passphrase', () => {
    expect(toHex(mnemonicToSeed(MNEMONIC, 'TREZOR'))).toBe(EIP2333[0]!.seed);
    // extra whitespace is normalised away
    expect(toHex(mnemonicToSeed(`  ${MNEMONIC.replaceAll(' ', '\n ')} `, 'TREZOR'))).toBe(EIP2333[0]!.seed);
  });

  it('the passphrase changes the seed', () => {
    expect(toHex(mnemonicToSeed(MNEMONIC))).not.toBe(EIP2333[0]!.seed);
  });

  it('refuses an unknown word and a bad checksum with OV_VALIDATOR_KEY_INVALID', () => {
    throwsWith(() => mnemonicToSeed(MNEMONIC.replace('about', 'aboot')), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => mnemonicToSeed(MNEMONIC.replace('about', 'abandon')), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => mnemonicToSeed('abandon abandon abandon'), 'OV_VALIDATOR_KEY_INVALID');
    throwsWith(() => mnemonicToSeed('x'.repeat(2000)), 'OV_INVALID_ARGUMENT');
  });
});

describe('EIP-2334 validator signing keys', () => {
  const seed = mnemonicToSeed('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about', 'TREZOR');

  it('derives m/12381/3600/i/0/0 step by step', () => {
    let sk = eip2333Master(seed);
    for (const i of [12381, 3600, 7, 0, 0]) sk = eip2333Child(sk, i);
    const key = deriveEth2Key(seed, 7);
    expect(toHex(key.secret)).toBe(toHex(sk));
    expect(toHex(key.publicKey)).toBe(toHex(blsPublicKey(sk)));
    expect(key.path).toBe('m/12381/3600/7/0/0');
    expect(key.chain).toBe('ethereum');
    expect(key.keyType).toBe('BLS12-381');
  });

  it('is deterministic and index-separated', () => {
    expect(toHex(deriveEth2Key(seed, 0).secret)).toBe(toHex(deriveEth2Key(seed, 0).secret));
    expect(toHex(deriveEth2Key(seed, 0).secret)).not.toBe(toHex(deriveEth2Key(seed, 1).secret));
  });
});

describe('random keys per chain', () => {
  it('ethereum: a valid scalar, a valid 48-byte G1 key, and a working signature', () => {
    const k = generateKey('ethereum');
    expect(k.secret.length).toBe(32);
    expect(blsSecretValid(k.secret)).toBe(true);
    expect(k.publicKey.length).toBe(48);
    expect(blsPublicKeyValid(k.publicKey)).toBe(true);
    const msg = new TextEncoder().encode('attestation');
    const sig = blsSign(msg, k.secret);
    expect(sig.length).toBe(96);
    expect(blsVerify(sig, msg, k.publicKey)).toBe(true);
    expect(blsVerify(sig, new TextEncoder().encode('other'), k.publicKey)).toBe(false);
    expect(blsVerify(sig, msg, generateKey('ethereum').publicKey)).toBe(false);
    expect(blsVerify(new Uint8Array(96), msg, k.publicKey)).toBe(false);
  });

  it.each(['cosmos', 'solana'] as const)('%s: an Ed25519 seed whose public key signs', (chain) => {
    const k = generateKey(chain);
    expect(k.keyType).toBe('Ed25519');
    expect(k.secret.length).toBe(32);
    expect(toHex(k.publicKey)).toBe(toHex(ed25519PublicKey(k.secret)));
    const sig = ed25519Sign(new Uint8Array([1, 2, 3]), k.secret);
    expect(ed25519Verify(sig, new Uint8Array([1, 2, 3]), k.publicKey)).toBe(true);
    expect(ed25519Verify(sig, new Uint8Array([1, 2, 4]), k.publicKey)).toBe(false);
  });

  it('gives different keys each call and refuses unknown chains', () => {
    expect(toHex(generateKey('ethereum').secret)).not.toBe(toHex(generateKey('ethereum').secret));
    throwsWith(() => generateKey('bitcoin' as never), 'OV_INVALID_ARGUMENT');
  });
});

describe('primitives', () => {
  it('Ed25519 matches RFC 8032 test 1 (empty message)', () => {
    const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    expect(toHex(ed25519PublicKey(seed))).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(toHex(ed25519Sign(new Uint8Array(0), seed))).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('BLS secret range on bytes agrees with the integer comparison, also next to r', () => {
    const asInt = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex')}`);
    const near = (d: bigint): Uint8Array => hex((BLS_CURVE_ORDER + d).toString(16).padStart(64, '0'));
    const cases = [...Array.from({ length: 2000 }, () => randomBytes(32)), ...[-3n, -2n, -1n, 0n, 1n, 2n, 1n << 64n].map(near)];
    // Random values whose leading bytes equal r's, so the decision falls on a later byte.
    for (let k = 1; k < 32; k++) {
      const c = near(0n);
      c.set(randomBytes(32 - k), k);
      cases.push(c);
    }
    for (const c of cases) expect(blsSecretValid(c), Buffer.from(c).toString('hex')).toBe(asInt(c) > 0n && asInt(c) < BLS_CURVE_ORDER);
  });

  it('BLS secret range: 0 and r are refused, 1 and r - 1 accepted', () => {
    const r = hex(BLS_CURVE_ORDER.toString(16).padStart(64, '0'));
    const rMinus1 = hex((BLS_CURVE_ORDER - 1n).toString(16).padStart(64, '0'));
    const one = new Uint8Array(32);
    one[31] = 1;
    expect(blsSecretValid(new Uint8Array(32))).toBe(false);
    expect(blsSecretValid(r)).toBe(false);
    expect(blsSecretValid(one)).toBe(true);
    expect(blsSecretValid(rMinus1)).toBe(true);
    expect(blsSecretValid(hex((BLS_CURVE_ORDER + 1n).toString(16).padStart(64, '0')))).toBe(false);
    expect(blsSecretValid(new Uint8Array(32).fill(0xff))).toBe(false);
    expect(blsSecretValid(new Uint8Array(31).fill(1))).toBe(false);
    expect(() => blsPublicKey(r)).toThrow(RangeError);
    // the G1 generator, compressed, is the public key of 1
    expect(toHex(blsPublicKey(one))).toBe(
      '97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb',
    );
  });
});
