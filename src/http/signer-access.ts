/**
 * Who may use the remote signer: the client's socket address against `[signer] allow`,
 * and with `[signer] tls`, the client certificate. A certificate that is a live signer
 * identity (src/validators/signer-identities.ts) narrows the client to that identity's
 * slots; a certificate that is not (another CA, unknown, revoked) is refused outright
 * rather than treated as no certificate; with `client_auth = "require"` a client without
 * one may not sign at all. Signing uses no sessions: validator clients speak Web3Signer's
 * API, which has no authentication of its own.
 * @module
 */
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { IdentityGrant } from '../validators/signer-identities.js';

export interface SignerClient {
  /** The socket's remote address (never X-Forwarded-For: the signer trusts no proxy). */
  readonly address: string;
  /** The TLS peer certificate, when the client showed one. */
  readonly certificate?: {
    /** SHA-256 of its DER, lowercase hex. */
    readonly fingerprint: string;
    /** OpenSSL verified it against the signer CA. */
    readonly authorized: boolean;
  };
}

/** A key the client asks to sign with. */
export interface SignerKeyRef {
  /** 0x-prefixed lowercase hex. */
  readonly pubkey: string;
  readonly slot: string;
}

export interface SignerAccess {
  /** May this connection use the signer listener at all? */
  mayConnect(client: SignerClient): boolean;
  /** May this connection ask for signatures (before the key is known)? */
  maySignAny(client: SignerClient): boolean;
  /** May this connection sign with this key? */
  maySign(client: SignerClient, key: SignerKeyRef): boolean;
}

/** An IPv4 address as an IPv6 socket shows it (`::ffff:127.0.0.1`) is matched as IPv4. */
function plain(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Access by source address: `cidrs` are canonical `addr/bits` (config.ts normalises them). */
export function allowListAccess(cidrs: readonly string[]): SignerAccess {
  const list = new BlockList();
  for (const c of cidrs) {
    const [ip, bits] = c.split('/') as [string, string];
    list.addSubnet(ip, Number(bits), isIP(ip) === 4 ? 'ipv4' : 'ipv6');
  }
  const allowed = (client: SignerClient): boolean => {
    const a = plain(client.address);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
  return { mayConnect: allowed, maySignAny: allowed, maySign: (client) => allowed(client) };
}

export interface IdentityAccessOptions {
  /** "require": a client without a certificate may not sign. */
  readonly clientAuth: 'request' | 'require';
  /** The live identity with this certificate fingerprint, or undefined. */
  readonly grant: (fingerprint: string) => IdentityGrant | undefined;
}

/** `base` (the allow-list), narrowed by signer identities. */
export function identityAccess(base: SignerAccess, opts: IdentityAccessOptions): SignerAccess {
  const grantOf = (client: SignerClient): IdentityGrant | null | undefined => {
    const c = client.certificate;
    if (c === undefined) return null;
    return c.authorized ? opts.grant(c.fingerprint) : undefined;
  };
  const maySignAny = (client: SignerClient): boolean => {
    if (!base.maySignAny(client)) return false;
    const g = grantOf(client);
    return g === null ? opts.clientAuth !== 'require' : g !== undefined;
  };
  return {
    mayConnect: (client) => base.mayConnect(client),
    maySignAny,
    maySign: (client, key) => {
      if (!base.maySign(client, key)) return false;
      const g = grantOf(client);
      if (g === null) return opts.clientAuth !== 'require';
      return g !== undefined && g.slots.has(key.slot);
    },
  };
}

/** The client of a request: its socket address and, over TLS, the certificate it showed. */
export function signerClientOf(request: FastifyRequest): SignerClient {
  const socket = request.socket as Partial<TLSSocket>;
  const address = request.socket.remoteAddress ?? '';
  if (typeof socket.getPeerCertificate !== 'function') return { address };
  const cert = socket.getPeerCertificate();
  if (typeof cert.fingerprint256 !== 'string' || cert.fingerprint256 === '') return { address };
  return { address, certificate: { fingerprint: cert.fingerprint256.replaceAll(':', '').toLowerCase(), authorized: socket.authorized === true } };
}
