/**
 * ontoref-vault public entry point: the crypto providers, the envelope format and the
 * error registry, for users' own scripts. The CLI and daemon import the same modules.
 * @module
 */
export * from './errors.js';
export type * from './crypto/types.js';
