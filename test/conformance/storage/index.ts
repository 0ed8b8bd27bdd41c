/**
 * The storage conformance suite: every backend of the `Storage` contract runs these same
 * cases, unchanged. `open` must return a new, empty storage on each call; the suite closes
 * each one it opens.
 */
import { describe } from 'vitest';
import type { Storage } from '../../../src/storage/types.js';
import { apiKeysConformance } from './apikeys.js';
import { auditConformance } from './audit.js';
import { keyringConformance } from './keyring.js';
import { lifecycleConformance } from './lifecycle.js';
import { metaConformance } from './meta.js';
import { secretsConformance } from './secrets.js';
import { sessionsConformance } from './sessions.js';
import { transitConformance } from './transit.js';
import { validatorsConformance } from './validators.js';

export function describeStorageConformance(name: string, open: () => Storage): void {
  describe(`storage conformance: ${name}`, () => {
    metaConformance(open);
    apiKeysConformance(open);
    sessionsConformance(open);
    keyringConformance(open);
    auditConformance(open);
    secretsConformance(open);
    validatorsConformance(open);
    transitConformance(open);
    lifecycleConformance(open);
  });
}
