#!/usr/bin/env -S node --no-memory-reducer --
/**
 * The `vault` command: argv -> command -> exit code. Dispatches `vault <group> <command>`
 * through cli/registry.ts, parses options with node:util `parseArgs` (strict: unknown
 * options are usage errors; Vault's single-dash long flags are accepted, cli/argv.ts), and
 * turns errors into age-style stderr lines (cli/errors.ts).
 *
 * The shebang runs `node --`: Node 20 scans the whole command line for its own
 * `--env-file` (even after the script name) and would exit before this file runs. Before
 * the `--` it passes the daemon's Node options (DAEMON_NODE_FLAGS, src/daemon-flags.ts).
 *
 * This is the only CLI file that reads process.env (once, here) or sets the exit code.
 * Exit codes: 0 ok, 1 usage or local error, 2 error from the daemon. It sets
 * `process.exitCode` rather than calling `process.exit`, so pending stdout is flushed.
 * @module
 */
import { parseArgs } from 'node:util';
import type { CryptoProvider } from '../src/crypto/types.js';
import { packageVersion } from '../src/util/package-version.js';
import { normalizeArgs } from './argv.js';
import type { CliEnv, CliStreams, Command, CommandContext } from './command.js';
import { CliError, EXIT_LOCAL, EXIT_OK, exitCodeFor, formatError, usageError } from './errors.js';
import { commandHelp, groupHelp, topHelp } from './help.js';
import { ioError } from './io.js';
import { findEntry } from './registry.js';

function write(stream: CliStreams['stdout'], text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(ioError(err, 'write', 'stdout')) : resolve()));
  });
}

/** Safe to echo: something shaped like a command name (argv may hold anything). */
function echoName(s: string): string {
  return /^[a-z][a-z0-9-]{0,31}$/.test(s) ? ` '${s}'` : '';
}

