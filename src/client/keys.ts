/**
 * `/v1/keys` calls: the keyring's public information, rotation, the minimum decryption
 * version and rewrap.
 * @module
 */
import type { KeyName } from '../api/common.js';
import type { KeyPolicy, KeyVersionInfo, RewrapRequest, RewrapResponse } from '../api/keys.js';
import { positiveInt, seg } from './args.js';
import type { Transport } from './transport.js';

/** `GET /v1/keys`: public information on every key and its versions. */
export async function listKeys(t: Transport): Promise<KeyPolicy[]> {
  return (await t.json('GET', 'v1/keys', 'KEY_LIST')).body.keys;
}

/** `POST /v1/keys/{name}/rotate` (admin): adds a version; older versions stay usable for decryption. */
export async function rotateKey(t: Transport, name: KeyName): Promise<KeyVersionInfo> {
  return (await t.json('POST', `v1/keys/${seg(name)}/rotate`, 'KEY_VERSION_INFO')).body;
}

/** `POST /v1/keys/{name}/min-decrypt-version` (admin): retires older versions (never lowers). */
export async function setMinDecryptVersion(t: Transport, name: KeyName, version: number): Promise<KeyPolicy> {
  return (await t.json('POST', `v1/keys/${seg(name)}/min-decrypt-version`, 'KEY_POLICY', { body: { version } })).body;
}

/**
 * `POST /v1/keys/{name}/rewrap` (daemon admin): re-seals secret versions still under an
 * older KEM key version with the newest one, `batchSize` per transaction, stopping after
 * `maxVersions` so a caller can drive it in slices and show progress. Resumable: call
 * again until `done`.
 */
export async function rewrapKey(t: Transport, name: KeyName, opts: { readonly batchSize?: number; readonly maxVersions?: number } = {}): Promise<RewrapResponse> {
  const body: RewrapRequest = {
    ...(opts.batchSize === undefined ? {} : { batch_size: positiveInt(opts.batchSize, 'batchSize', 1, 1000) }),
    ...(opts.maxVersions === undefined ? {} : { max_versions: positiveInt(opts.maxVersions, 'maxVersions', 1, Number.MAX_SAFE_INTEGER) }),
  };
  return (await t.json('POST', `v1/keys/${seg(name)}/rewrap`, 'REWRAP_RESPONSE', { body })).body;
}
