/** `[signer]`: absent means no signer listener; defaults; every bad value reported with its path. */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';

const resolve = (doc: unknown) => resolveConfig(doc, {}, { baseDir: '/tmp' });

describe('config [signer]', () => {
  it('is off without the section, loopback with defaults when present', () => {
    expect(resolve({}).config?.signer).toBeNull();
    expect(resolve({ signer: {} }).config?.signer).toEqual({
      listen: { host: '127.0.0.1', port: 9000 },
      allow: ['127.0.0.1/32', '::1/128'],
      genesisForkVersion: '0x00000000',
      tls: null,
    });
    expect(resolve({ signer: { listen: '[::1]:9100', allow: ['10.0.0.0/8'], genesis_fork_version: '0x10000910' } }).config?.signer).toEqual({
      listen: { host: '::1', port: 9100 },
      allow: ['10.0.0.0/8'],
      genesisForkVersion: '0x10000910',
      tls: null,
    });
  });

  it('takes TLS from [tls] or its own files, with client_auth "request" by default', () => {
    const shared = resolve({ tls: { cert_file: 'c.pem', key_file: 'k.pem', min_version: 'TLSv1.2' }, signer: { tls: true } }).config?.signer?.tls;
    expect(shared).toEqual({ certFile: '/tmp/c.pem', keyFile: '/tmp/k.pem', clientAuth: 'request', minVersion: 'TLSv1.2' });
    const own = resolve({ signer: { tls: true, cert_file: 's.pem', key_file: 's.key', client_auth: 'require' } }).config?.signer?.tls;
    expect(own).toEqual({ certFile: '/tmp/s.pem', keyFile: '/tmp/s.key', clientAuth: 'require', minVersion: 'TLSv1.3' });
  });

  it('reports signer TLS settings that cannot work, with their paths', () => {
    const paths = (doc: unknown): string[] => resolve(doc).problems.map((p) => p.path);
    expect(paths({ signer: { tls: true } })).toEqual(['signer.tls']);
    expect(paths({ signer: { client_auth: 'require' } })).toEqual(['signer.tls']);
    expect(paths({ signer: { tls: false, cert_file: 'a', key_file: 'b' } })).toEqual(['signer.tls']);
    expect(paths({ signer: { tls: true, cert_file: 'a' } })).toEqual(['signer.key_file']);
    expect(paths({ signer: { tls: true, key_file: 'b' } })).toEqual(['signer.cert_file']);
    expect(resolve({ signer: { tls: true, cert_file: 'a', key_file: 'b', client_auth: 'always' } }).problems.length).toBeGreaterThan(0);
  });

  it('reports every bad value with its path, and unknown keys', () => {
    const r = resolve({ signer: { listen: 'nowhere', allow: ['127.0.0.1', 'not-an-ip'] } });
    expect(r.config).toBeUndefined();
    expect(r.problems.map((p) => p.path).sort()).toEqual(['signer.allow.1', 'signer.listen']);
    expect(resolve({ signer: { alow: [] } }).problems.length).toBeGreaterThan(0);
    expect(resolve({ signer: { genesis_fork_version: '0x0000' } }).problems.length).toBeGreaterThan(0);
  });
});
