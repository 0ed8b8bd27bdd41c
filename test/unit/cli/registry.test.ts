/**
 * The command table (cli/registry.ts) is the one place a command's summary is written:
 * top-level help, group help and each command's `--help` read it from there. This checks
 * what could still drift: that each entry's module is the command the table names, that
 * no module carries a summary of its own, and that every help shows the table's summary.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../../cli/command.js';
import { commandHelp, groupHelp, topHelp } from '../../../cli/help.js';
import { REGISTRY } from '../../../cli/registry.js';

interface Row {
  readonly path: string;
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

const rows: Row[] = REGISTRY.flatMap((e) =>
  e.kind === 'command'
    ? [{ path: `vault ${e.name}`, name: e.name, summary: e.summary, load: e.load }]
    : Object.entries(e.commands).map(([name, c]) => ({ path: `vault ${e.name} ${name}`, name, summary: c.summary, load: c.load })),
);

describe('cli/registry.ts', () => {
  it('each entry loads the command it names, and no command module has a summary of its own', async () => {
    expect(rows.length).toBeGreaterThan(40);
    for (const r of rows) {
      const c = await r.load();
      expect(c.name, r.path).toBe(r.name);
      expect(Object.hasOwn(c, 'summary'), r.path).toBe(false);
    }
  });

  it('summaries are one lowercase line without a final period', () => {
    for (const s of [...REGISTRY.map((e) => e.summary), ...rows.map((r) => r.summary)]) {
      expect(s, s).toMatch(/^[a-z][^\n]{4,99}$/);
      expect(s.endsWith('.'), s).toBe(false);
    }
  });

  it('top-level, group and command help all show the summary from the table', async () => {
    const top = topHelp('0.0.0');
    for (const e of REGISTRY) expect(top).toContain(e.summary);
    for (const e of REGISTRY) {
      if (e.kind !== 'group') continue;
      const help = groupHelp(e);
      for (const c of Object.values(e.commands)) expect(help).toContain(c.summary);
    }
    for (const r of rows) {
      const text = commandHelp(r.path, r.summary, await r.load());
      expect(text, r.path).toContain(`\n\n${r.summary[0]?.toUpperCase() ?? ''}${r.summary.slice(1)}.\n\nOptions:`);
    }
  });
});
