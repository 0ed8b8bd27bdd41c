/**
 * Checks a daemon's JSON answer against the route's response schema (src/api) before the
 * client returns it. Checkers are compiled on first use, one per schema, and cached: a
 * CLI run makes one or two calls, so compiling every schema up front would only slow its
 * start. The compiler module itself is loaded on the first check for the same reason.
 * @module
 */
import type { Static, TSchema } from 'typebox';
import type * as CompileModule from 'typebox/compile';
import type { Validator } from 'typebox/compile';
import { malformedResponse } from './errors.js';

type Compiler = typeof CompileModule;

let compiler: Promise<Compiler> | undefined;
const checkers = new WeakMap<TSchema, Validator>();

async function checkerFor(schema: TSchema): Promise<Validator> {
  const cached = checkers.get(schema);
  if (cached !== undefined) return cached;
  compiler ??= import('typebox/compile');
  const c = (await compiler).Compile(schema);
  checkers.set(schema, c);
  return c;
}

/** A peer chooses property names: keep the reason printable and short. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/** The first violation, as `body/path/to/field must ...` (additionalProperties names the extra keys). */
function firstProblem(c: Validator, body: unknown): string {
  const errors = c.Errors(body);
  // A closed object reports each extra key twice: as `false` schema and as additionalProperties; the latter says more.
  const e = errors.find((x) => x.keyword !== 'boolean') ?? errors[0];
  if (e === undefined) return 'body does not match the schema';
  const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperties?: unknown }).additionalProperties?.toString() ?? ''})` : '';
  return printable(`body${e.instancePath} ${e.message}${extra}`);
}

/** `body` as the type of `schema`, or OV_DAEMON_RESPONSE naming the first part that does not fit. */
export async function checkAnswer<S extends TSchema>(schema: S, body: unknown, status: number): Promise<Static<S>> {
  const c = await checkerFor(schema);
  if (!c.Check(body)) throw malformedResponse(status, firstProblem(c, body));
  return body as Static<S>;
}
