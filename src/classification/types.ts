/** Results of classification: what the CLI prints, what the API will return and store. */
import type { Quantity } from './units.js';

/** Outcome of one entry for one item. */
export type EntryStatus = 'controlled' | 'not_controlled' | 'needs_information' | 'needs_review';

/** Outcome of one logic node: Kleene's three values plus "needs review" for unmodelled text. */
export type NodeResult = 'met' | 'not_met' | 'unknown' | 'review';

/** One node of the explanation tree. */
export interface TraceNode {
  node: 'all' | 'any' | 'not' | 'any_element' | 'element' | 'unmodelled' | 'condition' | 'applicability';
  result: NodeResult;
  /** parameter id (conditions) */
  id?: string;
  /** dotted path in the item, with the element index for list elements */
  parameter?: string;
  operator?: string;
  /** the threshold or expected value as written in the rule (with its unit) */
  threshold?: unknown;
  /** the value found in the item, as written there; absent when missing */
  found?: unknown;
  /** the value found, converted to the threshold's unit */
  converted?: Quantity | Quantity[];
  missing?: boolean;
  /** conditions on a target or on test results: the missing parameters they stand for */
  missing_parameters?: string[];
  note?: string;
  /** how the result was reached, when not obvious */
  detail?: string;
  /** any_element: the list; element: its index */
  path?: string;
  index?: number;
  /** any_element: indices of the elements that met the condition */
  satisfied_by?: number[];
  /** unmodelled: the text of the part the rules do not model */
  text?: string;
  /** specified_in: referenced entries evaluated on the target */
  referenced?: EntryResult[];
  children?: TraceNode[];
}

export interface EntryResult {
  key: string;
  regime: string;
  id: string;
  title: string;
  status: EntryStatus;
  /** false when the entry does not cover this kind of item (then status is not_controlled) */
  applicable: boolean;
  /** which branch of the entry was evaluated (equipment, components, …) */
  branch?: string;
  /** exactly the parameters whose absence keeps the answer open (status needs_information); frozen when empty */
  missing: readonly string[];
  /** the unmodelled parts that need an officer (status needs_review); frozen when empty */
  review: readonly string[];
  trace: TraceNode;
  notes: Array<{ type: string; summary: string }>;
  reasons_for_control: string[];
  confidence: string;
  /** scope rules (15 CFR 734.7(c)) say what stays subject to the regime */
  role: 'control_entry' | 'scope_rule';
  effect?: string;
}

export interface RuleSetRef {
  id: string;
  regime: string;
  version: string;
  /** sha256 of the rule-set file text: what a recorded classification was decided by */
  sha256: string;
}

export interface Classification {
  item: { kind: string; id?: string; name?: string };
  rule_sets: RuleSetRef[];
  /** keys of every entry whose status is controlled */
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  results: EntryResult[];
}
