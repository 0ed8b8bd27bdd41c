#!/usr/bin/env node
/**
 * The `vault` command: argv -> command -> exit code. The only CLI file that calls
 * process.exit. Exit codes: 0 ok, 1 usage or local error, 2 error from the daemon.
 * @module
 */
process.stderr.write('vault: error: no commands yet\n');
process.exitCode = 1;
