/**
 * What `vault tls gen` and `vault setup --gen-keys --tls` share: make the local CA and the
 * server certificate in `<data dir>/tls/` and name them in the config's `[tls]` table
 * (appended when the file has none; an existing table is the operator's and is left as is).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { ioError, writeFiles } from '../io.js';

export interface TlsApplied {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
  readonly sans: readonly string[];
  readonly configFile: string;
  /** False when the config already had a `[tls]` table (then it was not changed). */
  readonly configChanged: boolean;
}

export async function applyTls(
  ctx: CommandContext<unknown>,
  dataDir: string,
  configFile: string,
  extraSans: readonly string[],
  alg: string | undefined,
): Promise<TlsApplied> {
  const { CERT_ALGS, generateTlsFiles, configWithTls } = await import('../../src/tls/certs.js');
  const a = alg ?? 'ecdsa-p256';
  if (!(CERT_ALGS as readonly string[]).includes(a)) throw new CliError('OV_INVALID_ARGUMENT', { reason: `--tls-alg must be one of ${CERT_ALGS.join(', ')}` });
  let files;
  try {
    files = await generateTlsFiles(dataDir, { extraSans, alg: a as (typeof CERT_ALGS)[number] });
  } catch (e) {
    // A bad --tls-san or an algorithm this runtime lacks: say which option and why.
    const d = (e as { code?: unknown; detail?: Record<string, unknown> }).detail;
    if ((e as { code?: unknown }).code === 'OV_INVALID_ARGUMENT' && typeof d?.['reason'] === 'string') {
      throw new CliError('OV_INVALID_ARGUMENT', { reason: `--${String(d['field'])}: ${d['reason']}` });
    }
    throw e;
  }
  let text = '';
  try {
    text = await readFile(configFile, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw ioError(e, 'read', configFile);
    try {
      await mkdir(dirname(configFile), { recursive: true, mode: 0o700 });
    } catch (e2) {
      throw ioError(e2, 'write', dirname(configFile));
    }
  }
  const next = configWithTls(text, files);
  if (next.changed) await writeFiles([{ path: configFile, data: next.text, secret: true }]);
  else ctx.warn(`${configFile} already has a [tls] table; it was left as is`);
  return { caCert: files.caCert, cert: files.cert, key: files.key, sans: files.sans, configFile, configChanged: next.changed };
}

/** The lines that tell an operator what was made and how clients trust it. */
export function tlsReport(r: TlsApplied): string[] {
  return [
    `TLS certificate: ${r.cert} (SANs: ${r.sans.join(', ')}), key ${r.key} (0600)`,
    `clients trust it with: export ONTOREF_CACERT=${r.caCert} ONTOREF_ADDR=https://127.0.0.1:8420`,
    ...(r.configChanged ? [`config: ${r.configFile} ([tls] set; restart the daemon, or send it SIGHUP if it already serves TLS)`] : []),
  ];
}
