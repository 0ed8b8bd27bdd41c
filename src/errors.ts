/**
 * The one registry of errors. Every error the project raises has a permanent code,
 * an HTTP status (for the daemon) and a row in docs/errors.md; a test fails when the
 * three drift apart. Codes are never reused or renamed: retire a code by leaving its
 * row in place and marking it retired in the docs.
 *
 * Messages follow the CLI house style: lowercase, no trailing period, and never a
 * secret value. `detail` may carry safe, structured context (a field name, a limit).
 * @module
 */

export interface ErrorSpec {
  /** HTTP status the daemon answers with. */
  readonly status: number;
  /** Fixed human message; never includes caller-supplied values. */
  readonly message: string;
}

export const ERRORS = {
  // usage and local input (CLI exit code 1)
  OV_USAGE: { status: 400, message: 'invalid usage' },
  OV_INVALID_ARGUMENT: { status: 400, message: 'invalid argument' },
  OV_IO: { status: 500, message: 'file or stream error' },
  OV_UNSAFE_PERMISSIONS: { status: 500, message: 'file permissions are too open' },

  // crypto providers
  OV_PROVIDER_UNAVAILABLE: { status: 500, message: 'requested crypto provider is not available on this runtime' },
  OV_PROVIDER_UNKNOWN: { status: 500, message: 'unknown crypto provider' },
  OV_ALGORITHM_UNSUPPORTED: { status: 400, message: 'algorithm is not supported' },
  OV_KEY_INVALID: { status: 400, message: 'key is malformed or of the wrong type' },

  // envelopes: one indistinguishable error for every failure to open
  OV_ENVELOPE_OPEN: { status: 400, message: 'envelope cannot be opened' },
  OV_ENVELOPE_TOO_LARGE: { status: 413, message: 'envelope exceeds the size limit' },
  OV_ENVELOPE_CONTEXT: { status: 400, message: 'envelope context is too long' },
  OV_SIGNATURE_INVALID: { status: 400, message: 'signature verification failed' },
  OV_SIGNATURE_MISSING: { status: 400, message: 'envelope is not signed' },
  OV_ARMOR_INVALID: { status: 400, message: 'armored data is malformed' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class VaultError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: Readonly<Record<string, string | number | boolean>> | undefined;

  constructor(code: ErrorCode, detail?: Record<string, string | number | boolean>, options?: { cause?: unknown }) {
    super(ERRORS[code].message, options);
    this.name = 'VaultError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = detail === undefined ? undefined : Object.freeze({ ...detail });
  }
}

export function isVaultError(e: unknown, code?: ErrorCode): e is VaultError {
  return e instanceof VaultError && (code === undefined || e.code === code);
}
