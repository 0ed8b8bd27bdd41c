/**
 * `vault run --secret ENV=path#field ... -- CMD ARGS`: fetches every secret first, then
 * runs CMD with them added to its environment. Nothing starts unless every value was
 * fetched (a half-configured service is worse than none). The values go only into the
 * child's environment: never argv (which `ps` shows), never a file, never printed.
 *
 * The child is spawned without a shell (ARGS are passed as they are, no word splitting or
 * expansion), inherits stdin, stdout and stderr, and gets SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT forwarded; `vault run` exits with the child's exit code, or 128 + the signal
 * number when the child died of a signal, as a shell reports it. If CMD cannot be started
 * the exit code is 127 (not found) or 126 (not executable), as in env(1).
 *
 * Template file (`--env-file-template F`): one `NAME={{ path#field }}` per line, blanks
 * around the reference allowed; empty lines and lines starting with `#` are ignored;
 * anything else is an error naming the line number.
 * @module
 */
import { spawn } from 'node:child_process';
import { constants as osc } from 'node:os';
import type { VaultClient } from '../../src/client/index.js';
import { VaultError } from '../../src/errors.js';
import { defineCommand } from '../command.js';
import { CliError, formatError, isFromDaemon, usageError, withHints } from '../errors.js';
import { clientLib, connect } from '../connect/connect.js';
import { quotePath, readFileCapped } from '../io.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_TEMPLATE_BYTES = 1024 * 1024;
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

export interface SecretRef {
  readonly env: string;
  readonly path: string;
  readonly field: string;
  /** `--secret` or `FILE line N`, for messages. */
  readonly where: string;
}

export type PathCheck = (path: string) => boolean;

/** `path#field` (the part after `ENV=`), or undefined when malformed. */
function parseRef(text: string, isPath: PathCheck): { path: string; field: string } | undefined {
  const hash = text.indexOf('#');
  if (hash <= 0 || hash === text.length - 1) return undefined;
  const path = text.slice(0, hash);
  const field = text.slice(hash + 1);
  if (!isPath(path)) return undefined;
  return { path, field };
}

/** One `--secret ENV=path#field`. */
export function parseSecretOption(spec: string, commandPath: string, isPath: PathCheck): SecretRef {
  const eq = spec.indexOf('=');
  const env = eq < 0 ? '' : spec.slice(0, eq);
  const ref = eq < 0 ? undefined : parseRef(spec.slice(eq + 1), isPath);
  if (!ENV_NAME.test(env) || ref === undefined) {
    throw usageError('--secret takes ENV=path#field, e.g. DB_PASSWORD=apps/web/db#password', commandPath);
  }
  return { env, ...ref, where: '--secret' };
}

const TEMPLATE_LINE = /^\s*([A-Za-z_][A-Za-z0-9_]{0,127})\s*=\s*\{\{\s*([^\s{}]+)\s*\}\}\s*$/;

/** The references of a template file (see the module comment for the syntax). */
export function parseTemplate(text: string, name: string, isPath: PathCheck): SecretRef[] {
  const refs: SecretRef[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = TEMPLATE_LINE.exec(line);
    const ref = m?.[2] === undefined ? undefined : parseRef(m[2], isPath);
    if (m?.[1] === undefined || ref === undefined) {
      // The line is not echoed: a user may have pasted a value into the template by mistake.
      throw new CliError('OV_INVALID_ARGUMENT', {
        reason: `${quotePath(name)} line ${i + 1}: expected NAME={{ path#field }}`,
        hints: ['e.g. DB_PASSWORD={{ apps/web/db#password }}; # starts a comment line'],
      });
    }
    refs.push({ env: m[1], ...ref, where: `${quotePath(name)} line ${i + 1}` });
  });
  return refs;
}

/**
 * Fetches every reference. Fields of one path are read from one version: the first read
 * fixes the version (from `x-ontoref-version`) and the others ask for it, so a write in
 * between cannot mix two versions of a secret. Paths are fetched in parallel; every
 * request is awaited before the first failure (in reference order) is reported.
 */
export async function fetchAll(client: VaultClient, refs: readonly SecretRef[]): Promise<Map<string, string>> {
  const byPath = new Map<string, SecretRef[]>();
  for (const r of refs) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const values = new Map<string, string>();
  const failures = new Map<SecretRef, unknown>();
  await Promise.all(
    [...byPath.values()].map(async (group) => {
      let version: number | undefined;
      const fieldCache = new Map<string, string>();
      for (const ref of group) {
        try {
          let value = fieldCache.get(ref.field);
          if (value === undefined) {
            const f = await client.getSecretField(ref.path, ref.field, version === undefined ? {} : { version });
            version ??= f.version;
            value = f.value;
            fieldCache.set(ref.field, value);
          }
          values.set(ref.env, value);
        } catch (e) {
          failures.set(ref, e);
          return; // the rest of this path would fail the same way
        }
      }
    }),
  );
  for (const ref of refs) {
    const e = failures.get(ref);
    if (e === undefined) continue;
    // Say which reference failed when the daemon's answer is about the secret itself; keep
    // the usual hints (vault login, vault unseal) otherwise.
    if (e instanceof VaultError && isFromDaemon(e) && (e.status === 403 || e.status === 404)) {
      throw withHints(e, [`while fetching ${ref.env}=${ref.path}#${ref.field.replace(/[\p{Cc}\p{Cf}]/gu, '?')} (${ref.where})`, 'CMD was not started']);
    }
    throw e instanceof Error ? e : new CliError('OV_INTERNAL');
  }
  return values;
}

