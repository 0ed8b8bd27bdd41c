/**
 * cli/argv.ts: Vault's single-dash long flags become `--` flags before parseArgs, and
 * everything parseArgs read correctly before (short clusters, attached short values,
 * values after `--`) is left as it was.
 */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { normalizeArgs } from '../../../cli/argv.js';
import type { OptionSpecs } from '../../../cli/command.js';

const OPTIONS: OptionSpecs = {
  field: { type: 'string', short: 'f', help: '' },
  format: { type: 'string', help: '' },
  json: { type: 'boolean', help: '' },
  armor: { type: 'boolean', short: 'a', help: '' },
  output: { type: 'string', short: 'o', help: '' },
};

function parse(args: string[]): Record<string, unknown> {
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type, ...(o.short === undefined ? {} : { short: o.short }) }]),
  );
  const r = parseArgs({ args: normalizeArgs(args, OPTIONS), options, strict: true, allowPositionals: true });
  return { ...r.values, _: r.positionals };
}

describe('normalizeArgs', () => {
  it('reads -format=json, -field=x, -field x and -json as their long forms', () => {
    expect(parse(['-format=json', '-field=pass=word', '-json', 'p'])).toEqual({ format: 'json', field: 'pass=word', json: true, _: ['p'] });
    expect(parse(['-field', 'password'])).toEqual({ field: 'password', _: [] });
  });

  it('keeps short clusters, attached short values and one-letter flags', () => {
    expect(parse(['-ao', 'out.age'])).toEqual({ armor: true, output: 'out.age', _: [] });
    expect(parse(['-oout.age', '-a'])).toEqual({ output: 'out.age', armor: true, _: [] });
    expect(parse(['-f', 'password'])).toEqual({ field: 'password', _: [] });
  });

  it('leaves everything after -- alone', () => {
    expect(normalizeArgs(['-json', '--', '-format=json', '-json'], OPTIONS)).toEqual(['--json', '--', '-format=json', '-json']);
  });

  it('turns an unknown single-dash long flag into an unknown --flag, not a short option with a value', () => {
    expect(normalizeArgs(['-verbose', '-xy=1'], OPTIONS)).toEqual(['--verbose', '--xy=1']);
    expect(() => parse(['-verbose'])).toThrow(/--verbose/);
  });
});
