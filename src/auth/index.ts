/**
 * Authentication building blocks for the daemon: API keys (argon2id-hashed, shown once),
 * path scopes, the dual-indexed session store behind the key -> token exchange, and the
 * API-key and session services built on them.
 * @module
 */
export {
  API_KEY_LENGTH,
  API_KEY_PREFIX,
  authenticateApiKey,
  generateApiKey,
  isApiKeyId,
  isRole,
  parseApiKey,
  rotateApiKey,
  verifyApiKey,
  type GenerateOptions,
  type ParsedApiKey,
} from './apikeys.js';
export { MemorySessionPersistence } from './memory-persistence.js';
export { isValidPath, isValidScope, parseScope, pathInScope, SCOPE_ALL, scopeContains } from './scope.js';
export {
  isSessionId,
  MAX_SESSION_TTL_MS,
  newSessionId,
  SessionStore,
  tokenDigest,
  type CreateSessionInput,
  type ListOptions,
  type LoadReport,
  type Session,
} from './session-store.js';
