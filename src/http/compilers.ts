/**
 * Schema compilers that compile on first use. Fastify compiles every route's request
 * validator and response serializer before it listens; for this API that was about a
 * tenth of a second of the daemon's start (measured with --cpu-prof), spent on routes
 * most processes never serve. Each schema is now compiled by the first request that needs
 * it (a millisecond or so, once) and kept. Serialization is fastify's own default
 * (fast-json-stringify through @fastify/fast-json-stringify-compiler), validation is
 * ./validator.ts; naming both factories also keeps fastify from loading ajv, which the
 * daemon never uses.
 * @module
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';
import { validatorCompiler } from './validator.js';

type Serialize = (doc: unknown) => string;
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

const defaultSerializerFactory = SerializerSelector();

/** The `schemaController` server option: lazy serializers, the TypeBox validator. */
export const schemaController: { compilersFactory: CompilersFactory } = {
  compilersFactory: {
    // fastify types this factory after ajv's compile function; a route compiler is what it calls.
    buildValidator: (() => validatorCompiler) as unknown as NonNullable<CompilersFactory['buildValidator']>,
    buildSerializer: (externalSchemas: unknown, options?: unknown) => {
      const compile = defaultSerializerFactory(externalSchemas, options as Parameters<typeof defaultSerializerFactory>[1]);
      return (route: Parameters<typeof compile>[0]): Serialize => {
        let serialize: Serialize | undefined;
        return (doc) => (serialize ??= compile(route))(doc);
      };
    },
  },
};
