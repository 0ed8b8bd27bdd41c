/**
 * The SHA-256 under SSZ hash tree roots. @chainsafe/ssz hashes with pure JavaScript
 * unless told otherwise: an attestation's signing root then costs about 14 µs, against
 * about 5 µs with the native hashtree binding and 8 µs with the WebAssembly as-sha256.
 * The three give the same bytes (the signing-root tests run on each), so the choice
 * changes speed only. The daemon picks the fastest that loads before it serves.
 * @module
 */
import { setHasher, type Hasher } from '@chainsafe/persistent-merkle-tree';
import { hasher as nobleHasher } from '@chainsafe/persistent-merkle-tree/hasher/noble';

export type SszHasherName = 'hashtree' | 'as-sha256' | 'noble';

/** The named hasher, or undefined where it does not load on this machine. */
async function load(name: SszHasherName): Promise<Hasher | undefined> {
  try {
    if (name === 'hashtree') return (await import('@chainsafe/persistent-merkle-tree/hasher/hashtree')).hasher;
    if (name === 'as-sha256') return (await import('@chainsafe/persistent-merkle-tree/hasher/as-sha256')).hasher;
    return nobleHasher;
  } catch {
    return undefined;
  }
}

/** Makes `name` the hasher of every SSZ root from now on; false (nothing changed) where it does not load. */
export async function useSszHasher(name: SszHasherName): Promise<boolean> {
  const h = await load(name);
  if (h === undefined) return false;
  setHasher(h);
  return true;
}

let fastest: Promise<SszHasherName> | undefined;

/** Selects the fastest hasher that loads (once per process) and names it. */
export function useFastestSszHasher(): Promise<SszHasherName> {
  fastest ??= (async () => {
    for (const name of ['hashtree', 'as-sha256'] as const) if (await useSszHasher(name)) return name;
    return 'noble';
  })();
  return fastest;
}
