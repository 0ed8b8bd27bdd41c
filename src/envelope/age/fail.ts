/**
 * The one error of a failed age decryption, OV_AGE_OPEN, with the failure class of
 * c2sp.org/CCTV/age in `detail.reason`: the classes say which layer refused the file
 * (useful to a user and checked by the vectors) and never carry file content.
 * @module
 */
import { VaultError } from '../../errors.js';

export type AgeFailure = 'header' | 'no match' | 'hmac' | 'payload' | 'armor';

export function ageFail(reason: AgeFailure): never {
  throw new VaultError('OV_AGE_OPEN', { reason });
}
