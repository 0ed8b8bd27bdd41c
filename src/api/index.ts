/**
 * The wire contract of the daemon's HTTP API: every request and response schema
 * (typebox, JSON Schema underneath), the TypeScript type of each (`Static<>`), and the
 * header names and media types both sides use. The daemon registers these schemas on
 * its routes (validation, serialisation, the OpenAPI document); the client checks every
 * JSON answer against the same schema and types its calls with the same `Static<>`, so
 * the two cannot drift apart unnoticed. Nothing here imports the daemon or the client.
 * @module
 */
import type { TSchema } from 'typebox';
import * as apikeys from './apikeys.js';
import * as common from './common.js';
import * as keymanager from './keymanager.js';
import * as keys from './keys.js';
import * as secrets from './secrets.js';
import * as sessions from './sessions.js';
import * as signerIdentities from './signer-identities.js';
import * as slashing from './slashing-protection.js';
import * as sys from './sys.js';
import * as transit from './transit.js';
import * as validators from './validators.js';

export * from './apikeys.js';
export * from './common.js';
export * from './constants.js';
export * from './keymanager.js';
export * from './keys.js';
export * from './secrets.js';
export * from './sessions.js';
export * from './signer-identities.js';
export * from './slashing-protection.js';
export * from './sys.js';
export * from './transit.js';
export * from './validators.js';

function schemasOf(mod: Readonly<Record<string, unknown>>): Record<string, TSchema> {
  const out: Record<string, TSchema> = {};
  for (const [name, v] of Object.entries(mod)) {
    // Named schemas are the UPPER_CASE exports that are objects (not strings, not maps of schemas).
    if (/^[A-Z][A-Z0-9_]*$/.test(name) && typeof v === 'object' && v !== null && !name.endsWith('_SCHEMAS') && !name.endsWith('ERROR_RESPONSES')) {
      out[name] = v;
    }
  }
  return out;
}

/** Every named schema of the contract, for tests that check each object schema is closed. */
export const ALL_SCHEMAS: Readonly<Record<string, TSchema>> = Object.freeze({
  ...schemasOf(common),
  ...schemasOf(sys),
  ...schemasOf(sessions),
  ...schemasOf(apikeys),
  ...schemasOf(keys),
  ...schemasOf(secrets),
  ...schemasOf(validators),
  ...schemasOf(keymanager),
  ...schemasOf(slashing),
  ...schemasOf(transit),
  ...schemasOf(signerIdentities),
});
