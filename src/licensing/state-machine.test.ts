/**
 * Tests generated from the transition table (data/state-machine.json): every
 * transition, from every state, by every role of every organisation kind (and
 * by an API token). Allowed combinations succeed when their guards hold;
 * every other combination is refused with a specific code; every guard, when
 * it does not hold, refuses its transition.
 */
import { describe, expect, it } from 'vitest';
import { GRANTS, ORGANISATION_KINDS } from '../identity/permissions.js';
import { isFabgateError } from '../shared/errors.js';
import { licensingReference, type TransitionDef } from './reference.js';
import { decideTransition, EFFECTS, GUARDS, transitionsFrom, type GuardFacts, type MachineActor } from './state-machine.js';

const machine = licensingReference().machine.data;
const NOW = new Date('2026-03-02T09:00:00.000Z');
const PAST = '2026-02-01T00:00:00.000Z';
const FUTURE = '2026-04-01T00:00:00.000Z';
const ACTOR_ID = 'usr_actor';

/** Facts under which each guard holds (applied in the order the transition lists them). */
const SATISFY: Record<string, (f: GuardFacts) => void> = {
  checklist_clear: (f) => void (f.checklist = { clear: true, missing: 0, inconsistent: 0, warnings: 0, entries: [] }),
  reasons_given: (f) => void (f.input.reasons = 'the deficiencies are listed in the letter'),
  advisers_named: (f) => void (f.input.advisers = ['Ministry of Defence']),
  advice_complete_or_deadline_passed: (f) => void (f.referrals = { total: 2, answered: 2, deadline: FUTURE }),
  question_given: (f) => void (f.input.question = 'Which alloys will the end user process?'),
  queries_answered: (f) => void (f.openQueries = 0),
  decision_proposed: (f) => void (f.proposal ??= { kind: 'approve', proposed_by: 'usr_proposer', version: 1 }),
  countersignature_required: (f) => void (f.countersignaturesRequired = Math.max(1, f.countersignaturesRequired ?? 0)),
  second_countersignature_pending: (f) => {
    f.countersignaturesRequired = 2;
    f.countersignedBy = ['usr_first'];
  },
  not_case_officer: (f) => void (f.caseOfficerId = 'usr_officer'),
  not_proposer: (f) => void (f.proposal = { ...(f.proposal ?? { kind: 'approve', version: 1 }), proposed_by: 'usr_proposer' }),
  not_first_countersigner: (f) => void (f.countersignedBy ??= ['usr_first']),
  proposal_is_approve: (f) => void (f.proposal = { kind: 'approve', proposed_by: 'usr_proposer', version: 1 }),
  proposal_is_refuse: (f) => void (f.proposal = { kind: 'refuse', proposed_by: 'usr_proposer', version: 1 }),
  proposal_is_no_licence_required: (f) => void (f.proposal = { kind: 'no_licence_required', proposed_by: 'usr_proposer', version: 1 }),
  countersignatures_complete: (f) => {
    f.countersignaturesRequired ??= 1;
    f.countersignedBy = Array.from({ length: f.countersignaturesRequired }, (_, i) => `usr_cs${i}`);
  },
  no_blocking_flags: (f) => void (f.blockingFlags = []),
  prechecks_current: (f) => void (f.prechecksCurrent = true),
  intent_window_closed_or_answered: (f) => void (f.intent = { respond_by: PAST, responded: false }),
  within_appeal_window: (f) => void (f.appeal = { decisionKind: 'refused', hasConditions: false, alreadyAppealed: false, ...f.appeal, deadline: FUTURE }),
  grounds_given: (f) => void (f.input.grounds = 'The end user is a civil airframe maker; the refusal misread its ownership.'),
  appealable_decision: (f) => void (f.appeal = { deadline: FUTURE, ...f.appeal, decisionKind: 'refused', hasConditions: false, alreadyAppealed: false }),
  not_original_decider: (f) => void (f.originalDeciderId = 'usr_decider'),
  appeal_outcome_given: (f) => {
    f.input.outcome = 'allowed';
    f.input.reasons = 'the ownership evidence resolves criterion 7';
  },
  amendment_submitted: (f) => void (f.amendmentSubmitted = true),
};

