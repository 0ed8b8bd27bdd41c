/**
 * `npm run bench`: every benchmark of the project, each printed as a ratio against a
 * baseline measured in the same run. `--only crypto` limits the run to the parts that do
 * not need native addons (used for the second pass under Node 24, since better-sqlite3
 * is built for the Node that installed it): crypto, the TLS handshakes and the HTTP read,
 * whose daemon then uses node:sqlite; `--only sessions` / `--only daemon` /
 * `--only http` / `--only validators` / `--only rewrap` / `--only tls` / `--only transit` / `--only signer` / `--only import` / `--only pg-reads` / `--only cluster` pick one part.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { summary } from './harness.js';

const args = process.argv.slice(2);
const only = args[0] === '--only' ? args[1] : undefined;
const soak = args.includes('--soak');
const want = (part: string): boolean => !soak && (only === undefined || only === part);
const node24 = args.includes('--node24');
const soakAt = args.indexOf('--soak-seconds');
const soakSeconds = soakAt < 0 ? 600 : Number(args[soakAt + 1]);

/** Runs this file again under Node 24 with `passArgs`; false when that run failed. */
function underNode24(passArgs: readonly string[]): boolean {
  const r = spawnSync('npx', ['-y', 'node@24', resolve(import.meta.dirname, 'main.js'), ...passArgs], { stdio: 'inherit' });
  return r.status === 0;
}

process.stdout.write(`# ontoref-vault benchmarks: Node ${process.versions.node}, OpenSSL ${process.versions.openssl}, ${process.platform}/${process.arch}\n`);
if (soak) {
  if (!Number.isFinite(soakSeconds) || soakSeconds < 10) throw new Error('--soak-seconds needs a number of seconds (at least 10)');
  if (node24) process.exitCode = underNode24(['--soak', '--soak-seconds', String(soakSeconds)]) ? 0 : 1;
  else await (await import('./soak.js')).benchSoak(soakSeconds);
}
if (want('crypto')) (await import('./crypto.js')).benchCrypto();
if (want('sessions')) await (await import('./sessions.js')).benchSessions();
if (want('daemon')) await (await import('./daemon.js')).benchDaemon();
if (want('validators')) await (await import('./validators.js')).benchValidators();
// The read case runs on either SQLite driver (node:sqlite where the better-sqlite3 addon
// was built for another Node), so the Node 24 pass (`--only crypto`) measures it too.
if (want('http') || only === 'crypto') await (await import('./http.js')).benchHttp();
if (want('rewrap')) await (await import('./rewrap.js')).benchRewrap();
// The handshake part needs no native addon, so the Node 24 pass (`--only crypto`) runs it too.
if (want('tls') || only === 'crypto') await (await import('./tls.js')).benchTls({ read: want('tls') });
if (want('transit')) await (await import('./transit.js')).benchTransit();
if (want('signer')) await (await import('./signer.js')).benchSigner();
if (want('startup')) await (await import('./startup.js')).benchStartup();
if (want('writes')) await (await import('./writes.js')).benchWrites();
if (want('import')) await (await import('./import-load.js')).benchImportLoad();
if (want('pg-reads')) await (await import('./pg-reads.js')).benchPgReads();
if (want('cluster')) await (await import('./cluster.js')).benchCluster();
// A soak handed to Node 24 prints its own summary there.
if (!(soak && node24)) summary();
if (node24 && !soak) {
  for (const part of ['crypto', 'startup', 'writes', 'signer', 'import']) if (!underNode24(['--only', part])) process.exitCode = 1;
}
