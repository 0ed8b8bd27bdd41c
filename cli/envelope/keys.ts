/**
 * Shared helpers of the `vault envelope` commands: algorithm names as typed on the command
 * line, loading public and secret key files (armored or binary), recipients given as
 * `age1pq1...` strings, age recipients and identities (strings, age's recipient and
 * identity files, or X-Wing key files), and the lazy import of the envelope library (so
 * `--help` never loads the crypto stack).
 * @module
 */
import type { KemName, SignatureName } from '../../src/crypto/types.js';
import type * as AgeLib from '../../src/envelope/age.js';
import type { AgeIdentity, AgeRecipient } from '../../src/envelope/age.js';
import type * as EnvelopeIndex from '../../src/envelope/index.js';
import type { PublicKeyInfo, SecretKeyInfo } from '../../src/envelope/index.js';
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { MAX_KEY_FILE_BYTES, isStdio, quotePath, readFileCapped, readInput, readSecretFile } from '../io.js';

export type KeyAlg = KemName | SignatureName;

/** Command-line spelling -> library name. ML-KEM-768 alone has no envelope suite, so it is not offered. */
export const CLI_ALGS = {
  'x-wing': 'X-Wing',
  'ml-kem-1024': 'ML-KEM-1024',
  'ml-dsa-65': 'ML-DSA-65',
  'ml-dsa-87': 'ML-DSA-87',
  'falcon-512': 'Falcon-512-r3',
  'falcon-1024': 'Falcon-1024-r3',
} as const satisfies Record<string, KeyAlg>;

export type CliAlg = keyof typeof CLI_ALGS;

export function parseAlg(name: string, commandPath: string): (typeof CLI_ALGS)[CliAlg] {
  const alg = Object.hasOwn(CLI_ALGS, name) ? CLI_ALGS[name as CliAlg] : undefined;
  if (alg === undefined) {
    throw new CliError('OV_ALGORITHM_UNSUPPORTED', {
      reason: '--alg',
      hints: [`choose one of ${Object.keys(CLI_ALGS).join(', ')} (see '${commandPath} --help')`],
    });
  }
  return alg;
}

/** Library name -> command-line spelling (for output). */
export function cliAlgName(alg: string): string {
  for (const [cli, lib] of Object.entries(CLI_ALGS)) if (lib === alg) return cli;
  return alg.toLowerCase();
}

export type EnvelopeLib = typeof EnvelopeIndex;

let lib: Promise<EnvelopeLib> | undefined;
export function envelopeLib(): Promise<EnvelopeLib> {
  lib ??= import('../../src/envelope/index.js');
  return lib;
}

const ARMOR_BEGIN = '-----BEGIN ONTOREF ';

/**
 * Decodes a key file: binary, or armored. An armored file may hold several blocks (keygen
 * without -o writes the secret key followed by its public key); the block with `label` is
 * taken and checked strictly by `dearmor`.
 */
async function decodeKeyFile(
  ctx: CommandContext<unknown>,
  data: Uint8Array,
  label: 'PUBLIC KEY' | 'SECRET KEY',
): Promise<PublicKeyInfo | SecretKeyInfo> {
  const env = await envelopeLib();
  // decodeKey re-derives public keys from secret keys: with the provider the user chose.
  const provider = await ctx.provider();
  if (!env.isArmored(data)) return env.decodeKey(data, provider);
  const text = Buffer.from(data).toString('utf8');
  const begin = `${ARMOR_BEGIN}${label}-----\n`;
  const end = `-----END ONTOREF ${label}-----\n`;
  const start = text.indexOf(begin);
  const stop = start < 0 ? -1 : text.indexOf(end, start);
  if (start < 0 || stop < 0 || text.indexOf(begin, start + begin.length) >= 0) {
    throw new CliError('OV_KEY_INVALID', { reason: `expected one ${label.toLowerCase()} block` });
  }
  return env.decodeKey(env.dearmor(text.slice(start, stop + end.length), label), provider);
}

/** Armored or binary public key (kind codes 1 and 3 of the key file format). */
function looksLikePublicKey(data: Uint8Array): boolean {
  const text = Buffer.from(data.subarray(0, 40)).toString('latin1');
  if (text.startsWith(`${ARMOR_BEGIN}PUBLIC KEY-----`)) return true;
  return text.startsWith('ORVK') && (data[5] === 1 || data[5] === 3);
}

function wrongKind(path: string | undefined, want: string): CliError {
  return new CliError('OV_KEY_INVALID', { reason: `${isStdio(path) ? 'stdin' : quotePath(path)} is not ${want}` });
}

const KIND_TEXT = {
  'kem-secret': 'an encryption secret key',
  'sig-secret': 'a signing secret key',
  'kem-public': 'an encryption public key',
  'sig-public': 'a signature public key',
} as const;

function readSecretKeyFile(ctx: CommandContext<unknown>, path: string | undefined, want: string): Promise<Uint8Array> {
  return readSecretFile(ctx, path, { explainUnsafe: (d) => (looksLikePublicKey(d) ? wrongKind(path, want) : undefined) });
}

async function decodeSecretKey(
  ctx: CommandContext<unknown>,
  data: Uint8Array,
  path: string | undefined,
  kind: 'kem-secret' | 'sig-secret' | undefined,
): Promise<SecretKeyInfo> {
  const key = await decodeKeyFile(ctx, data, 'SECRET KEY');
  if (key.kind !== 'kem-secret' && key.kind !== 'sig-secret') throw wrongKind(path, 'a secret key');
  if (kind !== undefined && key.kind !== kind) throw wrongKind(path, KIND_TEXT[kind]);
  return key;
}

