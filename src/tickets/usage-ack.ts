/**
 * The server's acknowledgement of a usage record (TICKET-FORMAT.md §8): a JWS
 * (EdDSA, `typ` `fabgate-usage-ack+jws`) signed with the current issuer key
 * over `{v, device, seq, hash, received_at}`. A print host moves its
 * "acknowledged" mark only on a valid acknowledgement and binds its
 * anti-rollback state to it; `received_at` is a signed lower bound for its
 * clock. The print-host agent (src/agent/ack.ts) reads exactly this shape.
 * Pure: node:crypto and zod only.
 */
import { z } from 'zod';
import { TicketError } from './errors.js';
import { decodeJws, signJws, verifyJwsSignature } from './jws.js';
import type { TicketIssuerKey, TrustedIssuer } from './ticket.js';

export const USAGE_ACK_TYP = 'fabgate-usage-ack+jws';

export const UsageAckSchema = z.strictObject({
  v: z.literal(1),
  device: z.string().min(1).max(128).describe('The device whose record is acknowledged'),
  seq: z.number().int().min(1).describe('The acknowledged record’s sequence number'),
  hash: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 (hex) of the acknowledged record’s canonical JSON'),
  received_at: z.number().int().min(0).describe('When the server accepted it (seconds since 1970, UTC)'),
  log_index: z.number().int().min(0).optional().describe('The record’s index in the transparency log, when already integrated'),
});
export type UsageAck = z.infer<typeof UsageAckSchema>;

export function signUsageAck(ack: UsageAck, issuer: TicketIssuerKey): string {
  return signJws({ typ: USAGE_ACK_TYP, kid: issuer.kid }, UsageAckSchema.parse(ack), issuer.privateKey);
}

/** Verify an acknowledgement, and that it acknowledges what the host expects (when given). */
export function verifyUsageAck(jws: string, issuers: readonly TrustedIssuer[], expect: Partial<Pick<UsageAck, 'device' | 'seq' | 'hash'>> = {}): UsageAck {
  const decoded = decodeJws(jws, USAGE_ACK_TYP, 'USAGE_ACK_INVALID');
  const issuer = issuers.find((i) => i.kid === decoded.header.kid);
  if (!issuer || !verifyJwsSignature(decoded, issuer.publicKey)) throw new TicketError('USAGE_ACK_INVALID', 'the acknowledgement is not signed by a trusted issuer');
  const parsed = UsageAckSchema.safeParse(decoded.payload);
  if (!parsed.success) throw new TicketError('USAGE_ACK_INVALID', 'the acknowledgement breaks its schema');
  for (const k of ['device', 'seq', 'hash'] as const) {
    if (expect[k] !== undefined && expect[k] !== parsed.data[k]) throw new TicketError('USAGE_ACK_INVALID', `the acknowledgement is for ${k} ${parsed.data[k]}, not ${expect[k]}`);
  }
  return parsed.data;
}
