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
    });
    expect(resolve({ signer: { listen: '[::1]:9100', allow: ['10.0.0.0/8'], genesis_fork_version: '0x10000910' } }).config?.signer).toEqual({
      listen: { host: '::1', port: 9100 },
      allow: ['10.0.0.0/8'],
      genesisForkVersion: '0x10000910',
    });
  });

  it('reports every bad value with its path, and unknown keys', () => {
    const r = resolve({ signer: { listen: 'nowhere', allow: ['127.0.0.1', 'not-an-ip'] } });
    expect(r.config).toBeUndefined();
    expect(r.problems.map((p) => p.path).sort()).toEqual(['signer.allow.1', 'signer.listen']);
    expect(resolve({ signer: { alow: [] } }).problems.length).toBeGreaterThan(0);
    expect(resolve({ signer: { genesis_fork_version: '0x0000' } }).problems.length).toBeGreaterThan(0);
  });
});
