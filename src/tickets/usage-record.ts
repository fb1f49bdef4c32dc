/**
 * Usage records (TICKET-FORMAT.md §6): one per print job, made and signed by
 * the print host with its Ed25519 key, hash-chained so that none can be dropped,
 * reordered or replayed without the server noticing. Minimal by design: which
 * ticket, which design, which print of the count, when, and how it ended —
 * no geometry, no telemetry stream.
 */
import { createHash, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJsonBytes } from '../ledger/core/canonical-json.js';
import { TicketError } from './errors.js';

export const GENESIS_HASH = '0'.repeat(64);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const isoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'RFC 3339 UTC with milliseconds');

export const UsageRecordSchema = z.strictObject({
  v: z.literal(1),
  device: z.string().min(1).max(128).describe('The device id at the issuer'),
  seq: z.number().int().min(1).describe('1 for the first record of this device, then +1 each'),
  prev: hex64.describe('SHA-256 of the canonical JSON of the previous record; 64 zeros for the first'),
  ticket: z.string().min(1).max(128).describe('Ticket id (jti)'),
  design: hex64.describe('Manifest hash of the design printed'),
  counter: z.number().int().min(1).describe('Which print of the ticket this was (1..prints)'),
  started_at: isoTime,
  ended_at: isoTime,
  outcome: z.enum(['completed', 'cancelled', 'violation', 'refused', 'failed']),
  gcode_sha256: hex64.optional().describe('SHA-256 of the G-code bytes checked (no content)'),
  violations: z
    .array(z.strictObject({ line: z.number().int().min(1), rule: z.string().max(64), value: z.union([z.number(), z.string().max(64)]), limit: z.union([z.number(), z.string().max(256)]) }))
    .max(20)
    .describe('The first violations that stopped the job, if any'),
});
export type UsageRecord = z.infer<typeof UsageRecordSchema>;

export interface SignedUsageRecord {
  record: UsageRecord;
  /** Ed25519 signature over the canonical JSON of `record`, base64. */
  signature: string;
}

/** SHA-256 (hex) of the record's canonical JSON: what the next record's `prev` names. */
export function usageRecordHash(record: UsageRecord): string {
  return createHash('sha256').update(canonicalJsonBytes(record)).digest('hex');
}

export function signUsageRecord(record: UsageRecord, deviceKey: KeyObject): SignedUsageRecord {
  const parsed = UsageRecordSchema.parse(record);
  return { record: parsed, signature: edSign(null, canonicalJsonBytes(parsed), deviceKey).toString('base64') };
}

/**
 * Verify one record against the device key and the last record accepted from
 * that device (`last`: its seq and hash, or null before the first). Refuses
 * bad signatures, gaps, replays and broken chains, each with its own code.
 */
export function verifyUsageRecord(input: unknown, deviceKey: KeyObject, last: { seq: number; hash: string } | null): { record: UsageRecord; hash: string } {
  const shape = z.strictObject({ record: z.unknown(), signature: z.string().max(200) }).safeParse(input);
  if (!shape.success) throw new TicketError('USAGE_RECORD_INVALID', 'a signed usage record is {"record": …, "signature": …}');
  const parsed = UsageRecordSchema.safeParse(shape.data.record);
  if (!parsed.success) throw new TicketError('USAGE_RECORD_INVALID', `usage record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const record = parsed.data;
  const signature = Buffer.from(shape.data.signature, 'base64');
  if (signature.length !== 64 || !edVerify(null, canonicalJsonBytes(record), deviceKey, signature)) {
    throw new TicketError('USAGE_RECORD_INVALID', 'the usage record signature does not verify under the device key');
  }
  const expectedSeq = (last?.seq ?? 0) + 1;
  if (record.seq < expectedSeq) throw new TicketError('USAGE_RECORD_REPLAYED', `record ${record.seq} was already received (next expected ${expectedSeq})`);
  if (record.seq > expectedSeq) throw new TicketError('USAGE_RECORD_GAP', `record ${record.seq} arrived but ${expectedSeq} is missing`);
  if (record.prev !== (last?.hash ?? GENESIS_HASH)) throw new TicketError('USAGE_RECORD_INVALID', 'the record does not chain to the previous one');
  if (record.ended_at < record.started_at) throw new TicketError('USAGE_RECORD_INVALID', 'the job ended before it started');
  return { record, hash: usageRecordHash(record) };
}
