/**
 * Web3Signer's eth2 signing requests (`POST /api/v1/eth2/sign/{identifier}`): each body
 * is checked and its signing root computed per the consensus specs,
 * `compute_signing_root(object, compute_domain(DOMAIN_TYPE, fork_version, gvr))`, with the
 * SSZ containers of @lodestar/types. The fork version is `fork_info.fork`'s previous or
 * current version by the message's epoch; DEPOSIT and VALIDATOR_REGISTRATION use a
 * genesis fork version and the zero root, as the deposit contract and builder specs say.
 * A body's own `signingRoot`, when given, must equal the computed one. Pure: no storage.
 * @module
 */
import type { ValueOf } from '@chainsafe/ssz';
import { ssz } from '@lodestar/types';
import { VaultError } from '../errors.js';

export const SIGN_TYPES = [
  'BLOCK_V2',
  'ATTESTATION',
  'AGGREGATION_SLOT',
  'AGGREGATE_AND_PROOF',
  'AGGREGATE_AND_PROOF_V2',
  'RANDAO_REVEAL',
  'VOLUNTARY_EXIT',
  'SYNC_COMMITTEE_MESSAGE',
  'SYNC_COMMITTEE_SELECTION_PROOF',
  'SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF',
  'VALIDATOR_REGISTRATION',
  'DEPOSIT',
] as const;
export type SignType = (typeof SIGN_TYPES)[number];

/** Fork names Web3Signer accepts in `beacon_block.version` and `aggregate_and_proof.version`. */
export const FORK_NAMES = ['PHASE0', 'ALTAIR', 'BELLATRIX', 'CAPELLA', 'DENEB', 'ELECTRA', 'FULU'] as const;

/** Every public network and mainnet's preset use 32 slots per epoch. */
export const SLOTS_PER_EPOCH = 32;

const DOMAIN = {
  BEACON_PROPOSER: 0x00000000,
  BEACON_ATTESTER: 0x01000000,
  RANDAO: 0x02000000,
  DEPOSIT: 0x03000000,
  VOLUNTARY_EXIT: 0x04000000,
  SELECTION_PROOF: 0x05000000,
  AGGREGATE_AND_PROOF: 0x06000000,
  SYNC_COMMITTEE: 0x07000000,
  SYNC_COMMITTEE_SELECTION_PROOF: 0x08000000,
  CONTRIBUTION_AND_PROOF: 0x09000000,
  APPLICATION_BUILDER: 0x00000001,
} as const;

const ZERO32 = new Uint8Array(32);

/** What slashing protection needs to know of a request (blocks and attestations only). */
export type Protected =
  | { readonly kind: 'block'; readonly slot: bigint }
  | { readonly kind: 'attestation'; readonly source: bigint; readonly target: bigint }
  | { readonly kind: 'none' };

export interface SigningRequest {
  readonly type: SignType;
  readonly signingRoot: Uint8Array;
  /** fork_info.genesis_validators_root, when the type carries fork_info. */
  readonly gvr: Uint8Array | undefined;
  readonly protect: Protected;
  /** Safe audit detail: slot or epochs, never a root of secret material (there is none). */
  readonly detail: Record<string, string>;
}

export interface RootOptions {
  /** Genesis fork version VALIDATOR_REGISTRATION is signed under (the network's). */
  readonly genesisForkVersion: Uint8Array;
}

function invalid(field: string, reason: string): never {
  throw new VaultError('OV_BAD_REQUEST', { field, reason });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const v = body[field];
  if (!isObject(v)) invalid(field, 'required object');
  return v;
}

/** `type.fromJson` with its error turned into a 400 naming the field. */
function parse<T>(type: { fromJson(json: unknown): T }, json: unknown, field: string): T {
  try {
    return type.fromJson(json);
  } catch (e) {
    return invalid(field, e instanceof Error ? e.message.slice(0, 120) : 'malformed');
  }
}

export function hexBytes(v: unknown, len: number, field: string): Uint8Array {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]*$/.test(v) || v.length !== 2 + 2 * len) invalid(field, `0x-prefixed hex of ${len} bytes`);
  return Uint8Array.from(Buffer.from(v.slice(2), 'hex'));
}

export function toHex(b: Uint8Array): string {
  return `0x${Buffer.from(b).toString('hex')}`;
}

/** Domains seen lately: a validator client asks under the same few forks all day. */
const domains = new Map<string, Uint8Array>();
const MAX_DOMAINS = 256;

