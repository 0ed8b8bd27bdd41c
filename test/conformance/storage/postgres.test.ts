/**
 * The storage conformance suite against PostgreSQL: a new database on the test server for
 * every storage the suite opens.
 */
import { openPostgresStorage } from '../../../src/storage/postgres/index.js';
import { freshDatabaseSync } from '../../helpers/pg.js';
import { describeStorageConformance } from './index.js';

describeStorageConformance('postgres', () => openPostgresStorage({ url: freshDatabaseSync() }));
