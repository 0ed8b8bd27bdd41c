/** The storage conformance suite against the in-memory backend. */
import { openMemoryStorage } from '../../../src/storage/index.js';
import { describeStorageConformance } from './index.js';

describeStorageConformance('memory', openMemoryStorage);