/** `compute_domain(domain_type, fork_version, genesis_validators_root)`. */
export function computeDomain(domainType: number, forkVersion: Uint8Array, gvr: Uint8Array): Uint8Array {
  const id = `${domainType}:${Buffer.from(forkVersion).toString('hex')}:${Buffer.from(gvr).toString('hex')}`;
  const known = domains.get(id);
  if (known !== undefined) return known;
  const d = domainOf(domainType, forkVersion, gvr);
  if (domains.size >= MAX_DOMAINS) domains.clear();
  domains.set(id, d);
  return d;
}

function domainOf(domainType: number, forkVersion: Uint8Array, gvr: Uint8Array): Uint8Array {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({ currentVersion: forkVersion, genesisValidatorsRoot: gvr });
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, domainType, false);
  out.set(forkDataRoot.subarray(0, 28), 4);
  return out;
}

/** `compute_signing_root(object_root, domain)`. */
export function signingRootOf(objectRoot: Uint8Array, domain: Uint8Array): Uint8Array {
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain });
}

interface ForkInfo {
  previousVersion: Uint8Array;
  currentVersion: Uint8Array;
  epoch: number;
  gvr: Uint8Array;
}

function forkInfo(body: Record<string, unknown>): ForkInfo {
  const fi = obj(body, 'fork_info');
  if (!isObject(fi.fork)) invalid('fork_info.fork', 'required object');
  const fork = parse(ssz.phase0.Fork, fi.fork, 'fork_info.fork');
  const gvr = hexBytes(fi.genesis_validators_root, 32, 'fork_info.genesis_validators_root');
  return { previousVersion: fork.previousVersion, currentVersion: fork.currentVersion, epoch: fork.epoch, gvr };
}

/** `get_domain` as a validator client computes it from fork_info at `epoch`. */
function domainAt(fi: ForkInfo, domainType: number, epoch: number): Uint8Array {
  return computeDomain(domainType, epoch < fi.epoch ? fi.previousVersion : fi.currentVersion, fi.gvr);
}

const epochOf = (slot: number): number => Math.floor(slot / SLOTS_PER_EPOCH);

function forkName(v: unknown, field: string): (typeof FORK_NAMES)[number] {
  if (typeof v !== 'string' || !(FORK_NAMES as readonly string[]).includes(v)) invalid(field, `one of ${FORK_NAMES.join(', ')}`);
  return v as (typeof FORK_NAMES)[number];
}

interface Computed {
  objectRoot: Uint8Array;
  domain: Uint8Array;
  protect: Protected;
  detail: Record<string, string>;
}

function blockV2(body: Record<string, unknown>, fi: ForkInfo): Computed {
  const bb = obj(body, 'beacon_block');
  const version = forkName(bb.version, 'beacon_block.version');
  let slot: number;
  let objectRoot: Uint8Array;
  if (version === 'PHASE0' || version === 'ALTAIR') {
    // Before Bellatrix Web3Signer takes the whole block; its root is the header's root.
    if (version === 'PHASE0') {
      const block = parse(ssz.phase0.BeaconBlock, bb.block, 'beacon_block.block');
      slot = block.slot;
      objectRoot = ssz.phase0.BeaconBlock.hashTreeRoot(block);
    } else {
      const block = parse(ssz.altair.BeaconBlock, bb.block, 'beacon_block.block');
      slot = block.slot;
      objectRoot = ssz.altair.BeaconBlock.hashTreeRoot(block);
    }
  } else {
    const header = parse(ssz.phase0.BeaconBlockHeader, bb.block_header, 'beacon_block.block_header');
    slot = header.slot;
    objectRoot = ssz.phase0.BeaconBlockHeader.hashTreeRoot(header);
  }
  return { objectRoot, domain: domainAt(fi, DOMAIN.BEACON_PROPOSER, epochOf(slot)), protect: { kind: 'block', slot: BigInt(slot) }, detail: { slot: String(slot), version } };
}

const UINT_RE = /^(0|[1-9][0-9]{0,15})$/;

/** A uint64 field as a JavaScript number (the SSZ number types refuse more than 2^53 - 1). */
function uintField(v: unknown, field: string): number {
  if (typeof v !== 'string' || !UINT_RE.test(v) || !Number.isSafeInteger(Number(v))) invalid(field, 'decimal string of an unsigned integer below 2^53');
  return Number(v);
}

/**
 * AttestationData from its JSON, read field by field: a validator sends one per epoch
 * per key, and this is several times faster than the generic `fromJson`.
 */
