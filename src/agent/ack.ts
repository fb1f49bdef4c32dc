/**
 * The server's acknowledgement of a usage record: a JWS (EdDSA, like tickets)
 * signed with a ticket issuer key, naming the device, the record's sequence
 * number and its hash. The agent moves its "acknowledged" mark only on a valid
 * acknowledgement, so the binding between the local chain and the server's
 * (state.ts) cannot be faked by anyone who merely answers HTTP requests, and
 * `received_at` gives the agent a trusted lower bound for its clock.
 */
import { z } from 'zod';
import { decodeJws, signJws, verifyJwsSignature } from '../tickets/jws.js';
import type { TicketIssuerKey, TrustedIssuer } from '../tickets/ticket.js';
import { AgentError } from './errors.js';

export const USAGE_ACK_TYP = 'fabgate-usage-ack+jws';

export const UsageAckSchema = z.strictObject({
  v: z.literal(1),
  device: z.string().min(1).max(128),
  seq: z.number().int().min(1),
  /** SHA-256 (hex) of the canonical JSON of the record acknowledged (`usageRecordHash`). */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** When the server accepted it (unix seconds). */
  received_at: z.number().int().min(0),
  /** The record's index in the transparency log, when logged. */
  log_index: z.number().int().min(0).optional(),
});
export type UsageAck = z.infer<typeof UsageAckSchema>;

/** Sign an acknowledgement (the server side of the protocol). */
export function signUsageAck(ack: UsageAck, issuer: TicketIssuerKey): string {
  return signJws({ typ: USAGE_ACK_TYP, kid: issuer.kid }, UsageAckSchema.parse(ack), issuer.privateKey);
}

/** Verify an acknowledgement and that it acknowledges exactly `expected`. */
export function verifyUsageAck(jws: string, issuers: readonly TrustedIssuer[], expected: { device: string; seq: number; hash: string }): UsageAck {
  let decoded: ReturnType<typeof decodeJws>;
  try {
    decoded = decodeJws(jws, USAGE_ACK_TYP);
  } catch (e) {
    throw new AgentError('AGENT_ACK_INVALID', `the acknowledgement is not a usage-ack JWS: ${(e as Error).message}`);
  }
  const issuer = issuers.find((i) => i.kid === decoded.header.kid);
  if (!issuer || !verifyJwsSignature(decoded, issuer.publicKey)) throw new AgentError('AGENT_ACK_INVALID', 'the acknowledgement is not signed by a trusted issuer key');
  const parsed = UsageAckSchema.safeParse(decoded.payload);
  if (!parsed.success) throw new AgentError('AGENT_ACK_INVALID', 'the acknowledgement breaks its schema');
  const ack = parsed.data;
  if (ack.device !== expected.device || ack.seq !== expected.seq || ack.hash !== expected.hash) {
    throw new AgentError('AGENT_ACK_INVALID', `the acknowledgement is for record ${ack.seq} of ${ack.device}, not record ${expected.seq} of ${expected.device}`, { ack, expected });
  }
  return ack;
}
