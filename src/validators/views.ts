/**
 * What the validator service shows of slots and keys: public keys in each chain's text
 * form, addresses, states and ISO times; never key material.
 * @module
 */
import type { ValidatorKeyRecord, ValidatorKeySourceName, ValidatorSlotRecord } from '../storage/validators-types.js';
import { cosmosAddress } from './formats/cosmos.js';
import { formatPublicKey } from './formats/pubkey.js';
import { solanaAddress } from './formats/solana.js';
import { iso, isoOrNull, parseJsonMap } from './inputs.js';
import type { SigningStateJson } from './records.js';
import type { Chain } from './types.js';

export type PublicKeyState = 'pending' | 'active' | 'retired';

export interface KeyView {
  id: string;
  key_type: 'BLS12-381' | 'Ed25519';
  public_key: string;
  address: string | null;
  state: PublicKeyState;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  source: ValidatorKeySourceName;
  derivation_path: string | null;
}

export interface SlotView {
  name: string;
  chain: Chain;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  signing_state: SigningStateJson;
  created_at: string;
  keys: KeyView[];
  /** Set (true) after a snapshot restore: the keys must not sign until their watermarks are confirmed. */
  watermarks_unconfirmed?: true;
}

function addressOf(chain: Chain, publicKey: Uint8Array): string | null {
  if (chain === 'cosmos') return cosmosAddress(publicKey);
  if (chain === 'solana') return solanaAddress(publicKey);
  return null;
}

export function keyView(k: ValidatorKeyRecord): KeyView {
  return {
    id: k.id,
    key_type: k.keyType,
    public_key: formatPublicKey(k.chain, k.publicKey),
    address: addressOf(k.chain, k.publicKey),
    state: k.state as PublicKeyState,
    created_at: iso(k.createdAt),
    activated_at: isoOrNull(k.activatedAt),
    retired_at: isoOrNull(k.retiredAt),
    source: k.source,
    derivation_path: k.path,
  };
}

/** A slot with its keys; destroyed tombstones are left out. */
export function slotView(slot: ValidatorSlotRecord, keys: readonly ValidatorKeyRecord[]): SlotView {
  return {
    name: slot.name,
    chain: slot.chain,
    labels: parseJsonMap(slot.labels),
    metadata: parseJsonMap(slot.metadata),
    signing_state: JSON.parse(slot.signingState) as SigningStateJson,
    created_at: iso(slot.createdAt),
    keys: keys.filter((k) => k.state !== 'destroyed').map(keyView),
  };
}
