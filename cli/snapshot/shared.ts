/**
 * What the `vault snapshot` commands share: the data dir they work on, reading a
 * snapshot file, and the manifest in the CLI's words.
 * @module
 */
import { resolve } from 'node:path';
import type { SnapshotManifest } from '../../src/snapshot/index.js';
import type { CommandContext } from '../command.js';
import { envRecord } from '../connect/env.js';
import { readFileCapped } from '../io.js';

/** Snapshots are read whole; the daemon's are bounded by the client's 16 MiB answer cap. */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

/** --data-dir, else the config's, else ONTOREF_DATA_DIR or the default. */
export async function dataDirOf(ctx: CommandContext<unknown>, flag: string | undefined): Promise<string> {
  if (flag !== undefined) return resolve(flag);
  const { checkConfig, envDataDir } = await import('../../src/config.js');
  return checkConfig({ env: envRecord(ctx) }).config?.dataDir ?? envDataDir(envRecord(ctx));
}

export function readSnapshotFile(path: string): Promise<Uint8Array> {
  return readFileCapped(path, MAX_SNAPSHOT_BYTES);
}

/** The manifest as `key: value` lines. */
export function formatManifest(m: SnapshotManifest, fingerprint: string): string {
  return [
    `format:           ${m.format}`,
    `vault id:         ${m.vaultId}`,
    `schema version:   ${m.schemaVersion}`,
    `created at:       ${m.createdAt}`,
    `audit seq:        ${m.auditSeq}`,
    `data:             ${m.dataBytes} bytes, sha256 ${m.dataSha256}`,
    `signed by:        ${m.signer.alg} v${m.signer.keyVersion} (key id ${m.signer.keyId})`,
    `key fingerprint:  ${fingerprint}`,
  ].join('\n') + '\n';
}
