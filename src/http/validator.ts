/**
 * The request validator compiler: TypeBox's compiled checker for each route schema.
 * Equivalent to @fastify/type-provider-typebox's TypeBoxValidatorCompiler, written here
 * so the daemon does not load that module's ajv-formats plugin at start-up (measured
 * ~50 ms of the 1 s readiness budget) for formats no request schema uses. The type
 * provider itself is still used, as a type only. Each checker is compiled by the route's
 * first request, not at start-up (see ./compilers.ts).
 * @module
 */
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

function isEmpty(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const _ in value) return false;
  return true;
}

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  let check: ReturnType<typeof Compile<TSchema>> | undefined;
  return (value: unknown) => {
    check ??= Compile(schema);
    // Only query strings, params and headers arrive as strings needing conversion; an
    // empty query (most requests) has nothing to convert.
    const converted = httpPart === 'body' || isEmpty(value) ? value : Value.Convert(schema, value);
    if (check.Check(converted)) return { value: converted };
    return { error: check.Errors(converted) as unknown as FastifySchemaValidationError[] };
  };
};
