/**
 * Queues and routing rules as data (data/routing-rules.json), after LITE's
 * routing rules: each rule has a tier (lower runs first), a queue and
 * conditions on the case type, state, flags, destination, item entries and
 * risk band. The first matching rule places the case. The result explains
 * itself: which conditions of the chosen rule held, with the values that
 * satisfied them, and why each rule of a lower tier did not apply. The rule
 * set version is recorded with every routing event.
 */
import { licensingReference, type RoutingConditions, type RoutingRules, type Versioned } from './reference.js';

export interface RoutingFacts {
  state: string;
  case_type: string;
  flags: string[];
  destinations: string[];
  destination_groups: string[];
  /** Control-list entry keys the items are controlled by (e.g. `US-EAR:2B910`). */
  item_entries: string[];
  risk_band: string | null;
}

export interface ConditionCheck {
  condition: keyof RoutingConditions;
  expected: string[];
  /** The case's values the condition looked at. */
  actual: string[];
  held: boolean;
}

export interface RoutingDecision {
  /** null when the case is closed (decided, withdrawn …): it sits in no queue. */
  queue: string | null;
  rule_id: string | null;
  rules_version: string;
  rules_sha256: string;
  /** Why the case landed here: the conditions that held for the chosen rule. */
  matched: ConditionCheck[];
  /** The rules tried before, with the condition that failed each. */
  passed_over: Array<{ rule_id: string; tier: number; queue: string; failed: ConditionCheck[] }>;
  summary: string;
}

/** `US-EAR:2E*` matches every entry key starting with `US-EAR:2E`. */
function entryMatches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern;
}

function check(cond: keyof RoutingConditions, expected: string[], facts: RoutingFacts): ConditionCheck {
  const any = (actual: string[], pred: (a: string) => boolean) => ({ condition: cond, expected, actual, held: actual.some(pred) });
  switch (cond) {
    case 'state_in':
      return any([facts.state], (a) => expected.includes(a));
    case 'case_type_in':
      return any([facts.case_type], (a) => expected.includes(a));
    case 'flags_any':
      return any(facts.flags, (a) => expected.includes(a));
    case 'flags_none':
      return { condition: cond, expected, actual: facts.flags, held: !facts.flags.some((a) => expected.includes(a)) };
    case 'destination_in':
      return any(facts.destinations, (a) => expected.includes(a));
    case 'destination_group_in':
      return any(facts.destination_groups, (a) => expected.includes(a));
    case 'item_entry_any':
      return any(facts.item_entries, (a) => expected.some((p) => entryMatches(p, a)));
    case 'risk_band_in':
      return any(facts.risk_band ? [facts.risk_band] : [], (a) => expected.includes(a));
  }
}

/** Only the case's values that made a condition hold (for the explanation). */
function satisfying(c: ConditionCheck): string[] {
  if (c.condition === 'flags_none') return [];
  if (c.condition === 'item_entry_any') return c.actual.filter((a) => c.expected.some((p) => entryMatches(p, a)));
  return c.actual.filter((a) => c.expected.includes(a));
}

/**
 * Route a case. `open` is false for a case that is closed (decided without an
 * appeal, withdrawn, superseded): it leaves every queue.
 */
export function routeCase(facts: RoutingFacts, open: boolean, rules: Versioned<RoutingRules> = licensingReference().routing): RoutingDecision {
  const base = { rules_version: rules.version, rules_sha256: rules.sha256 };
  if (!open) return { ...base, queue: null, rule_id: null, matched: [], passed_over: [], summary: `The case is ${facts.state.replace(/_/g, ' ')}: it sits in no queue.` };
  const passed_over: RoutingDecision['passed_over'] = [];
  for (const rule of [...rules.data.rules].sort((a, b) => a.tier - b.tier || a.id.localeCompare(b.id))) {
    const checks = (Object.entries(rule.when) as Array<[keyof RoutingConditions, string[]]>).map(([k, v]) => check(k, v, facts));
    const failed = checks.filter((c) => !c.held);
    if (failed.length === 0) {
      const matched = checks.map((c) => ({ ...c, actual: c.condition === 'flags_none' ? c.actual : satisfying(c) }));
      const why = matched.map((c) => (c.condition === 'flags_none' ? `no flag among ${c.expected.join(', ')}` : `${c.condition.replace(/_/g, ' ')}: ${c.actual.join(', ')}`)).join('; ');
      return { ...base, queue: rule.queue, rule_id: rule.id, matched, passed_over, summary: `Rule ${rule.id} (tier ${rule.tier}) placed the case in ${rule.queue}: ${why}.` };
    }
    passed_over.push({ rule_id: rule.id, tier: rule.tier, queue: rule.queue, failed });
  }
  return { ...base, queue: rules.data.default_queue, rule_id: null, matched: [], passed_over, summary: `No rule matched; the case is in the default queue ${rules.data.default_queue}.` };
}
