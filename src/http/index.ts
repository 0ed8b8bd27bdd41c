/**
 * The daemon's HTTP layer: `buildServer(vault, opts)` over a vault from createVault
 * (never listens, never reads the environment, never touches storage), and the access
 * and audit declarations routes make. src/daemon.ts wires it to a socket; docs/api.md
 * describes the routes.
 * @module
 */
export {
  ADMIN,
  ANY_SESSION,
  DAEMON_ADMIN,
  OPERATOR,
  PUBLIC,
  audit,
  type Access,
  type AuditDetail,
  type AuditSpec,
  type LoggerSettings,
  type ServerOptions,
  type TokenClaims,
  type VaultApp,
} from './context.js';
export { errorBody, mapError, type ErrorBody, type MappedError } from './errors.js';
export { buildServer, LOG_REDACT_PATHS, MAX_CONCURRENT_EXCHANGES, MAX_VERIFIED_TOKENS } from './server.js';
export { packageVersion } from '../util/package-version.js';
