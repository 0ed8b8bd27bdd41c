/**
 * Option objects are checked for keys the caller did not mean to set: a typo
 * (`{ verfiy: [...] }`) must fail loudly, never silently fall back to a weaker default.
 * @module
 */
import { VaultError } from '../errors.js';

/** OV_INVALID_ARGUMENT naming `what.key` for the first key of `opts` not in `allowed`. */
export function checkOptions(opts: object, allowed: readonly string[], what: string): void {
  if (typeof opts !== 'object' || opts === null) throw new VaultError('OV_INVALID_ARGUMENT', { field: what });
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new VaultError('OV_INVALID_ARGUMENT', { field: `${what}.${k}`, reason: 'unknown option' });
  }
}