/** Rewrites parseArgs's messages in our voice, naming the option but never echoing values. */
function parseErrorReason(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  const opt = /'(--?[A-Za-z0-9][A-Za-z0-9-]*)/.exec(e instanceof Error ? e.message : '')?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return opt === undefined ? 'unknown option' : `unknown option ${opt}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const o = opt ?? 'option';
      const msg = e instanceof Error ? e.message : '';
      if (msg.includes('does not take')) return `option ${o} takes no value`;
      if (msg.includes('ambiguous')) return `option ${o} needs a value (write ${o}=-VALUE for one starting with -)`;
      return `option ${o} needs a value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return 'unexpected argument';
    default:
      return undefined;
  }
}

interface Runtime {
  readonly env: CliEnv;
  readonly streams: CliStreams;
  readonly version: string;
}

function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '-h' || a === '--help') return true;
  }
  return false;
}

async function runCommand(rt: Runtime, commandPath: string, summary: string, cmd: Command, args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    await write(rt.streams.stdout, commandHelp(commandPath, summary, cmd));
    return EXIT_OK;
  }
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(cmd.options)) {
    options[name] = { type: o.type, ...(o.short === undefined ? {} : { short: o.short }), ...(o.multiple === true ? { multiple: true } : {}) };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: normalizeArgs(args, cmd.options), options, strict: true, allowPositionals: true });
  } catch (e) {
    const reason = parseErrorReason(e);
    if (reason === undefined) throw e;
    throw usageError(reason, commandPath);
  }
  const { min, max, name } = cmd.positionals;
  if (parsed.positionals.length > max) throw usageError('unexpected argument', commandPath);
  if (parsed.positionals.length < min) throw usageError(`missing ${name}`, commandPath);

  const values: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(cmd.options)) {
    const v = parsed.values[key];
    if (v === undefined && o.required === true) throw usageError(`missing required option --${key}`, commandPath);
    values[key] = v ?? (o.multiple === true ? [] : o.type === 'boolean' ? false : undefined);
  }

  let providerPromise: Promise<CryptoProvider> | undefined;
  const ctx: CommandContext<Readonly<Record<string, unknown>>> = {
    values: Object.freeze(values),
    positionals: Object.freeze(parsed.positionals),
    commandPath,
    env: rt.env,
    streams: rt.streams,
    provider() {
      // Imported lazily: help and usage errors never load the crypto stack.
      providerPromise ??= import('../src/crypto/provider.js').then((m) => m.selectProvider(rt.env.cryptoProvider));
      return providerPromise;
    },
    async out(data) {
      await new Promise<void>((resolve, reject) => {
        rt.streams.stdout.write(data, (err) => (err ? reject(ioError(err, 'write', 'stdout')) : resolve()));
      });
    },
    info(line) {
      rt.streams.stderr.write(`${line}\n`);
    },
    warn(message) {
      rt.streams.stderr.write(`vault: warning: ${message}\n`);
    },
  };
  return cmd.run(ctx);
}

/**
 * Vault's spelling of the snapshot commands, `vault operator snapshot ...`, runs the same
 * commands as `vault snapshot ...`: operators type what their runbooks say. Likewise
 * `vault signer identity ...` is `vault signer-identity ...`.
 */
function unalias(argv: readonly string[]): readonly string[] {
  if (argv[0] === 'signer' && argv[1] === 'identity') return ['signer-identity', ...argv.slice(2)];
  return argv[0] === 'operator' && argv[1] === 'snapshot' ? argv.slice(1) : argv;
}

async function dispatch(rt: Runtime, original: readonly string[]): Promise<number> {
  const argv = unalias(original);
  const [first, second, ...rest] = argv;
  if (first === undefined) {
    rt.streams.stderr.write(topHelp(rt.version));
    return EXIT_LOCAL;
  }
  if (first === '-h' || first === '--help') {
    await write(rt.streams.stdout, topHelp(rt.version));
    return EXIT_OK;
  }
  if (first === '--version') {
    await write(rt.streams.stdout, `vault ${rt.version}\n`);
    return EXIT_OK;
  }
  if (first === 'help') {
    return help(rt, argv.slice(1));
  }
  if (first.startsWith('-')) throw usageError(`unknown option${/^--?[A-Za-z0-9-]+$/.test(first) ? ` ${first}` : ''}`);

  const entry = findEntry(first);
  if (entry === undefined) throw usageError(`unknown command${echoName(first)}`);
  if (entry.kind === 'command') {
    return runCommand(rt, `vault ${entry.name}`, entry.summary, await entry.load(), argv.slice(1));
  }
  if (second === '-h' || second === '--help') {
    await write(rt.streams.stdout, groupHelp(entry));
    return EXIT_OK;
  }
  if (second === undefined) {
    rt.streams.stderr.write(groupHelp(entry));
    return EXIT_LOCAL;
  }
  const ref = Object.hasOwn(entry.commands, second) ? entry.commands[second] : undefined;
  if (ref === undefined) {
    throw new CliError('OV_USAGE', {
      reason: `unknown command${echoName(second)} in group '${entry.name}'`,
      hints: [`run 'vault help ${entry.name}' for its commands`],
    });
  }
  return runCommand(rt, `vault ${entry.name} ${second}`, ref.summary, await ref.load(), rest);
}

async function help(rt: Runtime, topics: readonly string[]): Promise<number> {
  const [group, command, extra] = unalias(topics);
  if (group === undefined) {
    await write(rt.streams.stdout, topHelp(rt.version));
    return EXIT_OK;
  }
  const entry = findEntry(group);
  if (entry === undefined || extra !== undefined) throw usageError(`no help for${echoName(group)}`);
  if (entry.kind === 'command') {
    if (command !== undefined) throw usageError(`no help for${echoName(group)}`);
    await write(rt.streams.stdout, commandHelp(`vault ${entry.name}`, entry.summary, await entry.load()));
    return EXIT_OK;
  }
  if (command === undefined) {
    await write(rt.streams.stdout, groupHelp(entry));
    return EXIT_OK;
  }
  const ref = Object.hasOwn(entry.commands, command) ? entry.commands[command] : undefined;
  if (ref === undefined) throw usageError(`unknown command${echoName(command)} in group '${entry.name}'`);
  await write(rt.streams.stdout, commandHelp(`vault ${entry.name} ${command}`, ref.summary, await ref.load()));
  return EXIT_OK;
}

async function main(): Promise<void> {
  const env: CliEnv = Object.freeze({
    cryptoProvider: process.env['ONTOREF_CRYPTO_PROVIDER'],
    debug: process.env['ONTOREF_DEBUG'] === '1',
    vars: Object.freeze(
      Object.fromEntries(
        Object.entries(process.env).filter(([k]) => k.startsWith('ONTOREF_') || k === 'HOME' || k === 'XDG_CONFIG_HOME' || k === 'XDG_DATA_HOME'),
      ),
    ),
  });
  const streams: CliStreams = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  // A closed pipe (`vault ... | head`) surfaces through write callbacks; without a listener
  // the 'error' event would crash the process with a stack trace.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);

  let code: number;
  try {
    code = await dispatch({ env, streams, version: packageVersion() }, process.argv.slice(2));
  } catch (e) {
    for (const line of formatError(e, env.debug)) process.stderr.write(`${line}\n`);
    code = exitCodeFor(e);
  }
  process.exitCode = code;
}

await main();
