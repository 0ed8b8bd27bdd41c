export { MemorySessionPersistence } from '../storage/memory/sessions.js';