/** Reads a secret key file (permission-checked) and checks its kind when `kind` is given. */
export async function loadSecretKey(
  ctx: CommandContext<unknown>,
  path: string | undefined,
  kind?: 'kem-secret' | 'sig-secret',
): Promise<SecretKeyInfo> {
  const data = await readSecretKeyFile(ctx, path, kind === undefined ? 'a secret key' : KIND_TEXT[kind]);
  try {
    return await decodeSecretKey(ctx, data, path, kind);
  } finally {
    data.fill(0);
  }
}

let ageLib: Promise<typeof AgeLib> | undefined;
export function ageLibrary(): Promise<typeof AgeLib> {
  ageLib ??= import('../../src/envelope/age.js');
  return ageLib;
}

/** What `open --key` names: a vault secret key file, or age identities from an age identity file. */
export type OpenKey = { readonly kind: 'vault'; readonly key: SecretKeyInfo } | { readonly kind: 'age'; readonly identities: readonly AgeIdentity[] };

/**
 * `open --key`: an age identity file (`AGE-SECRET-KEY-PQ-1...` / `AGE-SECRET-KEY-1...`
 * lines, as `age-keygen` writes them) or a vault encryption secret key file; either way
 * permission-checked like every secret key file.
 */
export async function loadOpenKey(ctx: CommandContext<unknown>, path: string | undefined): Promise<OpenKey> {
  const data = await readSecretKeyFile(ctx, path, KIND_TEXT['kem-secret']);
  try {
    const age = await ageLibrary();
    const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
    if (age.looksLikeAgeIdentityFile(text)) return { kind: 'age', identities: age.parseAgeIdentityFile(text) };
    return { kind: 'vault', key: await decodeSecretKey(ctx, data, path, 'kem-secret') };
  } finally {
    data.fill(0);
  }
}

/** The age identities of an `open --key`: an X-Wing vault key is an `mlkem768x25519` identity. */
export function ageIdentitiesOf(key: OpenKey, path: string | undefined): readonly AgeIdentity[] {
  if (key.kind === 'age') return key.identities;
  if (key.key.alg !== 'X-Wing') throw wrongKind(path, 'an age identity file or an x-wing secret key');
  return [{ type: 'mlkem768x25519', seed: key.key.secretKey }];
}

/**
 * `seal --age -r`: an `age1pq1...` / `age1...` string, or a file holding either a vault
 * X-Wing public key or recipient lines as age's `-R` files do (`#` comments and blank
 * lines ignored).
 */
export async function loadAgeRecipients(ctx: CommandContext<unknown>, specs: readonly string[]): Promise<AgeRecipient[]> {
  const age = await ageLibrary();
  const out: AgeRecipient[] = [];
  for (const spec of specs) {
    if (spec.startsWith('age1')) {
      out.push(age.parseAgeRecipient(spec));
      continue;
    }
    const data = isStdio(spec) ? await readInput(ctx, spec, { max: MAX_KEY_FILE_BYTES }) : await readFileCapped(spec, MAX_KEY_FILE_BYTES);
    if (looksLikePublicKey(data)) {
      const key = await decodeKeyFile(ctx, data, 'PUBLIC KEY');
      if (key.kind !== 'kem-public' || key.alg !== 'X-Wing') throw wrongKind(spec, 'an x-wing public key or an age recipients file');
      out.push({ type: 'mlkem768x25519', publicKey: key.publicKey });
      continue;
    }
    const lines = Buffer.from(data).toString('latin1').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const before = out.length;
    for (const line of lines) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      try {
        out.push(age.parseAgeRecipient(line));
      } catch {
        throw wrongKind(spec, 'an x-wing public key or an age recipients file');
      }
    }
    if (out.length === before) throw wrongKind(spec, 'an x-wing public key or an age recipients file');
  }
  return out;
}

/** Reads a public key file and checks its kind. */
export async function loadPublicKey(
  ctx: CommandContext<unknown>,
  path: string,
  kind: 'kem-public' | 'sig-public',
): Promise<PublicKeyInfo> {
  const data = isStdio(path) ? await readInput(ctx, path, { max: MAX_KEY_FILE_BYTES }) : await readFileCapped(path, MAX_KEY_FILE_BYTES);
  const key = await decodeKeyFile(ctx, data, 'PUBLIC KEY');
  if (key.kind !== kind) throw wrongKind(path, KIND_TEXT[kind]);
  return key;
}

/** `--to`: an `age1pq1...` recipient string, or a public key file. */
export async function loadRecipient(ctx: CommandContext<unknown>, to: string): Promise<PublicKeyInfo> {
  const { looksLikeAgeRecipient, decodeAgeRecipient } = await import('../../src/envelope/age.js');
  if (!looksLikeAgeRecipient(to)) return loadPublicKey(ctx, to, 'kem-public');
  const publicKey = decodeAgeRecipient(to);
  // An age recipient is a bare X-Wing public key: give it the key id any key file of the
  // same key would carry, and version 1 like offline keygen.
  const { deriveKeyId } = await import('../../src/envelope/keys.js');
  return Object.freeze({ kind: 'kem-public', alg: 'X-Wing', keyVersion: 1, keyId: deriveKeyId('X-Wing', publicKey), publicKey });
}
