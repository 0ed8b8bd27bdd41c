/**
 * The daemon's TLS settings: which key-exchange groups to offer, the options for node's
 * TLS server from the `[tls]` config (re-read on SIGHUP), and whether a listen address is
 * loopback (plain HTTP is refused elsewhere unless `tls.disable` is set).
 *
 * Key exchange: where the runtime's OpenSSL has ML-KEM (3.5, Node >= 24.7) the server
 * offers the hybrid `X25519MLKEM768` first, then `X25519`, so traffic recorded today
 * cannot be decrypted later with a quantum computer; elsewhere only classical groups.
 * Support is probed once by building a context (older OpenSSL refuses the group name).
 * @module
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import type { SignerTlsConfig, TlsConfig } from '../config.js';
import { VaultError } from '../errors.js';

export const HYBRID_GROUP = 'X25519MLKEM768';
/** The classical groups every supported runtime has, best first. */
export const CLASSICAL_GROUPS: readonly string[] = Object.freeze(['X25519', 'P-256', 'P-384']);

let hybrid: boolean | undefined;

/** True when this runtime's OpenSSL can negotiate X25519MLKEM768 (probed once). */
export function hybridKeyExchangeSupported(): boolean {
  if (hybrid === undefined) {
    try {
      createSecureContext({ ecdhCurve: `${HYBRID_GROUP}:X25519` });
      hybrid = true;
    } catch {
      hybrid = false;
    }
  }
  return hybrid;
}

/** The groups the server offers, in order of preference. */
export function offeredGroups(): readonly string[] {
  return hybridKeyExchangeSupported() ? [HYBRID_GROUP, ...CLASSICAL_GROUPS] : CLASSICAL_GROUPS;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new VaultError('OV_TLS_CONFIG', { file: path, reason: `${what} cannot be read${typeof code === 'string' ? ` (${code})` : ''}` });
  }
}

/** The parts that change when certificates rotate: read from disk and checked by OpenSSL. */
export function secureContextOptions(tls: TlsConfig, groups: readonly string[] = offeredGroups(), caPem?: string): SecureContextOptions {
  const opts: SecureContextOptions = {
    cert: readPem(tls.certFile, 'the certificate'),
    key: readPem(tls.keyFile, 'the private key'),
    minVersion: tls.minVersion,
    ecdhCurve: groups.join(':'),
    ...(tls.clientCaFile === null ? {} : { ca: readPem(tls.clientCaFile, 'the client CA') }),
    ...(caPem === undefined ? {} : { ca: caPem }),
  };
  try {
    // Fails on a malformed PEM or a key that does not match the certificate.
    createSecureContext(opts);
  } catch (e) {
    throw new VaultError('OV_TLS_CONFIG', { file: tls.certFile, reason: e instanceof Error ? e.message.slice(0, 200) : 'rejected by OpenSSL' });
  }
  return opts;
}

/** Options for `https.createServer` / fastify's `https`. Throws OV_TLS_CONFIG for unusable files. */
export function tlsServerOptions(tls: TlsConfig, groups?: readonly string[]): TlsOptions {
  const ctx = secureContextOptions(tls, groups);
  const clientCerts = tls.clientCaFile !== null;
  return {
    ...ctx,
    requestCert: clientCerts,
    rejectUnauthorized: clientCerts && tls.clientAuth === 'require',
    // ALPN: HTTP/1.1 only (fastify serves no h2 here).
    ALPNProtocols: ['http/1.1'],
  };
}

/**
 * The signer listener's secure context: its certificate and key, and the signer CA
 * (`caPem`, absent before the first identity) named in the certificate request. A client
 * certificate is asked for but never demanded at the handshake: the signer answers
 * `/upcheck` to anyone and refuses signing itself, with an error the client can log.
 */
export function signerSecureContextOptions(tls: SignerTlsConfig, caPem: string | undefined, groups: readonly string[] = offeredGroups()): SecureContextOptions {
  return secureContextOptions({ certFile: tls.certFile, keyFile: tls.keyFile, clientCaFile: null, clientAuth: 'request', minVersion: tls.minVersion }, groups, caPem);
}

/** Options for the signer listener's https server. Throws OV_TLS_CONFIG for unusable files. */
export function signerTlsServerOptions(tls: SignerTlsConfig, caPem: string | undefined, groups?: readonly string[]): TlsOptions {
  return { ...signerSecureContextOptions(tls, caPem, groups), requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] };
}

/** Loopback: `localhost`, 127.0.0.0/8, ::1 (and ::ffff:127.x). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}
