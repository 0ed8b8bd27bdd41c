/**
 * Who may use the remote signer. Today the one rule is the client's socket address
 * against `[signer] allow`; the seam is `maySign(client, pubkey)`, so an identity from a
 * client certificate can later narrow which keys a client signs for without touching the
 * routes. Signing uses no sessions: validator clients speak Web3Signer's API, which has
 * no authentication of its own.
 * @module
 */
import { BlockList, isIP } from 'node:net';

export interface SignerClient {
  /** The socket's remote address (never X-Forwarded-For: the signer trusts no proxy). */
  readonly address: string;
}

export interface SignerAccess {
  /** May this connection use the signer listener at all? */
  mayConnect(client: SignerClient): boolean;
  /** May this connection sign for this public key (0x-prefixed lowercase hex)? */
  maySign(client: SignerClient, pubkey: string): boolean;
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
  return { mayConnect: allowed, maySign: (client) => allowed(client) };
}
