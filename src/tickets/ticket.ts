/**
 * Print tickets: a signed, offline-verifiable authorisation for named printers
 * to print one design a bounded number of times, within a parameter envelope,
 * during a validity window. The format is specified in TICKET-FORMAT.md; this
 * module is its reference implementation (node:crypto and zod only, so the
 * print-host agent carries it).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { fromHexStrict } from '../ledger/core/bytes.js';
import type { CheckpointPolicy } from '../ledger/core/checkpoint.js';
import { decodeLeaf, recordCommitment } from '../ledger/core/leaf.js';
import { verifyReceipt } from '../ledger/core/receipt.js';
import { bytesEqual } from '../ledger/core/bytes.js';
import { EnvelopeSchema } from '../gcode/envelope.js';
import { TicketError } from './errors.js';
import { decodeJws, signJws, verifyJwsSignature } from './jws.js';

export const TICKET_TYP = 'fabgate-print-ticket+jws';
/** The transparency-log event and record type of an issued ticket (LEAF-FORMAT.md). */
export const TICKET_EVENT = 'ticket.issued';
export const TICKET_RECORD = 'print_ticket';
/** Clock tolerance applied to not-before and expiry, for printers without a good clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits (SHA-256)');
const unixSeconds = z.number().int().min(0).max(253402300799);

export const TicketDeviceSchema = z.strictObject({
  id: z.string().min(1).max(128).describe("The device's id at the issuer"),
  content_key_sha256: hex64.describe("SHA-256 of the DER SubjectPublicKeyInfo of the device's RSA-OAEP key (the key designs are wrapped to)"),
  signing_key_sha256: hex64.describe("SHA-256 of the DER SubjectPublicKeyInfo of the device's Ed25519 usage-record key"),
});

export const PrintTicketClaimsSchema = z.strictObject({
  v: z.literal(1).describe('Format version'),
  jti: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/).describe('Ticket id, unique at the issuer'),
  iss: z.string().min(1).max(256).describe('Issuer: the Fabgate instance (its public URL or log origin)'),
  iat: unixSeconds.describe('Issued at (seconds since 1970, UTC)'),
  nbf: unixSeconds.describe('Not valid before'),
  exp: unixSeconds.describe('Not valid after'),
  licence: z.strictObject({ id: z.string().min(1).max(128), reference: z.string().min(1).max(128) }).describe('The licence this ticket draws on'),
  design: z
    .strictObject({ manifest_sha256: hex64.describe('SHA-256 of the signed design manifest (designs/MANIFEST-FORMAT.md)'), name: z.string().max(256).optional() })
    .describe('The one design this ticket allows'),
  devices: z.array(TicketDeviceSchema).min(1).max(64).describe('Printers (print hosts) this ticket is bound to'),
  prints: z.number().int().min(1).max(1_000_000).describe('Number of prints allowed'),
  envelope: EnvelopeSchema.describe('Parameter envelope every G-code line must satisfy'),
  machine: z
    .strictObject({ model: z.string().max(128).optional(), materials: z.array(z.string().max(64)).max(32).optional() })
    .optional()
    .describe('Machine model and materials the licence names (informative for the host; the envelope is enforced)'),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/).describe('At least 128 random bits, base64url: no two tickets are alike'),
});
export type PrintTicketClaims = z.infer<typeof PrintTicketClaimsSchema>;

/** An issuer signing key and the id verifiers know it by. */
export interface TicketIssuerKey {
  kid: string;
  privateKey: KeyObject;
}

/** A trusted issuer public key. */
export interface TrustedIssuer {
  kid: string;
  publicKey: KeyObject;
}

export function signPrintTicket(claims: PrintTicketClaims, issuer: TicketIssuerKey): string {
  const parsed = PrintTicketClaimsSchema.parse(claims);
  if (parsed.nbf >= parsed.exp) throw new TicketError('TICKET_MALFORMED', 'not-before must be before expiry');
  return signJws({ typ: TICKET_TYP, kid: issuer.kid }, parsed, issuer.privateKey);
}

/** The record a ticket's log entry commits to (LEAF-FORMAT.md §2): the JWS text itself. */
export function ticketRecord(jws: string): { ticket: string } {
  return { ticket: jws.trim() };
}

export interface TicketLogProof {
  /** c2sp.org/tlog-proof receipt of the ticket's log entry. */
  receipt: string;
  /** The salt of the ticket's commitment, hex. */
  salt: string;
}

export interface VerifyTicketOptions {
  issuers: readonly TrustedIssuer[];
  /** This device's RSA-OAEP content-key fingerprint (SHA-256 of SPKI DER, hex). */
  deviceContentKeySha256: string;
  now: Date;
  toleranceSeconds?: number;
  /** Ticket ids on the latest verified revocation list, if one is held. */
  revoked?: ReadonlySet<string>;
  /** The manifest hash of the design about to be printed. */
  designManifestSha256?: string;
  /** When given, the log proof must verify under this policy. */
  log?: { proof: TicketLogProof; policy: CheckpointPolicy };
}

