/**
 * The daemon's HTTP layer: `buildServer(deps)` (never listens, never reads the
 * environment), the runtime that ties the seal, keyring and audit log to one storage,
 * and the types both share. src/daemon.ts wires them to a socket; docs/api.md describes
 * the routes.
 * @module
 */
export {
  ADMIN,
  ANY_SESSION,
  DAEMON_ADMIN,
  OPERATOR,
  PUBLIC,
  type Access,
  type LoggerSettings,
  type ServerDeps,
  type TokenClaims,
  type VaultApp,
} from './context.js';
export { errorBody, mapError, type ErrorBody, type MappedError } from './errors.js';
export { createRuntime, type RuntimeOptions, type VaultRuntime } from './runtime.js';
export { buildServer, LOG_REDACT_PATHS, MAX_CONCURRENT_EXCHANGES } from './server.js';
export { packageVersion } from '../util/package-version.js';
