/**
 * What a recorded classification keeps of a full classification: the answer
 * per entry and the rule-set versions that gave it, without the traces (a trace
 * is rebuilt exactly from the stored specification and the same rule-set
 * version). Pure: the store, the routes and the licensing adapter share it.
 */
import type { DestinationAssessment, DestinationStatus } from './destination.js';
import type { Classification, EntryStatus, RuleSetRef } from './types.js';

/** One status for the whole item, for lists and the licensing pre-checks. */
export type OverallStatus = 'controlled' | 'needs_information' | 'needs_review' | 'not_controlled';

/**
 * `controlled` if any entry controls the item; otherwise `needs_information`
 * before `needs_review`, as in the evaluation itself (evaluate.ts): supplying
 * the missing parameters may settle an entry without an officer. An item is
 * `not_controlled` only when every entry says so.
 */
export function overallStatus(c: Pick<Classification, 'controlled_by' | 'needs_information' | 'needs_review'>): OverallStatus {
  if (c.controlled_by.length > 0) return 'controlled';
  if (c.needs_information.length > 0) return 'needs_information';
  if (c.needs_review.length > 0) return 'needs_review';
  return 'not_controlled';
}

/** One entry's answer, without its trace. */
export interface EntrySummary {
  key: string;
  status: EntryStatus;
  /** false when the entry does not cover this kind of item */
  applicable: boolean;
  branch?: string;
  /** the parameters whose absence keeps the entry open */
  missing: string[];
  /** the unmodelled parts an officer must review */
  review: string[];
}

export interface ClassificationSummary {
  status: OverallStatus;
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  results: EntrySummary[];
  rule_sets: RuleSetRef[];
}

export function summarise(c: Classification): ClassificationSummary {
  return {
    status: overallStatus(c),
    controlled_by: [...c.controlled_by],
    needs_information: [...c.needs_information],
    needs_review: [...c.needs_review],
    results: c.results.map((r) => ({
      key: r.key,
      status: r.status,
      applicable: r.applicable,
      ...(r.branch !== undefined ? { branch: r.branch } : {}),
      missing: [...r.missing],
      review: [...r.review],
    })),
    rule_sets: c.rule_sets.map((r) => ({ id: r.id, regime: r.regime, version: r.version, sha256: r.sha256 })),
  };
}

/** The licence requirement per regime for one destination, with the reasons and what the data cannot tell. */
export interface DestinationSummary {
  code: string;
  name: string;
  assessed_as?: string;
  regimes: Array<{ regime: string; rule_set: string; status: DestinationStatus; reasons: string[]; unknowns: string[] }>;
}

export function summariseDestination(a: DestinationAssessment): DestinationSummary {
  return {
    code: a.destination.code,
    name: a.destination.name,
    ...(a.destination.assessed_as ? { assessed_as: a.destination.assessed_as } : {}),
    regimes: a.regimes.map((r) => ({ regime: r.regime, rule_set: r.rule_set, status: r.status, reasons: [...r.reasons], unknowns: [...r.unknowns] })),
  };
}

/** A rule set a classification used that is no longer the one in force. */
export interface OutdatedRuleSet {
  id: string;
  regime: string;
  recorded_version: string;
  recorded_sha256: string;
  /** null when the rule set is no longer loaded at all */
  current_version: string | null;
  current_sha256: string | null;
}

/**
 * The rule sets of `recorded` whose content differs from the current ones. The
 * digest decides, not the version label: a rule file changed without a new
 * version number is still a different rule set.
 */
export function outdatedRuleSets(recorded: readonly RuleSetRef[], current: readonly RuleSetRef[]): OutdatedRuleSet[] {
  const now = new Map(current.map((r) => [r.id, r]));
  const out: OutdatedRuleSet[] = [];
  for (const r of recorded) {
    const cur = now.get(r.id);
    if (cur && cur.sha256 === r.sha256) continue;
    out.push({
      id: r.id,
      regime: r.regime,
      recorded_version: r.version,
      recorded_sha256: r.sha256,
      current_version: cur?.version ?? null,
      current_sha256: cur?.sha256 ?? null,
    });
  }
  return out;
}

export interface StatusChange {
  key: string;
  old_status: EntryStatus | 'absent';
  new_status: EntryStatus | 'absent';
}

/** Entries whose status differs between two summaries; `only` narrows to some entries (those of one rule set). */
export function statusChanges(before: readonly EntrySummary[], after: readonly EntrySummary[], only?: (key: string) => boolean): StatusChange[] {
  const keep = (r: EntrySummary) => !only || only(r.key);
  const a = new Map(before.filter(keep).map((r) => [r.key, r.status]));
  const b = new Map(after.filter(keep).map((r) => [r.key, r.status]));
  const out: StatusChange[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? 'absent';
    const y = b.get(key) ?? 'absent';
    if (x !== y) out.push({ key, old_status: x, new_status: y });
  }
  return out;
}
