/**
 * The text of src/api/plain-schemas.ts, built from the typebox schemas: shared by the
 * generator script and the test that keeps the file in step with src/api.
 * @module
 */
import { ALL_SCHEMAS } from './index.js';

export function plainSchemasSource(): string {
  const names = Object.keys(ALL_SCHEMAS).sort();
  const body = names.map((n) => `  ${n}: ${JSON.stringify(ALL_SCHEMAS[n])},`).join('\n');
  return [
    '/**',
    ' * Generated from src/api by scripts/gen-wire-schemas.ts; do not edit. Every schema of',
    ' * the wire contract as plain JSON Schema, so the client checks answers without loading',
    ' * typebox. A test fails when this file and src/api differ.',
    ' * @module',
    ' */',
    '',
    'export const PLAIN_SCHEMAS = {',
    body,
    '} as const;',
    '',
    'export type PlainSchemaName = keyof typeof PLAIN_SCHEMAS;',
    '',
  ].join('\n');
}
