/**
 * Test helpers for the external known-answer vectors vendored in vectors/external (sources
 * and licences in its README), and for running a test against every crypto provider this
 * runtime offers.
 *
 * The vectors are part of the repository, so a missing file is always a failure: the
 * loaders throw while the suite is collected, which fails the test file. A loader that
 * finds zero cases throws too, so a renamed field or an emptied file can never pass.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { describe } from 'vitest';
import { getProvider, nativeAvailable } from '../../src/crypto/provider.js';
import type { CryptoProvider } from '../../src/crypto/types.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const vectorsDir = resolve(repoRoot, 'vectors/external');

/** CI is "set" unless empty, "0" or "false". */
export function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * `describe` for a suite built from external vectors. The body loads its files while the
 * suite is collected, so a missing or empty file fails the test file instead of leaving a
 * suite with no tests.
 */
export function describeVectors(title: string, body: () => void): void {
  describe(title, body);
}

/** A path inside vectors/external (absolute paths are taken as they are, for the helpers' own tests). */
export function vectorPath(rel: string): string {
  const p = isAbsolute(rel) ? rel : join(vectorsDir, rel);
  if (!existsSync(p)) throw new Error(`vector file missing: ${p}`);
  return p;
}

/** The files of a vectors/external folder whose names pass `keep`, sorted; none is an error. */
export function vectorFiles(relDir: string, keep: (name: string) => boolean = () => true): string[] {
  const dir = vectorPath(relDir);
  const names = readdirSync(dir).filter(keep).sort();
  return nonEmpty(names.map((n) => join(dir, n)), relDir);
}

export function readVectorText(rel: string): string {
  return readFileSync(vectorPath(rel), 'utf8');
}

export function loadJson(rel: string): unknown {
  return JSON.parse(readVectorText(rel)) as unknown;
}

export function hex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error(`not hex: ${s.slice(0, 20)}...`);
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function nonEmpty<T>(cases: T[], what: string): T[] {
  if (cases.length === 0) throw new Error(`${what}: loaded zero cases`);
  return cases;
}

/** A Wycheproof test joined with the fields of its group. */
export interface WycheproofCase<G, T> {
  readonly group: G;
  readonly test: T;
}

/**
 * Flattens a Wycheproof testvectors_v1 file. Checks the algorithm name and that the
 * number of tests matches the file's own `numberOfTests`.
 */
export function loadWycheproof<G extends object, T extends { tcId: number; result: string }>(
  rel: string,
  algorithm: string,
): WycheproofCase<G, T>[] {
  const file = loadJson(rel) as { algorithm: string; numberOfTests: number; testGroups: (G & { tests: T[] })[] };
  if (file.algorithm !== algorithm) throw new Error(`${rel}: algorithm ${file.algorithm}, expected ${algorithm}`);
  const cases = file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })));
  if (cases.length !== file.numberOfTests) throw new Error(`${rel}: ${cases.length} tests, file says ${file.numberOfTests}`);
  for (const { test } of cases) {
    if (!['valid', 'invalid', 'acceptable'].includes(test.result)) throw new Error(`${rel}: tcId ${test.tcId} has result ${test.result}`);
  }
  return nonEmpty(cases, rel);
}

/**
 * Parses `key = value` records (NIST .rsp KAT files, CCTV text vectors). A record ends
 * at a blank line or when a key repeats; `#` lines are comments.
 */
export function loadKeyValueRecords(rel: string): Record<string, string>[] {
  const records: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  const flush = (): void => {
    if (Object.keys(current).length > 0) records.push(current);
    current = {};
  };
  for (const raw of readVectorText(rel).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`${rel}: cannot parse line "${line.slice(0, 40)}"`);
    const [, key, value] = m as unknown as [string, string, string];
    if (Object.hasOwn(current, key)) flush();
    current[key] = value;
  }
  flush();
  return nonEmpty(records, rel);
}

/** Node >= major.minor? */
export function nodeAtLeast(major: number, minor: number): boolean {
  const [maj = 0, min = 0] = process.versions.node.split('.').map(Number);
  return maj > major || (maj === major && min >= minor);
}

/**
 * The providers this runtime can test: noble always, native when available. Under CI on
 * Node >= 24.7 a missing native provider is a failure, never a silent skip.
 */
export function testProviders(): CryptoProvider[] {
  assertNativeWhereExpected();
  return nativeAvailable() ? [getProvider('noble'), getProvider('native')] : [getProvider('noble')];
}

export function assertNativeWhereExpected(): void {
  if (inCI() && nodeAtLeast(24, 7) && !nativeAvailable()) {
    throw new Error(`Node ${process.versions.node} should have native ML-KEM/ML-DSA but the native provider is unavailable`);
  }
}
