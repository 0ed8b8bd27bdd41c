/**
 * The plain constants of the wire contract: header names, media types and limits. No
 * typebox here, so the client can load them without loading the schema builder.
 * @module
 */

/** Media type of a recipient-sealed answer (an armored `ONTOREF ENVELOPE`). */
export const ENVELOPE_MEDIA_TYPE = 'application/vnd.ontoref.envelope';
/** First line of the armored envelope a recipient-sealed answer carries. */
export const ENVELOPE_ARMOR_BEGIN = '-----BEGIN ONTOREF ENVELOPE-----';
/** Request header naming the public key a secret read is sealed to. */
export const RECIPIENT_HEADER = 'x-ontoref-recipient';
/** Request header naming age recipients (`age1pq1...` or `age1...`, comma-separated) a secret read is encrypted to. */
export const AGE_RECIPIENT_HEADER = 'x-ontoref-age-recipient';
/** Media type of an age-encrypted answer (an armored age v1 file). */
export const AGE_MEDIA_TYPE = 'application/vnd.age';
/** First line of the armored age file an age-encrypted answer carries. */
export const AGE_ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
/** Most age recipients one secret read is encrypted to. */
export const MAX_AGE_RECIPIENTS = 16;
/** Answer header of every secret read: the version the value came from. */
export const VERSION_HEADER = 'x-ontoref-version';

/** Largest bulk import the daemon accepts in one request. */
export const MAX_BULK_ITEMS = 1000;

/** How long the daemon keeps an idle keep-alive connection open. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * How long a client keeps an idle keep-alive connection: a second less than the daemon,
 * so a client never sends a request on a connection the daemon is closing at that moment
 * (the request would be reset unanswered, and a write could not be safely resent).
 */
export const CLIENT_KEEP_ALIVE_IDLE_MS = KEEP_ALIVE_TIMEOUT_MS - 1_000;
