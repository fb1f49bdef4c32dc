/**
 * The case state machine, interpreted from data (data/state-machine.json):
 * which transitions leave which state, which roles may take them, the guards
 * that must hold and the effects that follow. Every case state change in
 * Fabgate goes through `decideTransition`; a transition the table does not
 * allow is impossible through any route because no route changes the state
 * any other way.
 *
 * Guards are named in the data and implemented here as pure predicates over
 * `GuardFacts` (plain data the store gathers); effects are named in the data
 * and carried out by the store, in the same transaction.
 */
import { FabgateError } from '../shared/errors.js';
import type { Checklist } from './checklist.js';
import { licensingReference, type StateDef, type StateMachine, type TransitionDef } from './reference.js';

/** Who takes a transition: organisation kind, role, and the person (null for API tokens). */
export interface MachineActor {
  kind: string;
  role: string | null;
  userId: string | null;
}

/** The proposed decision a case carries in final review (internal until decided). */
export interface ProposalFacts {
  kind: 'approve' | 'refuse' | 'no_licence_required';
  proposed_by: string;
  version: number;
}

/** Everything a guard may look at, gathered by the store for one case. */
export interface GuardFacts {
  now: Date;
  /** What the caller sent with the transition. */
  input: { reasons?: string; question?: string; advisers?: string[]; grounds?: string; outcome?: string };
  checklist?: Checklist;
  previousState?: string | null;
  caseOfficerId?: string | null;
  proposal?: ProposalFacts | null;
  /** Countersignatures required by flags and risk band (0, 1 or 2). */
  countersignaturesRequired?: number;
  /** People whose countersignature of the current proposal is valid and accepted, in order. */
  countersignedBy?: string[];
  /** Flags that block approval and are not cleared. */
  blockingFlags?: string[];
  /** Pre-checks ran on the inputs as they are now. */
  prechecksCurrent?: boolean;
  openQueries?: number;
  referrals?: { total: number; answered: number; deadline: string | null };
  intent?: { respond_by: string; responded: boolean } | null;
  appeal?: { deadline: string | null; decisionKind: string | null; hasConditions: boolean; alreadyAppealed: boolean };
  originalDeciderId?: string | null;
  amendmentSubmitted?: boolean;
}

export interface GuardResult {
  ok: boolean;
  code?: string;
  message?: string;
  details?: unknown;
}

const ok: GuardResult = { ok: true };
const fail = (code: string, message: string, details?: unknown): GuardResult => ({ ok: false, code, message, details });
const given = (s: string | undefined, min = 3) => typeof s === 'string' && s.trim().length >= min;

