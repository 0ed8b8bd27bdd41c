/**
 * Archives of per-node audit chains: an archive of node a's chain names node a in its
 * header and file name, so two nodes' archives can share a directory; verifying node a
 * with that directory passes over b's files, and b's file named on its own is refused as
 * out of place. A peer head in a range the peer has archived counts as archived.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditArchiver, AuditLog, PEERS_PATH, archiveFileName, parseArchive, verifyAudit, verifyAuditChain, type AuditEvent } from '../../src/audit/index.js';
import { randomBytes } from '../../src/crypto/bytes.js';
import { selectProvider } from '../../src/crypto/provider.js';
import { VaultError } from '../../src/errors.js';
import { Keyring, keyringPublicKeys } from '../../src/keyring/index.js';
import { openPostgresStorage, type PostgresStorageHandle } from '../../src/storage/postgres/index.js';
import { freshDatabaseSync } from '../helpers/pg.js';
import { tempDir } from './storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;

function event(i: number): AuditEvent {
  return { type: 'request', method: 'GET', path: `/v1/secrets/app/${i}`, status: 200 };
}

describe('archives of per-node audit chains', () => {
  let a: PostgresStorageHandle;
  let b: PostgresStorageHandle;
  let ka: Keyring;
  let kb: Keyring;
  let clock: number;
  let dir: string;
  let cleanup: () => void;

  const archiver = (s: PostgresStorageHandle): AuditArchiver => new AuditArchiver({ storage: s, provider, publicKeys: () => keyringPublicKeys(s), now: () => clock, sync: () => Promise.resolve() });

  beforeEach(() => {
    const url = freshDatabaseSync();
    const root = randomBytes(32);
    a = openPostgresStorage({ url, node: 'a' });
    b = openPostgresStorage({ url, node: 'b' });
    ka = Keyring.create(a, provider, root, { now: T0 });
    kb = Keyring.open(b, provider, root);
    clock = T0;
    ({ dir, cleanup } = tempDir());
    const la = new AuditLog(a, { hmacKey: () => ka.secret('audit').key, signer: () => ka.current('sign'), provider, now: () => clock++, checkpointEvery: 4 });
    const lb = new AuditLog(b, { hmacKey: () => kb.secret('audit').key, signer: () => kb.current('sign'), provider, now: () => clock++, checkpointEvery: 4 });
    for (let i = 0; i < 12; i++) {
      la.append(event(i));
      lb.append(event(i));
    }
  });
  afterEach(() => {
    ka.wipe();
    kb.wipe();
    a.close();
    b.close();
    cleanup();
  });

  it("names the node in the archive and its file name; verify DIR takes only this node's files", async () => {
    const written = [...(await archiver(a).archiveInto(dir, { before: clock + 1 })), ...(await archiver(b).archiveInto(dir, { before: clock + 1 }))];
    expect(written.length).toBe(2);
    const names = readdirSync(dir).sort();
    expect(names.filter((n) => n.startsWith('audit-a-')).length).toBe(1);
    expect(names.filter((n) => n.startsWith('audit-b-')).length).toBe(1);
    const fileA = join(dir, names.find((n) => n.startsWith('audit-a-')) as string);
    const parsed = parseArchive(new Uint8Array(readFileSync(fileA)));
    expect(parsed.header.node).toBe('a');
    expect(archiveFileName(parsed.header.firstSeq, parsed.header.lastSeq, 'a')).toBe(fileA.slice(dir.length + 1));
    expect(archiveFileName(1, 2)).toBe('audit-0000000000000001-0000000000000002.ovaudit');

    const inputs = names.map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(join(dir, n))) }));
    const report = verifyAuditChain(inputs, a, keyringPublicKeys(a), provider, { sortByStart: true });
    expect(report.problem).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.archives.map((x) => x.file)).toEqual([fileA.slice(dir.length + 1)]);

    const fileB = names.find((n) => n.startsWith('audit-b-')) as string;
    const wrong = verifyAuditChain([{ name: fileB, bytes: new Uint8Array(readFileSync(join(dir, fileB))) }], a, keyringPublicKeys(a), provider);
    expect(wrong.ok).toBe(false);
    expect(wrong.problem?.code).toBe('OV_AUDIT_ARCHIVE_ORDER');
    expect(wrong.problem?.file).toBe(fileB);
  });

  it('counts a peer head in the peer archived range as archived, and the rest as checked', async () => {
    const before = verifyAudit(a, keyringPublicKeys(a), provider);
    expect(before.ok).toBe(true);
    expect(before.peerHeads?.archived).toBe(0);
    await archiver(b).archiveInto(dir, { before: clock + 1 });
    const after = verifyAudit(a, keyringPublicKeys(a), provider);
    expect(after.ok).toBe(true);
    expect(after.peerHeads!.archived).toBeGreaterThan(0);
    // Every head a names, plus those b still names in its live log (its archived entries' are gone from the store).
    const named = (st: PostgresStorageHandle): number => [...st.audit.entries()].filter((e) => e.entry.includes(PEERS_PATH)).length;
    expect(after.peerHeads!.archived + after.peerHeads!.checked).toBe(named(a) + named(b));
    expect(named(a) + named(b)).toBeLessThan(before.peerHeads!.checked);
  });

  it('refuses a header whose node is not a node name', async () => {
    const [file] = await archiver(a).archiveInto(dir, { before: clock + 1 });
    const text = readFileSync(file as string, 'utf8');
    expect(text.split('\n')[0]).toContain('"node":"a"');
    let caught: unknown;
    try {
      parseArchive(new TextEncoder().encode(text.replace('"node":"a"', '"node":"A-1"')));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(VaultError);
    expect((caught as VaultError).code).toBe('OV_AUDIT_ARCHIVE_MALFORMED');
    expect(parseArchive(new TextEncoder().encode(text)).header.node).toBe('a');
  });
});
