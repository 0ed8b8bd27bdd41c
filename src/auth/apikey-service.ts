/**
 * API keys as a service: create, list, rotate, delete and authenticate, with the rules
 * every caller obeys whatever the transport. A caller sees and manages only keys whose
 * scope lies within its own (others behave as absent), no key may reach beyond its
 * creator, and rotating or deleting a key revokes every session it opened before the
 * call returns. Key format and hashing are in ./apikeys.ts.
 * @module
 */
import { VaultError } from '../errors.js';
import type { ApiKeyRecord, ApiKeyStore, Role } from '../storage/types.js';
import { authenticateApiKey, generateApiKey, rotateApiKey } from './apikeys.js';
import { parseScope, scopeContains } from './scope.js';
import type { SessionStore } from './session-store.js';

export type { ApiKeyRecord } from '../storage/types.js';

export interface ApiKeyServiceDeps {
  readonly store: ApiKeyStore;
  /** The session store, once loaded (revocations wait for it). */
  readonly sessions: () => Promise<SessionStore>;
  readonly now: () => number;
}

export interface NewApiKey {
  readonly role: Role;
  /** Default: the caller's own scope. */
  readonly scope?: string | undefined;
  readonly label: string;
}

export class ApiKeyService {
  readonly #deps: ApiKeyServiceDeps;

  constructor(deps: ApiKeyServiceDeps) {
    this.#deps = deps;
  }

  /** The record, if it exists and `callerScope` covers it; OV_NOT_FOUND otherwise. */
  #visible(callerScope: string, id: string): ApiKeyRecord {
    const r = this.#deps.store.get(id);
    if (r === undefined || !scopeContains(callerScope, r.scope)) throw new VaultError('OV_NOT_FOUND');
    return r;
  }

  /** A new key (shown once) and its stored record; OV_FORBIDDEN for a scope beyond the caller's. */
  async create(callerScope: string, input: NewApiKey): Promise<{ key: string; record: ApiKeyRecord }> {
    const scope = parseScope(input.scope ?? callerScope);
    if (!scopeContains(callerScope, scope)) throw new VaultError('OV_FORBIDDEN');
    const made = await generateApiKey(input.role, scope, input.label, { now: this.#deps.now() });
    this.#deps.store.insert(made.record);
    return made;
  }

  /** The keys within `callerScope`. */
  list(callerScope: string): ApiKeyRecord[] {
    return this.#deps.store.list().filter((r) => scopeContains(callerScope, r.scope));
  }

  /** New secret, same id; the old secret stops verifying first, then its sessions are revoked. */
  async rotate(callerScope: string, id: string): Promise<{ key: string; record: ApiKeyRecord; revoked: number }> {
    const current = this.#visible(callerScope, id);
    const { key, record } = await rotateApiKey(current, { now: this.#deps.now() });
    if (!this.#deps.store.updateHash(record.id, record.hash, record.rotatedAt ?? this.#deps.now())) throw new VaultError('OV_NOT_FOUND');
    const store = await this.#deps.sessions();
    return { key, record, revoked: store.revokeAllForKey(record.id) };
  }

  /** Removes a key: its sessions are revoked in memory first (what requests are checked against), then the rows. */
  async delete(callerScope: string, id: string): Promise<{ record: ApiKeyRecord; revoked: number }> {
    const record = this.#visible(callerScope, id);
    const store = await this.#deps.sessions();
    const revoked = store.revokeAllForKey(record.id);
    this.#deps.store.delete(record.id);
    return { record, revoked };
  }

  /** The record a presented key names, or OV_AUTH_INVALID (after one argon2id run) for any failure. */
  authenticate(key: string): Promise<ApiKeyRecord> {
    return authenticateApiKey(this.#deps.store, key);
  }
}