function signalNumber(sig: NodeJS.Signals): number {
  return (osc.signals as Readonly<Record<string, number | undefined>>)[sig] ?? 0;
}

export const command = defineCommand({
  name: 'run',
  usage: 'vault run (--secret ENV=path#field ... | --env-file-template FILE) -- CMD [ARGS...]',
  positionals: { min: 1, max: 100_000, name: 'CMD' },
  options: {
    secret: { type: 'string', multiple: true, arg: 'ENV=PATH#FIELD', help: 'set ENV to the field FIELD of the secret PATH (repeatable)' },
    'env-file-template': { type: 'string', arg: 'FILE', help: 'read NAME={{ path#field }} lines from FILE' },
  },
  details: [
    'Every secret is fetched before CMD starts; if any fetch fails, CMD never runs (exit 2',
    'for an error from the daemon, 1 for a local one). CMD gets the current environment plus',
    'the secrets, runs without a shell, and receives SIGINT, SIGTERM, SIGHUP and SIGQUIT.',
    "The exit code is CMD's, or 128 + the signal number if CMD was killed by a signal",
    '(127: CMD not found, 126: not executable).',
    '',
    'Template lines are NAME={{ path#field }}; empty lines and # comments are ignored.',
    '',
    'Examples:',
    '  vault run --secret DB_PASSWORD=apps/web/db#password -- ./migrate --up',
    '  vault run --env-file-template web.env.tpl -- node server.js',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const { isSecretPath } = await clientLib();
    const refs = v.secret.map((s) => parseSecretOption(s, ctx.commandPath, isSecretPath));
    const template = v['env-file-template'];
    if (template !== undefined) {
      const bytes = await readFileCapped(template, MAX_TEMPLATE_BYTES);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new CliError('OV_INVALID_ARGUMENT', { reason: `${quotePath(template)} is not UTF-8 text` });
      }
      refs.push(...parseTemplate(text, template, isSecretPath));
    }
    if (refs.length === 0) throw usageError('no secrets given: pass --secret ENV=path#field or --env-file-template FILE', ctx.commandPath);
    const seen = new Set<string>();
    for (const r of refs) {
      if (seen.has(r.env)) throw usageError(`${r.env} is set twice`, ctx.commandPath);
      seen.add(r.env);
    }

    const client = await connect(ctx);
    const values = await fetchAll(client, refs);
    for (const [env, value] of values) {
      if (value.includes('\0')) throw new CliError('OV_INVALID_ARGUMENT', { reason: `the value for ${env} holds a NUL character, which an environment variable cannot` });
    }

    const [cmd, ...args] = ctx.positionals as [string, ...string[]];
    // The child inherits this process's environment (as env(1) and shells do), which the
    // CLI otherwise reads only through the snapshot cli/main.ts takes, minus the vault's
    // own session token: the command gets the secrets it was given, not the power to read
    // every other secret the session can (map it explicitly with --secret if truly needed).
    const inherited: Record<string, string | undefined> = { ...process.env };
    delete inherited.ONTOREF_TOKEN;
    const env: Record<string, string | undefined> = { ...inherited, ...Object.fromEntries(values) };
    values.clear();
    const child = spawn(cmd, args, { stdio: 'inherit', env, shell: false });
    const forward = new Map<NodeJS.Signals, () => void>();
    for (const sig of FORWARDED) {
      const h = (): void => {
        child.kill(sig);
      };
      forward.set(sig, h);
      process.on(sig, h);
    }
    try {
      const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: unknown }>((resolve) => {
        child.once('error', (error) => resolve({ error }));
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      if ('error' in result) {
        const errno = (result.error as { code?: unknown }).code;
        const missing = errno === 'ENOENT';
        const e = new CliError('OV_IO', {
          reason: `cannot run ${quotePath(cmd)}: ${missing ? 'command not found' : errno === 'EACCES' ? 'permission denied' : 'failed to start'}`,
        });
        for (const line of formatError(e, ctx.env.debug)) ctx.streams.stderr.write(`${line}\n`);
        return missing ? 127 : 126;
      }
      if (result.signal !== null) return 128 + signalNumber(result.signal);
      return result.code ?? 1;
    } finally {
      for (const [sig, h] of forward) process.removeListener(sig, h);
    }
  },
});
