/**
 * `npm run bench`: every benchmark of the project, each printed as a ratio against a
 * baseline measured in the same run. `--only crypto` limits the run to the parts that do
 * not load native addons (used for the second pass under Node 24, since better-sqlite3
 * is built for the Node that installed it); `--only sessions` / `--only daemon` /
 * `--only http` / `--only validators` / `--only rewrap` / `--only tls` / `--only transit` / `--only signer` pick one part.
 * @module
 */
import { summary } from './harness.js';

const args = process.argv.slice(2);
const only = args[0] === '--only' ? args[1] : undefined;
const want = (part: string): boolean => only === undefined || only === part;

process.stdout.write(`# ontoref-vault benchmarks: Node ${process.versions.node}, OpenSSL ${process.versions.openssl}, ${process.platform}/${process.arch}\n`);
if (want('crypto')) (await import('./crypto.js')).benchCrypto();
if (want('sessions')) await (await import('./sessions.js')).benchSessions();
if (want('daemon')) await (await import('./daemon.js')).benchDaemon();
if (want('validators')) await (await import('./validators.js')).benchValidators();
if (want('http')) await (await import('./http.js')).benchHttp();
if (want('rewrap')) await (await import('./rewrap.js')).benchRewrap();
// The handshake part needs no native addon, so the Node 24 pass (`--only crypto`) runs it too.
if (want('tls') || only === 'crypto') await (await import('./tls.js')).benchTls({ read: want('tls') });
if (want('transit')) await (await import('./transit.js')).benchTransit();
if (want('signer')) await (await import('./signer.js')).benchSigner();
summary();
