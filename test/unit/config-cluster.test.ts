/**
 * `[cluster]`: lease and renewal times, and `expected_nodes`, which divides the per-node
 * limits so a cluster as a whole keeps the configured budget.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig, type Config } from '../../src/config.js';

const HOME = { HOME: '/home/op' };

function ok(doc: unknown): Config {
  const r = resolveConfig(doc, HOME, { baseDir: '/etc/ov', cwd: '/work' });
  expect(r.problems).toEqual([]);
  return r.config as Config;
}

function problems(doc: unknown): Record<string, string> {
  const r = resolveConfig(doc, HOME, { baseDir: '/etc/ov', cwd: '/work' });
  expect(r.config).toBeUndefined();
  return Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
}

describe('[cluster]', () => {
  it('defaults to a 2s lease renewed every 500ms, one node', () => {
    expect(ok({}).cluster).toEqual({ leaseMs: 2000, renewMs: 500, expectedNodes: 1 });
  });

  it('reads lease and renew; an unset renew is a quarter of a shorter lease', () => {
    expect(ok({ cluster: { lease: '10s', renew: '1s' } }).cluster).toMatchObject({ leaseMs: 10_000, renewMs: 1000 });
    expect(ok({ cluster: { lease: '1s' } }).cluster).toMatchObject({ leaseMs: 1000, renewMs: 250 });
  });

  it('divides the limits by expected_nodes, rounding up and never below 1', () => {
    const c = ok({ cluster: { expected_nodes: 3 }, limits: { max_request_rate: 100, auth_failures_per_key: 5, auth_failures_per_address: 1 } });
    expect(c.limits).toMatchObject({ maxRequestRate: 34, authFailuresPerKey: 2, authFailuresPerAddress: 1 });
    expect(ok({ cluster: { expected_nodes: 2 } }).limits).toMatchObject({ maxRequestRate: null, authFailuresPerKey: 3, authFailuresPerAddress: 10 });
  });

  it('refuses a lease or renew out of range, a renew over half the lease, a bad node count and unknown keys', () => {
    expect(problems({ cluster: { lease: '100ms' } })).toEqual({ 'cluster.lease': 'must be between 200ms and 60s' });
    expect(problems({ cluster: { lease: '2s', renew: '1500ms' } })).toEqual({ 'cluster.renew': 'must be at most half of cluster.lease' });
    expect(problems({ cluster: { renew: '5ms' } })).toEqual({ 'cluster.renew': 'must be between 10ms and 30s' });
    expect(problems({ cluster: { lease: 'soon' } })).toEqual({ 'cluster.lease': 'must be a duration such as "2s"' });
    expect(problems({ cluster: { expected_nodes: 0 } })).toEqual({ 'cluster.expected_nodes': 'must be between 1 and 64' });
    expect(problems({ cluster: { leases: '2s' } })).toEqual({ 'cluster.leases': 'unknown key' });
  });
});
