/**
 * Offline ticket verification on the print host: TICKET-FORMAT.md §4 with this
 * device's configuration — its trusted issuer keys, its content-key
 * fingerprint, its clock and tolerance, the revocation list it holds, the
 * design's hash, the log verifier key for receipts, and its own print counter
 * for step 10.
 */
import { parseVerifierKey } from '../ledger/core/keys.js';
import { decodeJws } from '../tickets/jws.js';
import { TicketError, type TicketErrorCode } from '../tickets/errors.js';
import { PrintTicketClaimsSchema, TICKET_TYP, verifyPrintTicket, type TicketBundle, type VerifiedTicket } from '../tickets/ticket.js';
import type { Agent } from './agent.js';
import { AgentError } from './errors.js';

export interface TicketCheck {
  verified: VerifiedTicket;
  /** Whether a log receipt was verified (`unchecked`: the bundle has one but no log key is configured). */
  log: 'verified' | 'absent' | 'unchecked';
  /** The counter value this print would take (1 … prints). */
  nextCounter: number;
}

/** Refusals that come after the signature verified: the ticket id in them is authentic. */
const AUTHENTIC_REFUSALS: ReadonlySet<TicketErrorCode> = new Set([
  'TICKET_NOT_YET_VALID',
  'TICKET_EXPIRED',
  'TICKET_WRONG_DEVICE',
  'TICKET_REVOKED',
  'TICKET_DESIGN_MISMATCH',
  'TICKET_RECEIPT_INVALID',
  'TICKET_EXHAUSTED',
]);

/**
 * Verify a ticket bundle for a design about to be printed; throws the
 * TICKET_* code of the first check that fails (§4 order), `TICKET_EXHAUSTED`
 * last, from this device's own counter.
 */
export function checkTicket(agent: Agent, bundle: TicketBundle, designHash: string): TicketCheck {
  const issuers = agent.issuers();
  if (issuers.length === 0) throw new AgentError('AGENT_NO_ISSUER_KEYS', 'no ticket issuer key is configured: run `fabgate-agent trust --issuer-keys FILE`');
  agent.assertClock();
  const config = agent.config;
  let log: TicketCheck['log'] = bundle.log ? 'unchecked' : 'absent';
  const options = {
    issuers,
    deviceContentKeySha256: agent.keys.contentKeySha256,
    now: agent.now(),
    toleranceSeconds: config.clock_tolerance_seconds,
    revoked: agent.revoked(),
    designManifestSha256: designHash,
  };
  let verified: VerifiedTicket;
  if (bundle.log && config.log) {
    const policy = { logKeys: [parseVerifierKey(config.log.verifier_key)], ...(config.log.origin ? { origin: config.log.origin } : {}) };
    verified = verifyPrintTicket(bundle.ticket, { ...options, log: { proof: bundle.log, policy } });
    log = 'verified';
  } else {
    verified = verifyPrintTicket(bundle.ticket, options);
    if (!bundle.log && config.require_log_proof) throw new TicketError('TICKET_RECEIPT_INVALID', 'the ticket comes without a log proof, and this host requires one');
  }
  const used = agent.state.counters[verified.claims.jti]?.used ?? 0;
  if (used >= verified.claims.prints) {
    throw new TicketError('TICKET_EXHAUSTED', `all ${verified.claims.prints} prints of ticket ${verified.claims.jti} have been made on this device`, { used, prints: verified.claims.prints });
  }
  return { verified, log, nextCounter: used + 1 };
}

/**
 * For a refusal that came after the signature verified, the ticket's id and
 * design (authentic, so worth a usage record); undefined otherwise — a forged
 * or unreadable ticket names nothing the device should report.
 */
export function authenticRefusal(e: unknown, jws: string): { jti: string; design: string; prints: number } | undefined {
  if (!(e instanceof TicketError) || !AUTHENTIC_REFUSALS.has(e.code)) return undefined;
  const claims = PrintTicketClaimsSchema.safeParse(decodeJws(jws, TICKET_TYP).payload);
  return claims.success ? { jti: claims.data.jti, design: claims.data.design.manifest_sha256, prints: claims.data.prints } : undefined;
}
