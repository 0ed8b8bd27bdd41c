/**
 * docs/cli.md covers every command of the `vault` table (cli/registry.ts): each one is
 * named there as it is typed (`vault secrets get`, `vault run`) with a usage line or an
 * example, and the document shows no `vault` group command that does not exist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../../cli/registry.js';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/cli.md'), 'utf8');

/** Every command as typed: `vault status`, `vault secrets get`, ... */
function commands(): string[] {
  return REGISTRY.flatMap((e) => (e.kind === 'command' ? [`vault ${e.name}`] : Object.keys(e.commands).map((c) => `vault ${e.name} ${c}`)));
}

describe('docs/cli.md', () => {
  it('names every command of the registry (more than 40 of them)', () => {
    const all = commands();
    expect(all.length).toBeGreaterThan(40);
    const missing = all.filter((c) => !new RegExp(`${c.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}(?![a-z-])`).test(doc));
    expect(missing).toEqual([]);
  });

  it('names no group command that does not exist', () => {
    const known = new Set(commands());
    const groups = new Set(REGISTRY.filter((e) => e.kind === 'group').map((e) => e.name));
    // As typed: at the start of a line (examples) or of a code span; prose may say "a vault envelope".
    const named = [...doc.matchAll(/(?:^|`)vault ([a-z]+) ([a-z][a-z-]*)/gm)].filter((m) => groups.has(m[1] as string)).map((m) => `vault ${m[1]} ${m[2]}`);
    expect(named.length).toBeGreaterThan(40);
    expect([...new Set(named.filter((c) => !known.has(c)))]).toEqual([]);
  });
});
