/**
 * Where the daemon listens, and where the client and the CLI look for it, unless the
 * config file or ONTOREF_ADDR says otherwise. One constant, so the three cannot disagree.
 * @module
 */

export const DEFAULT_ADDR = 'http://127.0.0.1:8420';

/** Most addresses one `ONTOREF_ADDR` list may name. */
export const MAX_ADDRS = 16;

/**
 * The entries of an address list, `https://a:8420,https://b:8420` (spaces around an entry
 * are dropped), or the problem with it: an empty entry or more than {@link MAX_ADDRS}. A
 * comma therefore cannot appear inside one address. The client tries the entries in
 * order; the daemon listens on the first.
 */
export function splitAddrList(text: string): readonly string[] | { readonly problem: string } {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length > MAX_ADDRS) return { problem: `at most ${MAX_ADDRS} addresses` };
  const empty = parts.findIndex((s) => s === '');
  if (empty >= 0) return { problem: `address ${empty + 1} of the list is empty` };
  return parts;
}