/** The guards the table may name. Each is a pure predicate over the facts and the actor. */
export const GUARDS: Record<string, (f: GuardFacts, a: MachineActor) => GuardResult> = {
  checklist_clear: (f) =>
    f.checklist?.clear ? ok : fail('LICENSING_APPLICATION_INCOMPLETE', 'the application is not complete: see the checklist', { checklist: f.checklist }),
  reasons_given: (f) => (given(f.input.reasons) ? ok : fail('LICENSING_REASONS_REQUIRED', 'give the reasons for this step')),
  advisers_named: (f) => (f.input.advisers?.length ? ok : fail('LICENSING_ADVISERS_REQUIRED', 'name the advisory bodies the case is referred to')),
  advice_complete_or_deadline_passed: (f) => {
    const r = f.referrals;
    if (r && r.answered >= r.total) return ok;
    if (r?.deadline && f.now.getTime() >= Date.parse(r.deadline)) return ok;
    return fail('LICENSING_ADVICE_OUTSTANDING', 'advice is outstanding and the referral deadline has not passed', { referrals: r });
  },
  question_given: (f) => (given(f.input.question) ? ok : fail('LICENSING_QUESTION_REQUIRED', 'write the question to the applicant')),
  queries_answered: (f) => ((f.openQueries ?? 0) === 0 ? ok : fail('LICENSING_QUERIES_OPEN', 'answer every open question first', { open: f.openQueries })),
  decision_proposed: (f) => (f.proposal ? ok : fail('LICENSING_NO_PROPOSAL', 'no decision has been proposed on this case')),
  countersignature_required: (f) =>
    (f.countersignaturesRequired ?? 0) >= 1 ? ok : fail('LICENSING_COUNTERSIGN_NOT_REQUIRED', 'no countersignature is required for this case'),
  second_countersignature_required: (f) => ((f.countersignaturesRequired ?? 0) >= 2 ? ok : fail('LICENSING_COUNTERSIGN_NOT_REQUIRED', 'one countersignature suffices')),
  second_countersignature_pending: (f) =>
    (f.countersignaturesRequired ?? 0) >= 2 && (f.countersignedBy?.length ?? 0) === 1
      ? ok
      : fail('LICENSING_COUNTERSIGN_NOT_REQUIRED', 'no second countersignature is pending'),
  otherwise: () => ok,
  not_case_officer: (f, a) =>
    a.userId !== null && a.userId !== f.caseOfficerId ? ok : fail('LICENSING_SAME_PERSON', 'the case officer cannot countersign their own case'),
  not_proposer: (f, a) =>
    a.userId !== null && a.userId !== f.proposal?.proposed_by ? ok : fail('LICENSING_SAME_PERSON', 'whoever proposed the decision cannot countersign it'),
  not_first_countersigner: (f, a) =>
    a.userId !== null && !(f.countersignedBy ?? []).includes(a.userId) ? ok : fail('LICENSING_SAME_PERSON', 'the second countersignature must come from someone else'),
  proposal_is_approve: (f) => (f.proposal?.kind === 'approve' ? ok : fail('LICENSING_PROPOSAL_MISMATCH', 'the proposed decision is not an approval', { proposal: f.proposal?.kind ?? null })),
  proposal_is_refuse: (f) => (f.proposal?.kind === 'refuse' ? ok : fail('LICENSING_PROPOSAL_MISMATCH', 'the proposed decision is not a refusal', { proposal: f.proposal?.kind ?? null })),
  proposal_is_no_licence_required: (f) =>
    f.proposal?.kind === 'no_licence_required' ? ok : fail('LICENSING_PROPOSAL_MISMATCH', 'the proposed decision is not "no licence required"', { proposal: f.proposal?.kind ?? null }),
  countersignatures_complete: (f) => {
    const need = f.countersignaturesRequired ?? 0;
    const have = f.countersignedBy?.length ?? 0;
    return have >= need ? ok : fail('LICENSING_COUNTERSIGNATURES_MISSING', `${need} countersignature(s) required, ${have} valid`, { required: need, valid: have });
  },
  no_blocking_flags: (f) =>
    (f.blockingFlags ?? []).length === 0 ? ok : fail('LICENSING_BLOCKING_FLAGS', 'flags that block approval are present', { flags: f.blockingFlags }),
  prechecks_current: (f) => (f.prechecksCurrent ? ok : fail('LICENSING_PRECHECKS_STALE', 'the inputs changed since the pre-checks ran; run them again')),
  intent_window_closed_or_answered: (f) => {
    if (!f.intent) return fail('LICENSING_NO_INTENT_NOTICE', 'no notice of intent to refuse was issued');
    if (f.intent.responded || f.now.getTime() >= Date.parse(f.intent.respond_by)) return ok;
    return fail('LICENSING_INTENT_WINDOW_OPEN', `the applicant may respond until ${f.intent.respond_by}`, { respond_by: f.intent.respond_by });
  },
  within_appeal_window: (f) => {
    const d = f.appeal?.deadline;
    if (d && f.now.getTime() < Date.parse(d)) return ok;
    return fail('LICENSING_APPEAL_WINDOW_CLOSED', d ? `the appeal window closed at ${d}` : 'this decision has no appeal window', { deadline: d ?? null });
  },
  grounds_given: (f) => (given(f.input.grounds, 20) ? ok : fail('LICENSING_GROUNDS_REQUIRED', 'state the grounds of appeal (at least 20 characters)')),
  appealable_decision: (f) => {
    const a = f.appeal;
    if (a?.alreadyAppealed) return fail('LICENSING_ALREADY_APPEALED', 'this decision has already been appealed');
    if (a?.decisionKind === 'refused' || (a?.decisionKind === 'approved' && a.hasConditions)) return ok;
    return fail('LICENSING_NOT_APPEALABLE', 'only refusals and approvals with conditions can be appealed', { decision: a?.decisionKind ?? null });
  },
  not_original_decider: (f, a) =>
    a.userId !== null && a.userId !== f.originalDeciderId ? ok : fail('LICENSING_SAME_DECIDER', 'an appeal is decided by another officer than the one who took the decision'),
  appeal_outcome_given: (f) => (given(f.input.outcome, 1) && given(f.input.reasons) ? ok : fail('LICENSING_APPEAL_OUTCOME_REQUIRED', 'give the outcome of the appeal and its reasons')),
  amendment_submitted: (f) => (f.amendmentSubmitted ? ok : fail('LICENSING_NOT_SUPERSEDED', 'a case is superseded only by submitting its amendment')),
};

