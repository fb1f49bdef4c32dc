/**
 * The signed revocation list (TICKET-FORMAT.md §5): the issuer's current list
 * of revoked ticket ids, with a serial number so a printer never goes back to an
 * older list. A printer verifies tickets offline until it can fetch a newer one.
 */
import { z } from 'zod';
import { TicketError } from './errors.js';
import { decodeJws, signJws, verifyJwsSignature } from './jws.js';
import type { TicketIssuerKey, TrustedIssuer } from './ticket.js';

export const REVOCATIONS_TYP = 'fabgate-ticket-revocations+jws';

export const RevocationListSchema = z.strictObject({
  v: z.literal(1),
  iss: z.string().min(1).max(256),
  serial: z.number().int().min(1).describe('Grows by at least one with every list the issuer signs'),
  iat: z.number().int().min(0),
  next_update: z.number().int().min(0).describe('When a newer list will be available at the latest'),
  revoked: z.array(z.strictObject({ jti: z.string().min(1).max(128), at: z.number().int().min(0), reason: z.string().max(256).optional() })).max(100_000),
});
export type RevocationList = z.infer<typeof RevocationListSchema>;

export function signRevocationList(list: RevocationList, issuer: TicketIssuerKey): string {
  return signJws({ typ: REVOCATIONS_TYP, kid: issuer.kid }, RevocationListSchema.parse(list), issuer.privateKey);
}

/** Verify a revocation list; refuse one older than the list already held (`heldSerial`). */
export function verifyRevocationList(jws: string, issuers: readonly TrustedIssuer[], heldSerial = 0): RevocationList {
  const decoded = decodeJws(jws, REVOCATIONS_TYP, 'TICKET_REVOCATIONS_INVALID');
  const issuer = issuers.find((i) => i.kid === decoded.header.kid);
  if (!issuer || !verifyJwsSignature(decoded, issuer.publicKey)) throw new TicketError('TICKET_REVOCATIONS_INVALID', 'the revocation list is not signed by a trusted issuer');
  const parsed = RevocationListSchema.safeParse(decoded.payload);
  if (!parsed.success) throw new TicketError('TICKET_REVOCATIONS_INVALID', 'the revocation list breaks its schema');
  if (parsed.data.serial < heldSerial) throw new TicketError('TICKET_REVOCATIONS_INVALID', `list ${parsed.data.serial} is older than the list held (${heldSerial})`);
  return parsed.data;
}