/** Facts under which each guard fails, and the code it must give. */
const VIOLATE: Record<string, [(f: GuardFacts) => void, string]> = {
  checklist_clear: [(f) => void (f.checklist = { clear: false, missing: 1, inconsistent: 0, warnings: 0, entries: [] }), 'LICENSING_APPLICATION_INCOMPLETE'],
  reasons_given: [(f) => void (f.input.reasons = '  '), 'LICENSING_REASONS_REQUIRED'],
  advisers_named: [(f) => void (f.input.advisers = []), 'LICENSING_ADVISERS_REQUIRED'],
  advice_complete_or_deadline_passed: [(f) => void (f.referrals = { total: 2, answered: 1, deadline: FUTURE }), 'LICENSING_ADVICE_OUTSTANDING'],
  question_given: [(f) => void delete f.input.question, 'LICENSING_QUESTION_REQUIRED'],
  queries_answered: [(f) => void (f.openQueries = 1), 'LICENSING_QUERIES_OPEN'],
  decision_proposed: [(f) => void (f.proposal = null), 'LICENSING_NO_PROPOSAL'],
  countersignature_required: [(f) => void (f.countersignaturesRequired = 0), 'LICENSING_COUNTERSIGN_NOT_REQUIRED'],
  second_countersignature_pending: [(f) => void (f.countersignaturesRequired = 1), 'LICENSING_COUNTERSIGN_NOT_REQUIRED'],
  not_case_officer: [(f) => void (f.caseOfficerId = ACTOR_ID), 'LICENSING_SAME_PERSON'],
  not_proposer: [(f) => void (f.proposal = { ...f.proposal!, proposed_by: ACTOR_ID }), 'LICENSING_SAME_PERSON'],
  not_first_countersigner: [(f) => void (f.countersignedBy = [ACTOR_ID]), 'LICENSING_SAME_PERSON'],
  proposal_is_approve: [(f) => void (f.proposal = { kind: 'refuse', proposed_by: 'usr_proposer', version: 1 }), 'LICENSING_PROPOSAL_MISMATCH'],
  proposal_is_refuse: [(f) => void (f.proposal = { kind: 'approve', proposed_by: 'usr_proposer', version: 1 }), 'LICENSING_PROPOSAL_MISMATCH'],
  proposal_is_no_licence_required: [(f) => void (f.proposal = { kind: 'approve', proposed_by: 'usr_proposer', version: 1 }), 'LICENSING_PROPOSAL_MISMATCH'],
  countersignatures_complete: [(f) => void (f.countersignedBy = (f.countersignedBy ?? []).slice(0, (f.countersignaturesRequired ?? 1) - 1)), 'LICENSING_COUNTERSIGNATURES_MISSING'],
  no_blocking_flags: [(f) => void (f.blockingFlags = ['screening_strong_match']), 'LICENSING_BLOCKING_FLAGS'],
  prechecks_current: [(f) => void (f.prechecksCurrent = false), 'LICENSING_PRECHECKS_STALE'],
  intent_window_closed_or_answered: [(f) => void (f.intent = { respond_by: FUTURE, responded: false }), 'LICENSING_INTENT_WINDOW_OPEN'],
  within_appeal_window: [(f) => void (f.appeal = { ...f.appeal!, deadline: PAST }), 'LICENSING_APPEAL_WINDOW_CLOSED'],
  grounds_given: [(f) => void (f.input.grounds = 'unfair'), 'LICENSING_GROUNDS_REQUIRED'],
  appealable_decision: [(f) => void (f.appeal = { ...f.appeal!, decisionKind: 'approved', hasConditions: false }), 'LICENSING_NOT_APPEALABLE'],
  not_original_decider: [(f) => void (f.originalDeciderId = ACTOR_ID), 'LICENSING_SAME_DECIDER'],
  appeal_outcome_given: [(f) => void delete f.input.outcome, 'LICENSING_APPEAL_OUTCOME_REQUIRED'],
  amendment_submitted: [(f) => void (f.amendmentSubmitted = false), 'LICENSING_NOT_SUPERSEDED'],
};

function satisfying(t: TransitionDef, secondCountersignature = false): GuardFacts {
  const f: GuardFacts = { now: NOW, input: {}, previousState: 'under_review', countersignaturesRequired: secondCountersignature ? 2 : 1 };
  for (const g of t.guards) SATISFY[g]!(f);
  if (t.id === 'countersign') f.countersignedBy = [];
  return f;
}

/** Every (kind, role) pair the grant table knows, plus an API token of each kind. */
const ACTORS: MachineActor[] = ORGANISATION_KINDS.flatMap((kind) => [
  ...Object.keys(GRANTS[kind]).map((role) => ({ kind, role, userId: ACTOR_ID })),
  { kind, role: null, userId: null },
]);
const STATES = machine.states.map((s) => s.id);
const TRANSITION_IDS = [...new Set(machine.transitions.map((t) => t.id))];

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!isFabgateError(e)) throw e;
    return e.code;
  }
}

