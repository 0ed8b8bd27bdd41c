/**
 * What `vault audit list` and `vault audit tail` share: the options that filter entries
 * and the one-line rendering of an entry.
 * @module
 */
import type { AuditEntry } from '../../src/api/sys.js';
import { CliError } from '../errors.js';
import { clean } from '../connect/format.js';

/** RFC 3339 with a zone, as the daemon accepts it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** `--since T`, checked here so a typo is named before any request. */
export function sinceOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: '--since must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z' });
  }
  return value;
}

/** One line: time, seq, type, method, path, status, code, who, then the detail as JSON. */
export function entryLine(e: AuditEntry): string {
  const f = e.entry;
  const who = f['session'] ?? f['apiKey'];
  const detail = f['detail'] === undefined ? '' : ` ${clean(JSON.stringify(f['detail']))}`;
  return `${e.time} #${e.seq} ${clean(f['type'])} ${clean(f['method'])} ${clean(f['path'])} ${clean(f['status'])} ${clean(f['code'])} ${clean(who)}${detail}\n`;
}
