/**
 * The transit keys as a rewrap row source: when the vault's `kem` key rotates, the sealed
 * material of every transit key version is re-sealed under the new KEM key by the
 * keyring's one rewrap loop, and raising `kem`'s minimum decryption version counts these
 * rows too. The daemon adds this source next to the secrets' and validators'.
 * @module
 */
import type { RewrapRow, RewrapSource } from '../keyring/rewrap-loop.js';
import type { TransitCursor } from '../storage/transit-types.js';
import type { TransitService } from './service.js';
import { transitKeyBinding } from './service.js';

export function transitRewrapSource(service: TransitService): RewrapSource<TransitCursor> {
  const { storage } = service;
  return {
    stale: (kemVersion, after, limit) =>
      storage.transit.staleVersions(kemVersion, after, limit).map(
        (r): RewrapRow<TransitCursor> => ({
          binding: transitKeyBinding(r.name, r.version),
          envelope: r.envelope,
          kemVersion: r.kemVersion,
          cursor: { name: r.name, version: r.version },
        }),
      ),
    replace: (row, envelope, kemVersion) => {
      // The new envelope would miss anyway; the old material is dropped now rather than at eviction.
      service.cache.evict(row.cursor.name, row.cursor.version);
      return storage.transit.replaceEnvelope(row.cursor.name, row.cursor.version, row.envelope, envelope, kemVersion);
    },
    countStale: (kemVersion) => storage.transit.countStale(kemVersion),
    transaction: (fn) => storage.transaction(fn),
  };
}