/** The effects the table may name; the store implements each (a test checks the two lists agree). */
export const EFFECTS = [
  'assign_reference',
  'start_case_clock',
  'pause_case_clock',
  'resume_case_clock',
  'stop_case_clock',
  'run_prechecks',
  'rerun_prechecks_if_inputs_changed',
  'assess_risk',
  'supersede_amended_case',
  'assign_case_officer',
  'open_referrals',
  'open_query',
  'close_open_queries',
  'record_countersignature',
  'record_countersign_rejection',
  'invalidate_countersignatures',
  'record_decision',
  'issue_licence',
  'open_intent_notice',
  'close_intent_notice',
  'withdraw_proposal',
  'set_appeal_deadline',
  'record_appeal',
  'start_appeal_clock',
  'stop_appeal_clock',
  'record_appeal_decision',
  'issue_licence_on_appeal',
] as const;
export type Effect = (typeof EFFECTS)[number];

export interface TransitionDecision {
  transition: TransitionDef;
  from: string;
  to: string;
  effects: Effect[];
}

/** The state definition; LICENSING_STATE_UNKNOWN when the data has none. */
export function stateDef(state: string, machine: StateMachine = licensingReference().machine.data): StateDef {
  const s = machine.states.find((x) => x.id === state);
  if (!s) throw new FabgateError('LICENSING_STATE_UNKNOWN', `no case state '${state}'`, 'internal');
  return s;
}

/** true when the actor holds one of the roles the transition's actor group lists. */
export function actorMayTake(t: TransitionDef, actor: MachineActor, machine: StateMachine = licensingReference().machine.data): boolean {
  if (actor.role === null || actor.userId === null) return false;
  return (machine.actors[t.actor] ?? []).includes(`${actor.kind}:${actor.role}`);
}

/**
 * Decide a transition: the state must be one it leaves, the actor must hold
 * an allowed role, and every guard must hold; a choice of targets is settled
 * by the first `when` guard that holds. Throws a FabgateError with a specific
 * code otherwise: LICENSING_TRANSITION_UNKNOWN, LICENSING_TRANSITION_NOT_ALLOWED
 * (not from this state), LICENSING_ROLE_NOT_ALLOWED, or the failing guard's code.
 */
export function decideTransition(
  state: string,
  transitionId: string,
  actor: MachineActor,
  facts: GuardFacts,
  machine: StateMachine = licensingReference().machine.data,
): TransitionDecision {
  const candidates = machine.transitions.filter((t) => t.id === transitionId);
  if (candidates.length === 0) throw new FabgateError('LICENSING_TRANSITION_UNKNOWN', `no transition '${transitionId}'`, 'invalid_input');
  const t = candidates.find((c) => c.from.includes(state));
  if (!t) {
    throw new FabgateError('LICENSING_TRANSITION_NOT_ALLOWED', `'${transitionId}' cannot be taken from state '${state}'`, 'conflict', {
      state,
      transition: transitionId,
      allowed_from: candidates.flatMap((c) => c.from),
    });
  }
  if (!actorMayTake(t, actor, machine)) {
    throw new FabgateError('LICENSING_ROLE_NOT_ALLOWED', `'${transitionId}' is taken by the ${t.actor}, not by ${actor.kind}:${actor.role ?? 'token'}`, 'forbidden', {
      transition: transitionId,
      allowed_roles: machine.actors[t.actor],
    });
  }
  for (const g of t.guards) {
    const guard = GUARDS[g];
    if (!guard) throw new FabgateError('LICENSING_GUARD_UNKNOWN', `the table names guard '${g}', which is not implemented`, 'internal');
    const r = guard(facts, actor);
    if (!r.ok) throw new FabgateError(r.code!, r.message!, 'conflict', { guard: g, ...(r.details ? { detail: r.details } : {}) });
  }
  let to: string;
  if (typeof t.to === 'string') to = t.to;
  else {
    const branch = t.to.find((b) => GUARDS[b.when]?.(facts, actor).ok);
    if (!branch) throw new FabgateError('LICENSING_GUARD_UNKNOWN', `no branch of '${t.id}' applies`, 'internal');
    to = branch.state;
  }
  if (to === '$previous') {
    const prev = facts.previousState;
    if (!prev || !machine.states.some((s) => s.id === prev)) throw new FabgateError('LICENSING_NO_PREVIOUS_STATE', 'the case does not know the state to return to', 'internal');
    to = prev;
  }
  return { transition: t, from: state, to, effects: t.effects as Effect[] };
}

/** The transitions the actor could attempt from a state (guards not evaluated): what a UI offers. */
export function transitionsFrom(state: string, actor: MachineActor, machine: StateMachine = licensingReference().machine.data): string[] {
  return [...new Set(machine.transitions.filter((t) => t.from.includes(state) && actorMayTake(t, actor, machine)).map((t) => t.id))];
}

/** true for states no transition leaves. */
export function isTerminal(state: string, machine: StateMachine = licensingReference().machine.data): boolean {
  return stateDef(state, machine).terminal === true;
}
