/**
 * The leak check every CLI suite ends with: across every run in the transcript, no
 * plaintext reached stderr or argv (nor stdout, except where the run was asked to print
 * it) and no secret key material reached any stream or argv.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { dearmor, decodeKey, type SecretKeyInfo } from '../../src/envelope/index.js';
import type { CliResult } from './cli.js';

export interface LeakCheck {
  readonly transcript: readonly CliResult[];
  /** Vault secret key files (armored), or `.age` identity files, made by the suite. */
  readonly secretFiles: readonly string[];
  readonly plaintexts: readonly string[];
  /** Runs whose stdout may carry a plaintext (an `open` asked to print it). */
  readonly mayPrint?: (r: CliResult) => boolean;
}

/** The strings that would betray a secret key file's secret part. */
function secretNeedles(files: readonly string[]): string[] {
  const needles: string[] = [];
  const publicLines = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.age')) {
      needles.push(/^(AGE-SECRET-KEY-PQ-1[0-9A-Z]+)$/m.exec(text)![1]!);
      continue;
    }
    const pub = existsSync(`${file}.pub`) ? readFileSync(`${file}.pub`, 'utf8') : '';
    for (const l of pub.split('\n')) publicLines.add(l);
    const sk = (decodeKey(dearmor(text, 'SECRET KEY')) as SecretKeyInfo).secretKey;
    needles.push(Buffer.from(sk).toString('hex'), Buffer.from(sk).toString('base64'));
    // Armor lines that carry secret bytes (those not shared with the public key file).
    for (const l of text.split('\n')) if (l.length === 64 && !publicLines.has(l)) needles.push(l);
  }
  return needles;
}

export function expectNoLeaks(c: LeakCheck): void {
  const needles = secretNeedles(c.secretFiles);
  expect(needles.length).toBeGreaterThan(0);
  const plaintexts = c.plaintexts.map((p) => p.trim());
  for (const r of c.transcript) {
    const what = `vault ${r.args.join(' ')}`;
    const stdout = r.stdout.toString('latin1');
    for (const p of plaintexts) {
      expect(r.stderr.includes(p), `${what}: plaintext on stderr`).toBe(false);
      if (c.mayPrint?.(r) !== true) expect(stdout.includes(p), `${what}: plaintext on stdout`).toBe(false);
      expect(r.args.some((a) => a.includes(p)), `${what}: plaintext in argv`).toBe(false);
    }
    for (const s of needles) {
      expect(r.stderr.includes(s), `${what}: secret key material on stderr`).toBe(false);
      // keygen without -o prints a fresh key (not one of the files above) to stdout.
      expect(stdout.includes(s), `${what}: secret key material on stdout`).toBe(false);
      expect(r.args.some((a) => a.includes(s)), `${what}: secret in argv`).toBe(false);
    }
  }
}
