/**
 * `/v1/apikeys` calls (admin): create, list, rotate and delete API keys.
 * @module
 */
import type { ApiKeyInfo, ApiKeyWithSecret, CreateApiKeyRequest } from '../api/apikeys.js';
import { seg } from './args.js';
import type { Transport } from './transport.js';

/** `POST /v1/apikeys` (admin): the answer holds the key, shown once. */
export async function createApiKey(t: Transport, req: CreateApiKeyRequest): Promise<ApiKeyWithSecret> {
  return (await t.json('POST', 'v1/apikeys', 'API_KEY_WITH_SECRET', { body: req })).body;
}

/** `GET /v1/apikeys` (admin). */
export async function listApiKeys(t: Transport): Promise<ApiKeyInfo[]> {
  return (await t.json('GET', 'v1/apikeys', 'API_KEY_LIST')).body.apikeys;
}

/** `POST /v1/apikeys/{id}/rotate` (admin): new secret, same id; the key's sessions are revoked. */
export async function rotateApiKey(t: Transport, id: string): Promise<ApiKeyWithSecret> {
  return (await t.json('POST', `v1/apikeys/${seg(id)}/rotate`, 'API_KEY_WITH_SECRET')).body;
}

/** `DELETE /v1/apikeys/{id}` (admin): the key's sessions are revoked with it. */
export async function deleteApiKey(t: Transport, id: string): Promise<void> {
  await t.request('DELETE', `v1/apikeys/${seg(id)}`, { accept: 'none' });
}
