/**
 * Node options the daemon is started with. The bundle's first line, `install.sh` and its
 * systemd unit, and the benchmarks all pass them (docs/adr/0023-v8-memory-reducer.md).
 * @module
 */

/**
 * V8's memory reducer runs shrinking GCs once a process has idled for about 8 s. On Node 20
 * (V8 11), when they run before the daemon's first requests, as they do whenever a started
 * daemon waits for traffic, its read path stays 15-20% slower for as long as it was
 * measured. On Node 24 the flag changes neither speed nor RSS.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];
