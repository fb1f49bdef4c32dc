/**
 * Usage records as the agent makes them (TICKET-FORMAT.md §6): one per job,
 * whatever its outcome, with the job's print counter value. Violations are
 * reduced to the record's small shape; nothing about the geometry is kept.
 */
import type { Violation } from '../gcode/checker.js';
import type { UsageRecord } from '../tickets/usage-record.js';

export type UsageOutcome = UsageRecord['outcome'];
export type RecordViolation = UsageRecord['violations'][number];

/** The most violations a record carries (TICKET-FORMAT.md §6). */
export const MAX_RECORD_VIOLATIONS = 20;

/** A checker violation in the record's shape: numbers stay numbers, the rest becomes short text. */
export function toRecordViolation(v: Violation): RecordViolation {
  const text = (x: unknown, max: number) => (typeof x === 'string' ? x : x === null || x === undefined ? '' : JSON.stringify(x)).slice(0, max);
  return {
    line: Math.max(1, v.line),
    rule: v.rule.slice(0, 64),
    value: typeof v.value === 'number' && Number.isFinite(v.value) ? v.value : text(v.value, 64),
    limit: typeof v.limit === 'number' && Number.isFinite(v.limit) ? v.limit : text(v.limit, 256),
  };
}

export function toRecordViolations(list: readonly Violation[]): RecordViolation[] {
  return list.slice(0, MAX_RECORD_VIOLATIONS).map(toRecordViolation);
}

/** RFC 3339 UTC with milliseconds, as the record wants. */
export function isoTime(d: Date): string {
  return d.toISOString();
}
