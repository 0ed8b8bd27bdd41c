/**
 * The shared shape of the item operations: a single request or `batch_input`, one key
 * lookup, each version opened once, and per-item errors in a batch.
 * @module
 */
import { checkOptions } from '../util/options.js';
import { VaultError } from '../errors.js';
import type { TransitPurpose } from './keys.js';
import type { BatchError, BatchResult, TransitResult } from './types.js';
import { arg, audit, isRecord } from './inputs.js';
import { type Key, keyOf, Opened, type TransitContext } from './material.js';

const MAX_BATCH = 1000;

/** Splits a request into its items: `batch_input` alone, or one item. */
function itemsOf(req: unknown, keys: readonly string[], what: string): { items: Record<string, unknown>[]; batch: boolean } {
  if (!isRecord(req)) throw arg(what);
  if ('batch_input' in req) {
    checkOptions(req, ['batch_input'], what);
    const list = req['batch_input'];
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH) throw arg('batch_input');
    return { items: list as Record<string, unknown>[], batch: true };
  }
  checkOptions(req, keys, what);
  return { items: [req], batch: false };
}

function toBatchError(e: unknown): BatchError {
  if (!(e instanceof VaultError) || e.code === 'OV_SEALED' || e.code === 'OV_TRANSIT_KEY_UNREADABLE') throw e;
  return { error: { code: e.code, message: e.message } };
}

/** The shared shape of the item operations: one key lookup, per-item errors in a batch. */
export function run<R>(
  ctx: TransitContext,
  operation: string,
  name: string,
  req: unknown,
  purpose: TransitPurpose | readonly TransitPurpose[],
  keys: readonly string[],
  /** `from`: a second version the item used (rewrap's source). */
  one: (key: Key, opened: Opened, item: Record<string, unknown>) => { data: R; version: number; from?: number },
): TransitResult<R | BatchResult<R>> {
  const key = keyOf(ctx, name, purpose);
  const { items, batch } = itemsOf(req, keys, operation);
  ctx.sealed.keyring();
  const opened = new Opened(ctx, key);
  const versions = new Set<number>();
  try {
    if (!batch) {
      const { data, version, from } = one(key, opened, items[0] as Record<string, unknown>);
      versions.add(version);
      if (from !== undefined) versions.add(from);
      return { data, audit: audit(operation, name, [...versions]) };
    }
    let errors = 0;
    const results = items.map((item, i): R | BatchError => {
      try {
        if (!isRecord(item)) throw arg(`batch_input.${i}`);
        checkOptions(item, keys, `batch_input.${i}`);
        const { data, version, from } = one(key, opened, item);
        versions.add(version);
        if (from !== undefined) versions.add(from);
        return data;
      } catch (e) {
        errors++;
        return toBatchError(e);
      }
    });
    return { data: { batch_results: results }, audit: { ...audit(operation, name, [...versions]), count: items.length, errors } };
  } finally {
    opened.wipe();
  }
}
