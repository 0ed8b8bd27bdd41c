/**
 * The shape every `vault` command module exports: a small descriptor (name, usage,
 * options for node:util `parseArgs` in strict mode, `run(ctx)`), and the context the
 * dispatcher hands to `run`. The one-line summary lives in cli/registry.ts. Command modules stay cheap to import: anything heavy
 * (the crypto stack, later the HTTP client) is imported lazily inside `run`, so
 * `--help` never pays for it.
 *
 * `run` returns the exit code (0 ok, 1 local error, 2 daemon error) or throws; it never
 * touches `process.exitCode` or `process.exit` (only cli/main.ts does).
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { CryptoProvider } from '../src/crypto/types.js';

/** One option: the parseArgs fields plus what help and the dispatcher need. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Value placeholder shown in help, e.g. `FILE`. */
  readonly arg?: string;
  /** One line for `--help`. */
  readonly help: string;
  /** Missing -> usage error before `run` is called. */
  readonly required?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S extends { readonly multiple: true }
    ? boolean[]
    : boolean
  : S extends { readonly multiple: true }
    ? string[]
    : S extends { readonly required: true }
      ? string
      : string | undefined;

/** Parsed option values: booleans default to false, multiples to []. */
export type OptionValues<O extends OptionSpecs> = { readonly [K in keyof O]: OptionValue<O[K]> };

/** Streams the command talks to; real process streams in production. */
export interface CliStreams {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable & { readonly isTTY?: boolean };
  readonly stderr: Writable & { readonly isTTY?: boolean };
}

/** The environment as read once at start-up by cli/main.ts (commands never read process.env). */
export interface CliEnv {
  /** ONTOREF_CRYPTO_PROVIDER, verbatim (validated by selectProvider). */
  readonly cryptoProvider: string | undefined;
  /** ONTOREF_DEBUG=1: print codes, details and stacks of errors. */
  readonly debug: boolean;
  /**
   * The variables the daemon commands read (every ONTOREF_*, HOME, XDG_CONFIG_HOME,
   * XDG_DATA_HOME), snapshot once at start-up; cli/connect/env.ts interprets them.
   */
  readonly vars: Readonly<Record<string, string | undefined>>;
}

export interface CommandContext<V> {
  readonly values: V;
  readonly positionals: readonly string[];
  /** e.g. `vault envelope seal`, for hints. */
  readonly commandPath: string;
  readonly env: CliEnv;
  readonly streams: CliStreams;
  /** The crypto provider chosen from ONTOREF_CRYPTO_PROVIDER; loaded on first use. */
  provider(): Promise<CryptoProvider>;
  /** Writes bytes or text to stdout and waits until it is handed to the OS. */
  out(data: Uint8Array | string): Promise<void>;
  /** Informational line on stderr (never a secret). */
  info(line: string): void;
  /** `vault: warning: ...` on stderr. */
  warn(message: string): void;
}

export interface CommandSpec<O extends OptionSpecs> {
  readonly name: string;
  /** Synopsis without the leading `Usage: `, e.g. `vault envelope seal --to PUB [options]`. */
  readonly usage: string;
  /** Extra help paragraphs (examples, notes) printed after the options. */
  readonly details?: string;
  readonly options: O;
  /** Positional arguments accepted (default none). */
  readonly positionals?: { readonly min: number; readonly max: number; readonly name: string };
  run(ctx: CommandContext<OptionValues<O>>): Promise<number>;
}

/** The type-erased form the dispatcher works with. */
export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly details: string | undefined;
  readonly options: OptionSpecs;
  readonly positionals: { readonly min: number; readonly max: number; readonly name: string };
  run(ctx: CommandContext<Readonly<Record<string, unknown>>>): Promise<number>;
}

/** Declares a command; keeps the option types for `run` and erases them for the registry. */
export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): Command {
  return {
    name: spec.name,
    usage: spec.usage,
    details: spec.details,
    options: spec.options,
    positionals: spec.positionals ?? { min: 0, max: 0, name: '' },
    // The dispatcher builds `values` from the same `options`, so the cast is sound.
    run: (ctx) => spec.run(ctx as CommandContext<OptionValues<O>>),
  };
}
