/**
 * `/v1/sys` calls: health, seal status, unseal, seal, describe, metrics, OpenAPI.
 * @module
 */
import type { DescribeResponse, HealthResponse, OpenApiDocument, SealStatusResponse, UnsealRequest } from '../api/sys.js';
import { malformedResponse } from './errors.js';
import type { Transport } from './transport.js';

/**
 * What {@link health} returns: the body plus the status, which is the verdict. `version`
 * is absent when a sealed or uninitialised daemon answered with an error body instead.
 */
export type Health = Omit<HealthResponse, 'version'> & Partial<Pick<HealthResponse, 'version'>> & { readonly status: number };

/**
 * `GET /v1/sys/health`. Does not throw for a sealed (503) or uninitialised (501) vault:
 * the status is the answer.
 */
export async function health(t: Transport): Promise<Health> {
  const r = await t.json('GET', 'v1/sys/health', 'HEALTH_ANSWER', { okStatuses: [501, 503] });
  if ('error' in r.body) {
    if (r.status !== 503 && r.status !== 501) throw malformedResponse(r.status, 'an error body on a success status');
    return { status: r.status, initialized: r.status === 503, sealed: true };
  }
  return { status: r.status, ...r.body };
}

/** `GET /v1/sys/seal-status` (no token needed). */
export async function sealStatus(t: Transport): Promise<SealStatusResponse> {
  return (await t.json('GET', 'v1/sys/seal-status', 'SEAL_STATUS')).body;
}

/** `POST /v1/sys/unseal`: one share, the passphrase, or `{reset: true}` to drop submitted shares. */
export async function unseal(t: Transport, req: UnsealRequest): Promise<SealStatusResponse> {
  return (await t.json('POST', 'v1/sys/unseal', 'SEAL_STATUS', { body: req })).body;
}

/** `POST /v1/sys/seal` (admin): wipes the root key from the daemon's memory. */
export async function seal(t: Transport): Promise<void> {
  await t.request('POST', 'v1/sys/seal', { accept: 'none' });
}

/**
 * `POST /v1/sys/snapshot` (daemon admin): the signed snapshot file, as bytes. Snapshots
 * are read whole, so they are bounded by the client's response cap (16 MiB).
 */
export async function snapshot(t: Transport): Promise<Uint8Array> {
  const r = await t.request('POST', 'v1/sys/snapshot', { accept: 'bytes' });
  if (!(r.body instanceof Uint8Array)) throw malformedResponse(r.status, 'a snapshot answer without a body');
  return r.body;
}

/** `GET /v1/sys/describe`: versions, suites, providers and capabilities. */
export async function describe(t: Transport): Promise<DescribeResponse> {
  return (await t.json('GET', 'v1/sys/describe', 'DESCRIBE')).body;
}

/** `GET /v1/sys/metrics` (admin, operator): Prometheus text format. */
export async function metrics(t: Transport): Promise<string> {
  const r = await t.request('GET', 'v1/sys/metrics', { accept: 'text' });
  return typeof r.body === 'string' ? r.body : '';
}

/** `GET /v1/sys/openapi`: the OpenAPI document generated from the route schemas. */
export async function openapi(t: Transport): Promise<OpenApiDocument> {
  return (await t.json('GET', 'v1/sys/openapi', 'OPENAPI_DOCUMENT')).body;
}
