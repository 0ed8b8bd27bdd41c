/**
 * `/v1/sessions` calls: the API key -> token exchange, listing, lookup and revocation.
 * @module
 */
import type { CreateSessionRequest, CreateSessionResponse, SessionInfo } from '../api/sessions.js';
import { seg } from './args.js';
import { malformedResponse } from './errors.js';
import { TOKEN_RE, type Transport } from './transport.js';

/** `POST /v1/sessions`: trades an API key for a session token (no token needed). */
export async function createSession(t: Transport, req: CreateSessionRequest): Promise<CreateSessionResponse> {
  const r = await t.json('POST', 'v1/sessions', 'CREATE_SESSION_RESPONSE', { body: req });
  // The token goes into a header, a file and maybe a shell variable: it must be plain.
  if (!TOKEN_RE.test(r.body.token)) throw malformedResponse(r.status, 'token has an invalid form');
  return r.body;
}

/**
 * `GET /v1/sessions`: the sessions within the caller's scope (all, for the daemon admin),
 * optionally only those of one API key, at most `limit` (daemon default 1000).
 */
export async function listSessions(t: Transport, opts: { readonly limit?: number; readonly apiKeyId?: string } = {}): Promise<SessionInfo[]> {
  const q = new URLSearchParams();
  if (opts.limit !== undefined) q.set('limit', String(opts.limit));
  if (opts.apiKeyId !== undefined) q.set('api_key_id', opts.apiKeyId);
  const query = q.toString();
  return (await t.json('GET', `v1/sessions${query === '' ? '' : `?${query}`}`, 'SESSION_LIST')).body.sessions;
}

/** `DELETE /v1/sessions/{id}`. */
export async function revokeSession(t: Transport, id: string): Promise<void> {
  await t.request('DELETE', `v1/sessions/${seg(id)}`, { accept: 'none' });
}

/** `GET /v1/sessions/self`: the caller's own session. */
export async function lookupSelf(t: Transport): Promise<SessionInfo> {
  return (await t.json('GET', 'v1/sessions/self', 'SESSION_INFO')).body;
}

/** `DELETE /v1/sessions/self`: ends the caller's own session. */
export async function revokeSelf(t: Transport): Promise<void> {
  await t.request('DELETE', 'v1/sessions/self', { accept: 'none' });
}
