/**
 * Which `Host` names this daemon answers to for unauthenticated state-changing requests
 * (unseal): the listen host, loopback names, and the host of `api_addr`. A web page on
 * another site that rebinds its DNS name to 127.0.0.1 still sends its own name, so it is
 * refused here.
 * @module
 */
import type { Config } from '../config.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/** The host part of a Host header (`name:port`, `[v6]:port`), lower-case, or undefined. */
export function hostName(header: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::[0-9]{1,5})?$/.exec(header.trim());
  if (m === null) return undefined;
  return (m[1] ?? m[2] ?? '').toLowerCase().replace(/\.$/, '');
}

export function hostMatcher(config: Pick<Config, 'listen' | 'apiAddr'>): (host: string | undefined) => boolean {
  const allowed = new Set(LOOPBACK);
  const listen = config.listen.host.toLowerCase();
  if (listen !== '0.0.0.0' && listen !== '::') allowed.add(listen);
  if (config.apiAddr !== null) {
    const h = new URL(config.apiAddr).hostname.toLowerCase();
    allowed.add(h.startsWith('[') ? h.slice(1, -1) : h);
  }
  return (host) => {
    if (host === undefined) return false;
    const name = hostName(host);
    if (name === undefined) return false;
    return allowed.has(name) || name.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(name);
  };
}
