/**
 * Canonical JSON for audit entries: defined in ../util/canonical-json.ts, below storage,
 * because the compact row codec rebuilds the exact entry text from it.
 * @module
 */
export { MAX_DEPTH, canonicalJson, type JsonValue } from '../util/canonical-json.js';
