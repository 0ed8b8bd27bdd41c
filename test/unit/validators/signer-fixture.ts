/**
 * A real vault (temp dir, SQLite, unsealed) with the signer server built over it and
 * Ethereum slots with generated keys, for the signer tests; plus request builders for
 * every Web3Signer type with fixed, readable field values.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildSignerServer } from '../../../src/http/signer-server.js';
import { makeVault, unseal, type TestVault } from '../http/helpers.js';

export const GVR = `0x${'04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673'}`;
export const OTHER_GVR = `0x${'11'.repeat(32)}`;
export const FORK = { previous_version: '0x00000001', current_version: '0x00000002', epoch: '10' };
export const FORK_INFO = { fork: FORK, genesis_validators_root: GVR };
export const R1 = `0x${'aa'.repeat(32)}`;
export const R2 = `0x${'bb'.repeat(32)}`;

export interface SignerFixture {
  readonly v: TestVault;
  readonly app: FastifyInstance;
  /** name -> 0x public key */
  readonly keys: Map<string, string>;
  cleanup(): Promise<void>;
}

export async function signerFixture(slots: string[] = ['v1'], config: Record<string, unknown> = {}): Promise<SignerFixture> {
  const v = await makeVault({ config });
  await unseal(v);
  const keys = new Map<string, string>();
  for (const name of slots) {
    const s = await v.vault.validators.create({ name, chain: 'ethereum', format: 'generate' });
    keys.set(name, s.keys[0]!.public_key);
  }
  const app = await buildSignerServer(v.vault);
  return {
    v,
    app,
    keys,
    async cleanup() {
      await app.close();
      await v.cleanup();
    },
  };
}

export function sign(f: SignerFixture, pubkey: string, body: unknown, accept = 'application/json'): Promise<LightMyRequestResponse> {
  return f.app.inject({ method: 'POST', url: `/api/v1/eth2/sign/${pubkey}`, payload: body as object, headers: { accept } });
}

export function attestation(source: number, target: number, root = R1): Record<string, unknown> {
  return {
    type: 'ATTESTATION',
    fork_info: FORK_INFO,
    attestation: { slot: String(target * 32), index: '3', beacon_block_root: root, source: { epoch: String(source), root: R2 }, target: { epoch: String(target), root } },
  };
}

export function block(slot: number, bodyRoot = R1, gvr = GVR): Record<string, unknown> {
  return {
    type: 'BLOCK_V2',
    fork_info: { ...FORK_INFO, genesis_validators_root: gvr },
    beacon_block: { version: 'DENEB', block_header: { slot: String(slot), proposer_index: '7', parent_root: R2, state_root: R2, body_root: bodyRoot } },
  };
}

/** Asserts a refusal: status, code, and (for 412) a reason. */
export function expectRefused(r: LightMyRequestResponse, status: number, code: string, reason?: RegExp): void {
  expect(r.statusCode, r.body).toBe(status);
  const e = r.json<{ error: { code: string; reason?: string } }>().error;
  expect(e.code).toBe(code);
  if (reason !== undefined) expect(e.reason).toMatch(reason);
}
