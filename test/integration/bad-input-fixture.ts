/**
 * Helpers of the bad-input suite: the exact-error assertion, the observable-state snapshot,
 * tokens forged or edited
 * with a key of the test's choosing, and near-miss secrets (a random API key secret, an
 * unseal share with one character changed).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { ERRORS, type ErrorCode } from '../../src/errors.js';
import { api } from '../helpers/daemon.js';

export interface Answer {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
}

/** The answer is exactly the registry's error for `code` (status, code, fixed message), with `field` when given. */
export function expectError(r: Answer, code: ErrorCode, field?: string): void {
  const want: { error: { code: string; message: string; field?: string } } = { error: { code, message: ERRORS[code].message } };
  if (field !== undefined) want.error.field = field;
  const got = r.json as { error?: { field?: string } } | undefined;
  // `field` is checked only when the case names one; otherwise it may be present or not.
  if (field === undefined && got?.error?.field !== undefined) want.error.field = got.error.field;
  expect({ status: r.status, body: r.json }, r.text).toEqual({ status: ERRORS[code].status, body: want });
}

export function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url');
}

/** A token with the same shape as the daemon's, signed with a key of our choosing. */
export function forge(header: Record<string, unknown>, claims: Record<string, unknown>, key: Buffer): string {
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** `token` with its payload replaced and its original signature kept. */
export function withClaims(token: string, change: Record<string, unknown>): string {
  const [h, , s] = token.split('.');
  return `${h as string}.${b64url(JSON.stringify({ ...claimsOf(token), ...change }))}.${s as string}`;
}

export function randomKeySecret(): string {
  return randomBytes(32).toString('base64url');
}

/** One character of the share's data part changed to another valid base32 character. */
export function mistype(share: string): string {
  const i = share.indexOf('-', 5) + 10;
  const c = share[i] === 'a' ? 'b' : 'a';
  return share.slice(0, i) + c + share.slice(i + 1);
}


export interface Snapshot {
  seal: unknown;
  sessions: string[];
  apikeys: unknown;
  keys: unknown;
}

/** Seal status, session ids (but `skipId`'s), API keys and keyring, as the admin sees them. */
export async function stateSnapshot(addr: string, adminToken: string, skipId: string | undefined): Promise<Snapshot> {
  const seal = (await api(addr, 'GET', '/v1/sys/seal-status')).json;
  if ((seal as { sealed: boolean }).sealed) return { seal, sessions: [], apikeys: null, keys: null };
  const sessions = await api(addr, 'GET', '/v1/sessions', { token: adminToken });
  const apikeys = await api(addr, 'GET', '/v1/apikeys', { token: adminToken });
  const keys = await api(addr, 'GET', '/v1/keys', { token: adminToken });
  for (const r of [sessions, apikeys, keys]) expect(r.status, r.text).toBe(200);
  return {
    seal,
    // The 1 s session expires while the groups run: leave it out, the expiry test checks it.
    sessions: (sessions.json as { sessions: { id: string }[] }).sessions
      .map((s) => s.id)
      .filter((id) => id !== skipId)
      .sort(),
    apikeys: apikeys.json,
    keys: keys.json,
  };
}
