import { FabgateError, type ErrorKind } from '../shared/errors.js';

/**
 * Every way a print ticket, revocation list or usage record can be refused.
 * A printer vendor's verifier should report the same codes.
 */
const TICKET_ERRORS = {
  /** Not a JWS compact serialisation, wrong header, or claims that break the schema. */
  TICKET_MALFORMED: 'invalid_input',
  /** The JWS is larger than a verifier accepts (64 KiB). */
  TICKET_TOO_LARGE: 'too_large',
  /** The header names an issuer key (kid) the verifier does not trust. */
  TICKET_ISSUER_UNKNOWN: 'integrity',
  /** The Ed25519 signature does not verify under the issuer key. */
  TICKET_SIGNATURE_INVALID: 'integrity',
  /** The current time is before not-before (minus the clock tolerance). */
  TICKET_NOT_YET_VALID: 'conflict',
  /** The current time is after expiry (plus the clock tolerance). */
  TICKET_EXPIRED: 'conflict',
  /** This device's key fingerprint is not among the ticket's devices. */
  TICKET_WRONG_DEVICE: 'forbidden',
  /** The ticket is on a valid revocation list. */
  TICKET_REVOKED: 'conflict',
  /** The design's manifest hash is not the one the ticket names. */
  TICKET_DESIGN_MISMATCH: 'integrity',
  /** The ticket's log receipt does not verify, or proves another record. */
  TICKET_RECEIPT_INVALID: 'integrity',
  /** Every print the ticket allows has been made. */
  TICKET_EXHAUSTED: 'conflict',
  /** A revocation list is malformed, unsigned, or older than the one held. */
  TICKET_REVOCATIONS_INVALID: 'integrity',
  /** A usage record is malformed, badly signed, out of sequence, or breaks the hash chain. */
  USAGE_RECORD_INVALID: 'integrity',
  /** A usage record with this sequence number was already received. */
  USAGE_RECORD_REPLAYED: 'conflict',
  /** A usage record skips sequence numbers. */
  USAGE_RECORD_GAP: 'conflict',
  /** A usage record names another device than the one sending it. */
  USAGE_RECORD_WRONG_DEVICE: 'forbidden',
  /** A usage acknowledgement is malformed, not signed by a trusted issuer, or acknowledges another record. */
  USAGE_ACK_INVALID: 'integrity',
} as const satisfies Record<string, ErrorKind>;

export type TicketErrorCode = keyof typeof TICKET_ERRORS;

export class TicketError extends FabgateError<TicketErrorCode> {
  override readonly name = 'TicketError';
  constructor(code: TicketErrorCode, message: string, details?: unknown) {
    super(code, message, TICKET_ERRORS[code], details);
  }
}