function attestationData(json: unknown): ValueOf<typeof ssz.phase0.AttestationData> {
  if (!isObject(json)) invalid('attestation', 'required object');
  const checkpoint = (v: unknown, field: string): { epoch: number; root: Uint8Array } => {
    if (!isObject(v)) invalid(field, 'required object');
    return { epoch: uintField(v.epoch, `${field}.epoch`), root: hexBytes(v.root, 32, `${field}.root`) };
  };
  return {
    slot: uintField(json.slot, 'attestation.slot'),
    index: uintField(json.index, 'attestation.index'),
    beaconBlockRoot: hexBytes(json.beacon_block_root, 32, 'attestation.beacon_block_root'),
    source: checkpoint(json.source, 'attestation.source'),
    target: checkpoint(json.target, 'attestation.target'),
  };
}

function attestation(body: Record<string, unknown>, fi: ForkInfo): Computed {
  const data = attestationData(body.attestation);
  if (data.source.epoch > data.target.epoch) invalid('attestation.source.epoch', 'must not exceed target.epoch');
  return {
    objectRoot: ssz.phase0.AttestationData.hashTreeRoot(data),
    domain: domainAt(fi, DOMAIN.BEACON_ATTESTER, data.target.epoch),
    protect: { kind: 'attestation', source: BigInt(data.source.epoch), target: BigInt(data.target.epoch) },
    detail: { slot: String(data.slot), source_epoch: String(data.source.epoch), target_epoch: String(data.target.epoch) },
  };
}

function aggregateAndProof(body: Record<string, unknown>, fi: ForkInfo, v2: boolean): Computed {
  let json: unknown = body.aggregate_and_proof;
  let electra = false;
  if (v2) {
    const ap = obj(body, 'aggregate_and_proof');
    const version = forkName(ap.version, 'aggregate_and_proof.version');
    electra = version === 'ELECTRA' || version === 'FULU';
    json = ap.data;
  }
  const type = electra ? ssz.electra.AggregateAndProof : ssz.phase0.AggregateAndProof;
  const value = parse(type as typeof ssz.phase0.AggregateAndProof, json, v2 ? 'aggregate_and_proof.data' : 'aggregate_and_proof');
  const slot = value.aggregate.data.slot;
  return { objectRoot: type.hashTreeRoot(value as never), domain: domainAt(fi, DOMAIN.AGGREGATE_AND_PROOF, epochOf(slot)), protect: { kind: 'none' }, detail: { slot: String(slot) } };
}

function simple(body: Record<string, unknown>, fi: ForkInfo, type: SignType): Computed {
  const none: Protected = { kind: 'none' };
  switch (type) {
    case 'AGGREGATION_SLOT': {
      const slot = parse(ssz.Slot, obj(body, 'aggregation_slot').slot, 'aggregation_slot.slot');
      return { objectRoot: ssz.Slot.hashTreeRoot(slot), domain: domainAt(fi, DOMAIN.SELECTION_PROOF, epochOf(slot)), protect: none, detail: { slot: String(slot) } };
    }
    case 'RANDAO_REVEAL': {
      const epoch = parse(ssz.Epoch, obj(body, 'randao_reveal').epoch, 'randao_reveal.epoch');
      return { objectRoot: ssz.Epoch.hashTreeRoot(epoch), domain: domainAt(fi, DOMAIN.RANDAO, epoch), protect: none, detail: { epoch: String(epoch) } };
    }
    case 'VOLUNTARY_EXIT': {
      const exit = parse(ssz.phase0.VoluntaryExit, body.voluntary_exit, 'voluntary_exit');
      return {
        objectRoot: ssz.phase0.VoluntaryExit.hashTreeRoot(exit),
        domain: domainAt(fi, DOMAIN.VOLUNTARY_EXIT, exit.epoch),
        protect: none,
        detail: { epoch: String(exit.epoch), validator_index: String(exit.validatorIndex) },
      };
    }
    case 'SYNC_COMMITTEE_MESSAGE': {
      const m = obj(body, 'sync_committee_message');
      const slot = parse(ssz.Slot, m.slot, 'sync_committee_message.slot');
      const root = hexBytes(m.beacon_block_root, 32, 'sync_committee_message.beacon_block_root');
      return { objectRoot: ssz.Root.hashTreeRoot(root), domain: domainAt(fi, DOMAIN.SYNC_COMMITTEE, epochOf(slot)), protect: none, detail: { slot: String(slot) } };
    }
    case 'SYNC_COMMITTEE_SELECTION_PROOF': {
      const d = parse(ssz.altair.SyncAggregatorSelectionData, body.sync_aggregator_selection_data, 'sync_aggregator_selection_data');
      return {
        objectRoot: ssz.altair.SyncAggregatorSelectionData.hashTreeRoot(d),
        domain: domainAt(fi, DOMAIN.SYNC_COMMITTEE_SELECTION_PROOF, epochOf(d.slot)),
        protect: none,
        detail: { slot: String(d.slot) },
      };
    }
    case 'SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF': {
      const c = parse(ssz.altair.ContributionAndProof, body.contribution_and_proof, 'contribution_and_proof');
      return {
        objectRoot: ssz.altair.ContributionAndProof.hashTreeRoot(c),
        domain: domainAt(fi, DOMAIN.CONTRIBUTION_AND_PROOF, epochOf(c.contribution.slot)),
        protect: none,
        detail: { slot: String(c.contribution.slot) },
      };
    }
    default:
      return invalid('type', 'unsupported');
  }
}

