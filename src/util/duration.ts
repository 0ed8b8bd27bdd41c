/**
 * Duration strings as configuration and requests write them (`15m`, `1h30m`, `500ms`):
 * parsed once here so the config loader and the session rules agree on one grammar.
 * @module
 */

/** Units d, h, m, s, ms, largest first, each at most once. */
export const DURATION_PATTERN = '^(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?$';

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const DURATION_RE = new RegExp(DURATION_PATTERN);

/**
 * Milliseconds in a duration string: units d, h, m, s, ms, largest first, each at most
 * once (`1h30m`, `90s`, `500ms`). Undefined for anything else, including '' and a bare
 * number (a unit-less "15" is ambiguous, so it is refused rather than guessed).
 */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64 || !DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|d|h|m|s)/g)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The shortest duration string for `ms` (`3600000` -> `1h`), for messages and docs. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

