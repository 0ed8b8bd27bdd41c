/**
 * `npm run bench`: every benchmark of the project, each printed as a ratio against a
 * baseline measured in the same run. `--only crypto` limits the run to the parts that do
 * not load native addons (used for the second pass under Node 24).
 * @module
 */
import { benchCrypto } from './crypto.js';
import { summary } from './harness.js';

const args = process.argv.slice(2);
const only = args[0] === '--only' ? args[1] : undefined;

process.stdout.write(`# ontoref-vault benchmarks: Node ${process.versions.node}, OpenSSL ${process.versions.openssl}, ${process.platform}/${process.arch}\n`);
if (only === undefined || only === 'crypto') benchCrypto();
summary();