const WITHOUT_FORK_INFO: readonly SignType[] = ['VALIDATOR_REGISTRATION', 'DEPOSIT'];
const ALLOWED_KEYS: Readonly<Record<SignType, readonly string[]>> = {
  BLOCK_V2: ['beacon_block'],
  ATTESTATION: ['attestation'],
  AGGREGATION_SLOT: ['aggregation_slot'],
  AGGREGATE_AND_PROOF: ['aggregate_and_proof'],
  AGGREGATE_AND_PROOF_V2: ['aggregate_and_proof'],
  RANDAO_REVEAL: ['randao_reveal'],
  VOLUNTARY_EXIT: ['voluntary_exit'],
  SYNC_COMMITTEE_MESSAGE: ['sync_committee_message'],
  SYNC_COMMITTEE_SELECTION_PROOF: ['sync_aggregator_selection_data'],
  SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF: ['contribution_and_proof'],
  VALIDATOR_REGISTRATION: ['validator_registration'],
  DEPOSIT: ['deposit'],
};

/** Checks a signing request body and computes its signing root; OV_BAD_REQUEST naming the field otherwise. */
export function signingRequest(body: unknown, opts: RootOptions): SigningRequest {
  if (!isObject(body)) invalid('body', 'must be a JSON object');
  const type = body.type;
  if (typeof type !== 'string' || !(SIGN_TYPES as readonly string[]).includes(type)) invalid('type', `one of ${SIGN_TYPES.join(', ')}`);
  const t = type as SignType;
  const allowed = new Set(['type', 'signingRoot', 'fork_info', ...ALLOWED_KEYS[t]]);
  for (const k of Object.keys(body)) if (!allowed.has(k)) invalid(k, 'unknown field for this type');
  let c: Computed;
  let gvr: Uint8Array | undefined;
  if (t === 'DEPOSIT') {
    const d = obj(body, 'deposit');
    const version = hexBytes(d.genesis_fork_version, 4, 'deposit.genesis_fork_version');
    const msg = parse(ssz.phase0.DepositMessage, d, 'deposit');
    c = { objectRoot: ssz.phase0.DepositMessage.hashTreeRoot(msg), domain: computeDomain(DOMAIN.DEPOSIT, version, ZERO32), protect: { kind: 'none' }, detail: { amount: String(msg.amount) } };
  } else if (t === 'VALIDATOR_REGISTRATION') {
    const r = parse(ssz.bellatrix.ValidatorRegistrationV1, body.validator_registration, 'validator_registration');
    c = {
      objectRoot: ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(r),
      domain: computeDomain(DOMAIN.APPLICATION_BUILDER, opts.genesisForkVersion, ZERO32),
      protect: { kind: 'none' },
      detail: { timestamp: String(r.timestamp) },
    };
  } else {
    const fi = forkInfo(body);
    gvr = fi.gvr;
    if (t === 'BLOCK_V2') c = blockV2(body, fi);
    else if (t === 'ATTESTATION') c = attestation(body, fi);
    else if (t === 'AGGREGATE_AND_PROOF' || t === 'AGGREGATE_AND_PROOF_V2') c = aggregateAndProof(body, fi, t === 'AGGREGATE_AND_PROOF_V2');
    else c = simple(body, fi, t);
  }
  if (WITHOUT_FORK_INFO.includes(t) && body.fork_info !== undefined && !isObject(body.fork_info)) invalid('fork_info', 'must be an object');
  const signingRoot = signingRootOf(c.objectRoot, c.domain);
  if (body.signingRoot !== undefined) {
    const given = hexBytes(body.signingRoot, 32, 'signingRoot');
    if (!Buffer.from(given).equals(Buffer.from(signingRoot))) invalid('signingRoot', 'does not match the signing root computed from the request');
  }
  return { type: t, signingRoot, gvr, protect: c.protect, detail: c.detail };
}