export interface VerifiedTicket {
  claims: PrintTicketClaims;
  kid: string;
  /** Present when a log proof was checked. */
  logIndex?: bigint;
}

/**
 * Verify a ticket offline, in the order TICKET-FORMAT.md §4 gives: structure,
 * issuer, signature, claims, validity window, device, revocation, design, log.
 */
export function verifyPrintTicket(jws: string, opts: VerifyTicketOptions): VerifiedTicket {
  const decoded = decodeJws(jws, TICKET_TYP);
  const issuer = opts.issuers.find((i) => i.kid === decoded.header.kid);
  if (!issuer) throw new TicketError('TICKET_ISSUER_UNKNOWN', `the ticket is signed by key '${decoded.header.kid}', which is not trusted here`);
  if (!verifyJwsSignature(decoded, issuer.publicKey)) throw new TicketError('TICKET_SIGNATURE_INVALID', 'the ticket signature does not verify');
  const parsed = PrintTicketClaimsSchema.safeParse(decoded.payload);
  if (!parsed.success) {
    throw new TicketError('TICKET_MALFORMED', `ticket claims: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const claims = parsed.data;
  const now = Math.floor(opts.now.getTime() / 1000);
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (now + tolerance < claims.nbf) throw new TicketError('TICKET_NOT_YET_VALID', `the ticket is valid from ${new Date(claims.nbf * 1000).toISOString()}`);
  if (now - tolerance > claims.exp) throw new TicketError('TICKET_EXPIRED', `the ticket expired at ${new Date(claims.exp * 1000).toISOString()}`);
  if (!claims.devices.some((d) => d.content_key_sha256 === opts.deviceContentKeySha256)) {
    throw new TicketError('TICKET_WRONG_DEVICE', 'this printer is not one the ticket is bound to');
  }
  if (opts.revoked?.has(claims.jti)) throw new TicketError('TICKET_REVOKED', `ticket ${claims.jti} has been revoked`);
  if (opts.designManifestSha256 !== undefined && opts.designManifestSha256 !== claims.design.manifest_sha256) {
    throw new TicketError('TICKET_DESIGN_MISMATCH', 'the design is not the one the ticket allows');
  }
  let logIndex: bigint | undefined;
  if (opts.log) logIndex = verifyTicketLogProof(jws, claims, opts.log.proof, opts.log.policy);
  return { claims, kid: decoded.header.kid, ...(logIndex !== undefined ? { logIndex } : {}) };
}

/**
 * The ticket was logged: the receipt verifies under the log's key, its entry is
 * a `ticket.issued` leaf for this ticket id, and the leaf's commitment is the
 * commitment of this very JWS under the given salt.
 */
export function verifyTicketLogProof(jws: string, claims: PrintTicketClaims, proof: TicketLogProof, policy: CheckpointPolicy): bigint {
  try {
    const verified = verifyReceipt(proof.receipt, policy);
    const leaf = decodeLeaf(verified.entry);
    const salt = fromHexStrict(proof.salt);
    if (leaf.eventType !== TICKET_EVENT || leaf.recordType !== TICKET_RECORD || leaf.recordId !== claims.jti) throw new Error('the receipt proves another record');
    if (!salt || !bytesEqual(recordCommitment(ticketRecord(jws), salt), leaf.commitment)) throw new Error('the logged commitment is not this ticket');
    return verified.index;
  } catch (e) {
    throw new TicketError('TICKET_RECEIPT_INVALID', `the ticket's log receipt does not hold: ${(e as Error).message}`);
  }
}

/** What a printer receives: the ticket, and the proof it was logged when the log was reachable. */
export const TicketBundleSchema = z.strictObject({
  format: z.literal('fabgate.ticket-bundle.v1'),
  ticket: z.string().min(1).max(64 * 1024),
  log: z.strictObject({ receipt: z.string().max(2 * 1024 * 1024), salt: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
});
export type TicketBundle = z.infer<typeof TicketBundleSchema>;

export function parseTicketBundle(input: unknown): TicketBundle {
  const r = TicketBundleSchema.safeParse(input);
  if (!r.success) throw new TicketError('TICKET_MALFORMED', `ticket bundle: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** An Ed25519 issuer public key from a JWK ({"kty":"OKP","crv":"Ed25519","x":…}) or PEM. */
export function issuerPublicKey(input: string | { kty: string; crv: string; x: string }): KeyObject {
  try {
    const key = typeof input === 'string' ? createPublicKey(input) : createPublicKey({ key: input, format: 'jwk' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
    return key;
  } catch (e) {
    throw new TicketError('TICKET_ISSUER_UNKNOWN', `not an Ed25519 issuer key: ${(e as Error).message}`);
  }
}
