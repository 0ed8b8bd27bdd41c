/** The storage conformance suite against SQLite: a real file per storage, in a temp dir. */
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { openStorage } from '../../../src/storage/index.js';
import { sqliteLoads, tempDir } from '../../unit/storage/helpers.js';
import { describeStorageConformance } from './index.js';

const { dir, cleanup } = tempDir();
let files = 0;
afterAll(cleanup);

describe.runIf(sqliteLoads)('sqlite backend', () => {
  describeStorageConformance('sqlite', () => openStorage(join(dir, `vault-${++files}.db`)));
});