describe('the transition table', () => {
  it('names only guards and effects the code implements, and the code has none the table does not use', () => {
    const guards = new Set(machine.transitions.flatMap((t) => [...t.guards, ...(typeof t.to === 'string' ? [] : t.to.map((b) => b.when))]));
    const effects = new Set(machine.transitions.flatMap((t) => t.effects));
    expect([...guards].filter((g) => !GUARDS[g])).toEqual([]);
    expect([...effects].filter((e) => !(EFFECTS as readonly string[]).includes(e))).toEqual([]);
    expect(Object.keys(GUARDS).filter((g) => !guards.has(g))).toEqual([]);
    expect(EFFECTS.filter((e) => !effects.has(e))).toEqual([]);
    expect(Object.keys(SATISFY).sort()).toEqual([...guards].filter((g) => g !== 'otherwise' && g !== 'second_countersignature_required').sort());
  });

  it('covers every state and edge of the proposed machine in licensing-process.json', () => {
    const proposalStates = ['draft', 'submitted', 'returned_without_action', 'initial_checks', 'under_review', 'referred', 'awaiting_applicant', 'consolidation', 'final_review', 'countersign_1', 'countersign_2', 'intent_to_refuse', 'decided_approved', 'decided_refused', 'decided_no_licence_required', 'under_appeal', 'appeal_decided', 'withdrawn', 'superseded'];
    expect(STATES.sort()).toEqual([...proposalStates].sort());
  });
});

describe.each(STATES)('from state %s', (state) => {
  it.each(TRANSITION_IDS)('transition %s: allowed roles succeed, every other role is refused', (id) => {
    const row = machine.transitions.find((t) => t.id === id && t.from.includes(state));
    for (const actor of ACTORS) {
      const label = `${state} --${id}--> by ${actor.kind}:${actor.role ?? 'token'}`;
      const allowedRoles = row ? machine.actors[row.actor]! : [];
      const allowed = !!row && actor.role !== null && allowedRoles.includes(`${actor.kind}:${actor.role}`);
      if (!allowed) {
        const code = codeOf(() => decideTransition(state, id, actor, satisfying(row ?? machine.transitions.find((t) => t.id === id)!)));
        expect(code, label).toBe(row ? 'LICENSING_ROLE_NOT_ALLOWED' : 'LICENSING_TRANSITION_NOT_ALLOWED');
        continue;
      }
      const targets = typeof row.to === 'string' ? [row.to] : row.to.map((b) => b.state);
      for (const second of typeof row.to === 'string' ? [false] : [false, true]) {
        const facts = satisfying(row, second);
        const d = decideTransition(state, id, actor, facts);
        expect(d.from, label).toBe(state);
        expect(targets.map((t) => (t === '$previous' ? facts.previousState : t)), label).toContain(d.to);
        expect(d.effects, label).toEqual(row.effects);
        if (id === 'countersign') expect(d.to, label).toBe(second ? 'countersign_2' : 'countersign_1');
      }
      expect(transitionsFrom(state, actor), label).toContain(id);
    }
  });
});

describe('guards', () => {
  const rows = machine.transitions.flatMap((t) => t.guards.map((g) => [t, g] as const));
  it.each(rows.map(([t, g]) => [`${t.id} (${t.from.join('|')})`, g, t] as const))('%s refuses when %s does not hold', (_label, guard, t) => {
    const actor: MachineActor = { kind: machine.actors[t.actor]![0]!.split(':')[0]!, role: machine.actors[t.actor]![0]!.split(':')[1]!, userId: ACTOR_ID };
    const facts = satisfying(t);
    const [violate, code] = VIOLATE[guard]!;
    violate(facts);
    expect(codeOf(() => decideTransition(t.from[0]!, t.id, actor, facts))).toBe(code);
  });

  it('returns to the state the case was in before the question', () => {
    const actor = { kind: 'exporter', role: 'applicant', userId: ACTOR_ID };
    for (const prev of ['under_review', 'referred', 'final_review']) {
      expect(decideTransition('awaiting_applicant', 'answer', actor, { now: NOW, input: {}, openQueries: 0, previousState: prev }).to).toBe(prev);
    }
    expect(codeOf(() => decideTransition('awaiting_applicant', 'answer', actor, { now: NOW, input: {}, openQueries: 0, previousState: null }))).toBe('LICENSING_NO_PREVIOUS_STATE');
  });

  it('refuses a transition that does not exist', () => {
    expect(codeOf(() => decideTransition('draft', 'teleport', { kind: 'exporter', role: 'applicant', userId: ACTOR_ID }, { now: NOW, input: {} }))).toBe('LICENSING_TRANSITION_UNKNOWN');
  });
});
