/**
 * src/config.ts: defaults, every problem reported together with its key path, unknown
 * keys rejected, environment precedence, durations and sizes, TOML errors, file lookup,
 * frozen results.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkConfig,
  checkConfigFiles,
  configFilePath,
  defaultDataDir,
  formatDuration,
  loadConfig,
  parseDuration,
  parseListen,
  parseSize,
  resolveConfig,
  type Config,
} from '../../src/config.js';
import { VaultError } from '../../src/errors.js';

const HOME = { HOME: '/home/op' };

function ok(doc: unknown, env: Record<string, string> = HOME): Config {
  const r = resolveConfig(doc, env, { baseDir: '/etc/ov', cwd: '/work' });
  expect(r.problems).toEqual([]);
  return r.config as Config;
}

function problems(doc: unknown, env: Record<string, string> = HOME): Record<string, string> {
  const r = resolveConfig(doc, env, { baseDir: '/etc/ov', cwd: '/work' });
  expect(r.config).toBeUndefined();
  return Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
}

describe('defaults', () => {
  it('gives a complete, deep-frozen config from an empty file and environment', () => {
    const c = ok({});
    expect(c).toEqual({
      listen: { host: '127.0.0.1', port: 8420 },
      dataDir: '/home/op/.local/share/ontoref-vault',
      logLevel: 'info',
      log: { slowRequestMs: 1000 },
      seal: { unsealKeyFile: null },
      sessions: { defaultTtlMs: 3_600_000, maxTtlMs: 86_400_000 },
      limits: { bodyLimit: 2 * 1024 * 1024, maxRequestRate: null, authFailuresPerKey: 5, authFailuresPerAddress: 20 },
      crypto: { provider: 'auto', signature: 'ML-DSA-65' },
      storage: { backend: 'sqlite', sqliteDriver: 'auto', postgres: null },
      cluster: { leaseMs: 2000, renewMs: 500, expectedNodes: 1 },
      audit: { retain: null, archiveDir: '/home/op/.local/share/ontoref-vault/audit-archive', archiveIntervalMs: 3_600_000 },
      secrets: { maxValueBytes: 65536, cacheBytes: 32 * 1024 * 1024 },
      tls: null,
      tlsDisable: false,
      trustedProxies: [],
      apiAddr: null,
      signer: null,
      file: null,
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.listen)).toBe(true);
    expect(Object.isFrozen(c.limits)).toBe(true);
    expect(() => {
      (c.sessions as { maxTtlMs: number }).maxTtlMs = 1;
    }).toThrow(TypeError);
  });

  it('reads every key', () => {
    const c = ok({
      listen: '[::1]:9000',
      data_dir: 'data',
      log_level: 'debug',
      log: { slow_request_ms: 250 },
      seal: { unseal_key_file: '/keys/unseal.key' },
      sessions: { default_ttl: '15m', max_ttl: '1h30m' },
      limits: { body_limit: '512KiB', max_request_rate: 100, auth_failures_per_key: 3, auth_failures_per_address: 50 },
      crypto: { provider: 'noble', signature: 'Falcon-512-r3' },
      storage: { sqlite_driver: 'node' },
    });
    expect(c.storage).toEqual({ backend: 'sqlite', sqliteDriver: 'node', postgres: null });
    expect(c.listen).toEqual({ host: '::1', port: 9000 });
    // Relative paths in the file are relative to the file's directory.
    expect(c.dataDir).toBe('/etc/ov/data');
    expect(c.seal.unsealKeyFile).toBe('/keys/unseal.key');
    expect(c.sessions).toEqual({ defaultTtlMs: 900_000, maxTtlMs: 5_400_000 });
    expect(c.limits).toEqual({ bodyLimit: 512 * 1024, maxRequestRate: 100, authFailuresPerKey: 3, authFailuresPerAddress: 50 });
    expect(c.crypto).toEqual({ provider: 'noble', signature: 'Falcon-512-r3' });
    expect(c.logLevel).toBe('debug');
    expect(c.log).toEqual({ slowRequestMs: 250 });
  });

  it('lets an unset default_ttl follow a max_ttl below the default', () => {
    expect(ok({ sessions: { max_ttl: '10m' } }).sessions).toEqual({ defaultTtlMs: 600_000, maxTtlMs: 600_000 });
  });
});

describe('problems', () => {
  it('reports every problem at once, each with its key path', () => {
    const p = problems({
      listn: '127.0.0.1:1',
      listen: 'localhost',
      log_level: 'loud',
      seal: { unseal_keyfile: 'x' },
      sessions: { default_ttl: '2h', max_ttl: '1h', extra: 1 },
      limits: { body_limit: '10', max_request_rate: 0, auth_failures_per_key: 1.5 },
      crypto: { provider: 'openssl', signature: 'RSA' },
      storage: { sqlite_driver: 'sqlite3', pool: 2 },
      data_dir: '',
    });
    expect(p).toEqual({
      listn: 'unknown key',
      listen: 'must be host:port, e.g. "127.0.0.1:8420" or "[::1]:8420"',
      log_level: 'must be one of fatal, error, warn, info, debug, trace, silent',
      'seal.unseal_keyfile': 'unknown key',
      'sessions.extra': 'unknown key',
      'sessions.default_ttl': 'must not exceed sessions.max_ttl (1h)',
      'limits.body_limit': 'must be between 1KiB and 64MiB',
      'limits.max_request_rate': 'must be between 1 and 1000000',
      'limits.auth_failures_per_key': 'must be an integer',
      'crypto.provider': 'must be one of auto, noble, native',
      'crypto.signature': 'must be one of ML-DSA-65, Falcon-512-r3',
      'storage.sqlite_driver': 'must be one of auto, better-sqlite3, node',
      'storage.pool': 'unknown key',
      data_dir: 'must not be empty',
    });
  });

  it('rejects wrong types and bad durations with their paths', () => {
    expect(problems({ sessions: 5 })).toEqual({ sessions: 'must be a table' });
    expect(problems({ log: { slow_request_ms: 0 } })).toEqual({ 'log.slow_request_ms': 'must be between 1 and 3600000' });
    expect(problems({ log: { slow_request_ms: 3_600_001 } })).toEqual({ 'log.slow_request_ms': 'must be between 1 and 3600000' });
    expect(problems({ log: { slow_request_ms: 1.5 } })).toHaveProperty(['log.slow_request_ms']);
    expect(problems({ log: { slow_request_ms: '1s' } })).toHaveProperty(['log.slow_request_ms']);
    expect(Object.keys(problems({ log: { slow_ms: 5 } }))).toEqual(['log.slow_ms']);
    expect(problems({ listen: 8420 })).toEqual({ listen: 'must be a string' });
    expect(problems({ sessions: { max_ttl: '1 hour' } })).toEqual({ 'sessions.max_ttl': 'must be a duration such as "15m" or "1h"' });
    expect(problems({ sessions: { max_ttl: '32d' } })).toEqual({ 'sessions.max_ttl': 'must be between 1s and 31d' });
    expect(problems({ sessions: { default_ttl: '500ms' } })).toEqual({ 'sessions.default_ttl': 'must be between 1s and 31d' });
    expect(problems({ listen: '127.0.0.1:70000' })).toHaveProperty('listen');
  });

  it('checks the environment variables it reads', () => {
    expect(problems({}, { ...HOME, ONTOREF_CRYPTO_PROVIDER: 'fast' })).toEqual({ 'env.ONTOREF_CRYPTO_PROVIDER': 'must be one of auto, noble, native' });
    expect(problems({}, { ...HOME, ONTOREF_ADDR: 'ftp://vault.example:8420' })).toHaveProperty('env.ONTOREF_ADDR');
    expect(problems({}, { ...HOME, ONTOREF_ADDR: 'not a url' })).toHaveProperty('env.ONTOREF_ADDR');
    expect(problems({}, { ...HOME, ONTOREF_ADDR: 'http://user:pw@127.0.0.1:1' })).toHaveProperty('env.ONTOREF_ADDR');
  });
});

describe('[audit] retention', () => {
  it('reads retain as a duration or a size, archive_dir relative to the file, and the interval', () => {
    expect(ok({ audit: { retain: '30d', archive_dir: 'arch', archive_interval: '5s' } }).audit).toEqual({ retain: { ms: 30 * 86_400_000 }, archiveDir: '/etc/ov/arch', archiveIntervalMs: 5000 });
    expect(ok({ audit: { retain: '1GiB' } }).audit.retain).toEqual({ bytes: 1024 ** 3 });
  });

  it('refuses a bare number, a tiny or unknown retain, an interval out of range and unknown keys, all at once', () => {
    expect(problems({ audit: { retain: '30', archive_interval: '10d', keep: 1 } })).toEqual({
      'audit.retain': 'must be a duration such as "30d" or a size such as "1GiB"',
      'audit.archive_interval': 'must be between 1s and 7d',
      'audit.keep': 'unknown key',
    });
    expect(problems({ audit: { retain: '500ms' } })).toEqual({ 'audit.retain': 'a duration must be at least 1s' });
    expect(problems({ audit: { retain: '10B' } })).toEqual({ 'audit.retain': 'a size must be at least 1KiB' });
    expect(problems({ audit: { archive_interval: 'hourly' } })).toEqual({ 'audit.archive_interval': 'must be a duration such as "1h" or "30m"' });
  });
});

describe('environment precedence: the file wins, the environment fills in, then the default', () => {
  it('ONTOREF_ADDR sets listen unless the file does', () => {
    expect(ok({}, { ...HOME, ONTOREF_ADDR: 'http://0.0.0.0:9999' }).listen).toEqual({ host: '0.0.0.0', port: 9999 });
    expect(ok({}, { ...HOME, ONTOREF_ADDR: 'http://[::1]:7000/' }).listen).toEqual({ host: '::1', port: 7000 });
    expect(ok({}, { ...HOME, ONTOREF_ADDR: 'http://localhost' }).listen).toEqual({ host: 'localhost', port: 80 });
    expect(ok({ listen: '127.0.0.1:1234' }, { ...HOME, ONTOREF_ADDR: 'http://0.0.0.0:9999' }).listen).toEqual({ host: '127.0.0.1', port: 1234 });
  });

  it('data dir: file, else ONTOREF_DATA_DIR, else XDG_DATA_HOME, else HOME', () => {
    expect(ok({}, { ...HOME, XDG_DATA_HOME: '/xdg' }).dataDir).toBe('/xdg/ontoref-vault');
    expect(ok({}, { ...HOME, XDG_DATA_HOME: '/xdg', ONTOREF_DATA_DIR: 'rel' }).dataDir).toBe('/work/rel');
    expect(ok({ data_dir: '/srv/vault' }, { ...HOME, ONTOREF_DATA_DIR: '/env' }).dataDir).toBe('/srv/vault');
    // A relative XDG_DATA_HOME is invalid by the XDG spec and ignored.
    expect(defaultDataDir({ HOME: '/h', XDG_DATA_HOME: 'rel' })).toBe('/h/.local/share/ontoref-vault');
  });

  it('ONTOREF_CRYPTO_PROVIDER fills crypto.provider', () => {
    expect(ok({}, { ...HOME, ONTOREF_CRYPTO_PROVIDER: 'noble' }).crypto.provider).toBe('noble');
    expect(ok({ crypto: { provider: 'auto' } }, { ...HOME, ONTOREF_CRYPTO_PROVIDER: 'noble' }).crypto.provider).toBe('auto');
  });
});

describe('value parsers', () => {
  it('parses durations with units d, h, m, s, ms, largest first', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1d2h3m4s5ms')).toBe(93_784_005);
    for (const bad of ['', '15', 'm', '1m1h', '1.5h', '-1s', ' 1m', '1m ', '1H', '1h1h', '1w', '9'.repeat(70) + 's']) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(31 * 86_400_000)).toBe('31d');
  });

  it('parses sizes and listen addresses', () => {
    expect(parseSize(1024)).toBe(1024);
    expect(parseSize('2MiB')).toBe(2 * 1024 * 1024);
    expect(parseSize('1MB')).toBe(1_000_000);
    expect(parseSize('512')).toBe(512);
    for (const bad of ['1 MiB', '1mib', '-1', '1.5MiB', '', 'MiB']) expect(parseSize(bad), bad).toBeUndefined();
    expect(parseSize(-1)).toBeUndefined();
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('vault.internal:8420')).toEqual({ host: 'vault.internal', port: 8420 });
    for (const bad of ['127.0.0.1', ':8420', '::1:8420', 'a b:1', 'host:-1', 'host:65536', 'http://h:1']) expect(parseListen(bad), bad).toBeUndefined();
  });
});

describe('files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ov-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds <data dir>/config.toml, ONTOREF_CONFIG, or an explicit path', () => {
    expect(configFilePath({ env: { ONTOREF_DATA_DIR: '/d' } })).toEqual({ path: '/d/config.toml', explicit: false });
    expect(configFilePath({ env: { ONTOREF_DATA_DIR: '/d', ONTOREF_CONFIG: '/c.toml' } })).toEqual({ path: '/c.toml', explicit: true });
    expect(configFilePath({ env: { ONTOREF_CONFIG: '/c.toml' }, path: '/x.toml' })).toEqual({ path: '/x.toml', explicit: true });
  });

  it('reads a TOML file; a missing implicit file means defaults, a missing explicit one is a problem', () => {
    const file = join(dir, 'config.toml');
    writeFileSync(file, 'listen = "127.0.0.1:9001"\n[sessions]\ndefault_ttl = "5m"\n');
    const c = loadConfig({ env: { ...HOME, ONTOREF_DATA_DIR: dir } });
    expect(c.listen.port).toBe(9001);
    expect(c.sessions.defaultTtlMs).toBe(300_000);
    expect(c.file).toBe(file);
    expect(c.dataDir).toBe(dir);

    const empty = join(dir, 'empty');
    expect(loadConfig({ env: { ...HOME, ONTOREF_DATA_DIR: empty } }).file).toBeNull();
    const missing = checkConfig({ env: HOME, path: join(dir, 'nope.toml') });
    expect(missing.config).toBeUndefined();
    expect(missing.problems).toEqual([{ path: '', message: `${join(dir, 'nope.toml')} does not exist` }]);
  });

  it('reports TOML syntax errors with their position, and throws OV_CONFIG_INVALID listing every problem', () => {
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, 'listen = "127.0.0.1:1"\nlog_level = = "x"\n');
    const r = checkConfig({ env: HOME, path: bad });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]?.message).toMatch(/^invalid TOML at line 2, column \d+/);

    const two = join(dir, 'two.toml');
    writeFileSync(two, 'lisen = "x"\n[sessions]\nmax_ttl = "forever"\n');
    let err: unknown;
    try {
      loadConfig({ env: HOME, path: two });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VaultError);
    const ve = err as VaultError;
    expect(ve.code).toBe('OV_CONFIG_INVALID');
    expect(ve.detail?.count).toBe(2);
    expect(String(ve.detail?.problems).split('\n')).toEqual(['lisen: unknown key', 'sessions.max_ttl: must be a duration such as "15m" or "1h"']);
  });
});

describe('the example in docs/config.md', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ov-config-docs-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function docsExample(): string {
    const text = readFileSync(join(import.meta.dirname, '../../docs/config.md'), 'utf8');
    const m = /## Example[\s\S]*?```toml\n([\s\S]*?)```/.exec(text);
    expect(m?.[1]).toBeDefined();
    return m?.[1] ?? '';
  }

  it('parses with no problem, and names no file that does not exist', () => {
    const file = join(dir, 'config.toml');
    writeFileSync(file, docsExample());
    const r = checkConfig({ env: HOME, path: file });
    expect(r.problems).toEqual([]);
    expect(checkConfigFiles(r.config as Config)).toEqual([]);
    expect(r.config?.sessions).toEqual({ defaultTtlMs: 900_000, maxTtlMs: 8 * 3_600_000 });
  });

  it('with its unseal_key_file uncommented: the missing file is named with its key, then accepted once it exists 0600', () => {
    const file = join(dir, 'keyfile.toml');
    writeFileSync(file, docsExample().replace('# unseal_key_file = ', 'unseal_key_file = '));
    const r = checkConfig({ env: HOME, path: file });
    expect(r.problems).toEqual([]);
    const key = join(dir, 'unseal.key');
    expect(checkConfigFiles(r.config as Config)).toEqual([
      { path: 'seal.unseal_key_file', message: `${key} does not exist (resolved against ${dir})` },
    ]);
    writeFileSync(key, new Uint8Array(32), { mode: 0o644 });
    chmodSync(key, 0o644);
    expect(checkConfigFiles(r.config as Config)).toEqual([
      { path: 'seal.unseal_key_file', message: `${key} is accessible by group or others (chmod 600 it)` },
    ]);
    chmodSync(key, 0o600);
    expect(checkConfigFiles(r.config as Config)).toEqual([]);
  });
});

describe('tls, trusted_proxies and api_addr', () => {
  it('defaults to plain HTTP, no proxies, no api_addr', () => {
    const c = ok({});
    expect(c.tls).toBeNull();
    expect(c.tlsDisable).toBe(false);
    expect(c.trustedProxies).toEqual([]);
    expect(c.apiAddr).toBeNull();
  });

  it('resolves [tls] paths against the file and defaults to TLS 1.3, client certificates required with a CA', () => {
    const c = ok({ tls: { cert_file: 'tls/server.pem', key_file: '/k/server.key', client_ca_file: 'ca.pem' } });
    expect(c.tls).toEqual({ certFile: '/etc/ov/tls/server.pem', keyFile: '/k/server.key', clientCaFile: '/etc/ov/ca.pem', clientAuth: 'require', minVersion: 'TLSv1.3' });
    expect(ok({ tls: { cert_file: 'a', key_file: 'b', client_ca_file: 'c', client_auth: 'request', min_version: 'TLSv1.2' } }).tls).toMatchObject({ clientAuth: 'request', minVersion: 'TLSv1.2' });
    expect(ok({ tls: { disable: true } }).tlsDisable).toBe(true);
  });

  it('refuses incomplete or contradictory [tls] tables, unknown keys and bad values', () => {
    expect(problems({ tls: { cert_file: 'a' } })).toEqual({ 'tls.key_file': 'must be set together with the other of tls.cert_file and tls.key_file' });
    expect(problems({ tls: { key_file: 'a' } })).toHaveProperty('tls.cert_file');
    expect(problems({ tls: { disable: true, cert_file: 'a', key_file: 'b' } })).toHaveProperty(['tls.disable']);
    expect(problems({ tls: { cert_file: 'a', key_file: 'b', client_auth: 'request' } })).toHaveProperty(['tls.client_auth']);
    expect(problems({ tls: { min_version: 'TLSv1.3' } })).toHaveProperty('tls');
    expect(problems({ tls: { cert_file: 'a', key_file: 'b', min_version: 'TLSv1.1' } })).toEqual({ 'tls.min_version': 'must be one of TLSv1.2, TLSv1.3' });
    expect(problems({ tls: { cert: 'a' } })).toEqual({ 'tls.cert': 'unknown key' });
  });

  it('normalises trusted_proxies and reports each bad entry by index', () => {
    expect(ok({ trusted_proxies: ['10.0.0.0/8', '192.168.1.5', 'FD00::/8'] }).trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.5/32', 'fd00::/8']);
    expect(problems({ trusted_proxies: ['10.0.0.0/33', 'proxy.local', '::1'] })).toEqual({
      'trusted_proxies.0': 'must be an IP address or CIDR such as "10.0.0.0/8" or "fd00::/8"',
      'trusted_proxies.1': 'must be an IP address or CIDR such as "10.0.0.0/8" or "fd00::/8"',
    });
  });

  it('keeps the origin of api_addr and refuses other schemes', () => {
    expect(ok({ api_addr: 'https://Vault.Example.net:8420/' }).apiAddr).toBe('https://vault.example.net:8420');
    expect(problems({ api_addr: 'ftp://x' })).toHaveProperty('api_addr');
  });

  it('accepts an https:// ONTOREF_ADDR for listen (port 443 by default)', () => {
    expect(ok({}, { ...HOME, ONTOREF_ADDR: 'https://127.0.0.1' }).listen).toEqual({ host: '127.0.0.1', port: 443 });
  });
});
