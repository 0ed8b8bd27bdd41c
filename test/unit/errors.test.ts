/**
 * The error registry, its docs and its users must agree: every code in src/errors.ts has
 * exactly one row in docs/errors.md with the same status and message, the docs list no
 * code the registry lacks, and every code the sources raise exists in the registry.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, VaultError, isVaultError, type ErrorCode } from '../../src/errors.js';

const root = resolve(import.meta.dirname, '../..');

function docRows(): Map<string, { status: number; message: string }> {
  const rows = new Map<string, { status: number; message: string }>();
  for (const line of readFileSync(join(root, 'docs/errors.md'), 'utf8').split('\n')) {
    const m = /^\| (OV_[A-Z0-9_]+) \| (\d{3}) \| ([^|]+?) \|/.exec(line);
    if (!m) continue;
    const [, code, status, message] = m;
    expect(rows.has(code!), `duplicate row for ${code}`).toBe(false);
    rows.set(code!, { status: Number(status), message: message! });
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error registry', () => {
  it('has a docs row with the same status and message for every code', () => {
    const rows = docRows();
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(rows.get(code), `docs/errors.md lacks ${code}`).toEqual({ status: spec.status, message: spec.message });
    }
    expect([...rows.keys()].filter((c) => !(c in ERRORS))).toEqual([]);
  });

  it('keeps messages in house style: lowercase start, no trailing period', () => {
    for (const { message } of Object.values(ERRORS)) {
      expect(message).toMatch(/^[a-z]/);
      expect(message).not.toMatch(/\.$/);
    }
  });

  it('knows every code the sources raise', () => {
    const used = new Set<string>();
    for (const file of [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'cli'))]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/['"](OV_[A-Z0-9_]+)['"]/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((c) => !(c in ERRORS))).toEqual([]);
  });

  it('builds errors carrying code, status and frozen detail', () => {
    const code: ErrorCode = 'OV_ENVELOPE_TOO_LARGE';
    const e = new VaultError(code, { limit: 10 });
    expect(e.message).toBe('envelope exceeds the size limit');
    expect(e.status).toBe(413);
    expect(Object.isFrozen(e.detail)).toBe(true);
    expect(isVaultError(e, 'OV_ENVELOPE_TOO_LARGE')).toBe(true);
    expect(isVaultError(e, 'OV_IO')).toBe(false);
    expect(isVaultError(new Error('x'))).toBe(false);
  });
});
