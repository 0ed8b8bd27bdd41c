/**
 * Where the daemon listens, and where the client and the CLI look for it, unless the
 * config file or ONTOREF_ADDR says otherwise. One constant, so the three cannot disagree.
 * @module
 */

export const DEFAULT_ADDR = 'http://127.0.0.1:8420';
