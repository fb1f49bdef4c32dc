/**
 * What an officer can do with a case now: the steps the state machine offers
 * from its state to the caller's role (`transitions_available`; the server
 * still checks every guard and answers with a code when one fails), the
 * decision form (approval with standard and free-text conditions, refusal
 * with criteria per item / party / destination, no licence required),
 * countersigning, the appeal decision, and internal notes.
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { api, type Session } from '../../api';
import { ErrorMessage } from '../../components/ErrorMessage';
import { countryLabel, fmtTime, useAction, words } from './shared';
import type { CaseView, Condition, RefusalCriterion, Reference } from './types';

interface Props {
  c: CaseView;
  ref_: Reference;
  session: Session;
  onChange: (c: CaseView) => void;
}

/** POST a step of the state machine and hand back the case. */
function useStep(p: Props) {
  const a = useAction();
  const step = async (path: string, body: unknown = {}) => {
    const r = await a.run(() => api<CaseView>('POST', `/api/cases/${p.c.id}/${path}`, body));
    if (r) p.onChange(r);
    return r;
  };
  return { ...a, step };
}

function StepButton({ p, path, label, hint, variant }: { p: Props; path: string; label: string; hint?: string; variant?: 'secondary' }) {
  const s = useStep(p);
  return (
    <div className="lic-step-action">
      <button type="button" className={variant} disabled={s.busy} onClick={() => void s.step(path)}>
        {label}
      </button>
      {hint && <span className="muted small"> {hint}</span>}
      <ErrorMessage error={s.error} />
    </div>
  );
}

/** A step that needs words: reasons, a question, advisers. */
function StepWithText({ p, path, label, field, fieldLabel, hint, required = true, extra, collapsed }: { p: Props; path: string; label: string; field: string; fieldLabel: string; hint?: string; required?: boolean; extra?: Record<string, unknown>; collapsed?: boolean }) {
  const id = useId();
  const [text, setText] = useState('');
  const s = useStep(p);
  const form = (
    <form
      className="lic-form lic-step-action"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await s.step(path, { ...(text.trim() ? { [field]: text.trim() } : {}), ...extra });
        if (r) setText('');
      }}
    >
      <div className="lic-field">
        <label htmlFor={`${id}-t`}>{fieldLabel}</label>
        <textarea id={`${id}-t`} className="lic-prose" rows={3} value={text} onChange={(e) => setText(e.target.value)} required={required} maxLength={20000} />
        {hint && <span className="muted small">{hint}</span>}
      </div>
      <div className="lic-actions">
        <button type="submit" disabled={s.busy || (required && !text.trim())}>
          {label}
        </button>
      </div>
      <ErrorMessage error={s.error} />
    </form>
  );
  // Steps off the main path (return without action, closing questions, reconsidering) stay folded until wanted.
  return collapsed ? (
    <details className="lic-step-action">
      <summary>{label}…</summary>
      {form}
    </details>
  ) : (
    form
  );
}

/* ------------------------------------------------------------- conditions */

/** Standard conditions by checkbox, free-text conditions by line. */
function ConditionsEditor({ ref_, value, onChange, legend = 'Conditions' }: { ref_: Reference; value: Condition[]; onChange: (c: Condition[]) => void; legend?: string }) {
  const id = useId();
  const standard = ref_.vocabularies.standard_conditions;
  const chosen = new Set(value.filter((c) => c.id).map((c) => c.id));
  const free = value.filter((c) => !c.id);
  const setFree = (list: Condition[]) => onChange([...value.filter((c) => c.id), ...list]);
  return (
    <fieldset className="lic-group">
      <legend>{legend}</legend>
      <fieldset className="lic-choices lic-conds">
        <legend className="small">Standard conditions</legend>
        {standard.map((s) => (
          <label key={s.id}>
            <input type="checkbox" checked={chosen.has(s.id)} onChange={() => onChange(chosen.has(s.id) ? value.filter((c) => c.id !== s.id) : [...value, { id: s.id, text: s.text }])} />{' '}
            <span>
              <code>{s.id}</code> {s.text}
            </span>
          </label>
        ))}
      </fieldset>
      {free.map((c, i) => (
        <div key={i} className="lic-field">
          <label htmlFor={`${id}-f${i}`}>Specific condition {i + 1}</label>
          <div className="lic-inline-row">
            <textarea id={`${id}-f${i}`} className="lic-prose" rows={2} value={c.text} onChange={(e) => setFree(free.map((x, j) => (j === i ? { id: null, text: e.target.value } : x)))} />
            <button type="button" className="secondary" onClick={() => setFree(free.filter((_, j) => j !== i))} aria-label={`Remove specific condition ${i + 1}`}>
              Remove
            </button>
          </div>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => setFree([...free, { id: null, text: '' }])}>
        Add a specific condition
      </button>
    </fieldset>
  );
}

/** Conditions as the API takes them: standard ones by id, specific ones by text. */
const conditionInput = (list: Condition[]) => list.filter((c) => c.id || c.text.trim()).map((c) => (c.id ? { id: c.id } : { text: c.text.trim() }));

/* ------------------------------------------------------------- refusal criteria */

function CriteriaEditor({ c, ref_, value, onChange }: { c: CaseView; ref_: Reference; value: RefusalCriterion[]; onChange: (v: RefusalCriterion[]) => void }) {
  const id = useId();
  const v = ref_.vocabularies;
  const targets = (t: string): Array<{ id: string; label: string }> =>
    t === 'item' ? c.items.map((i) => ({ id: i.id, label: i.name })) : t === 'party' ? c.parties.map((p) => ({ id: p.id, label: `${p.name} (${words(p.role)})` })) : t === 'destination' ? (c.content.destinations ?? []).map((d) => ({ id: d, label: countryLabel(d) })) : [];
  const set = (i: number, patch: Partial<RefusalCriterion>) => onChange(value.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  return (
    <fieldset className="lic-group">
      <legend>Refusal criteria</legend>
      {value.length === 0 && <p className="lic-empty">Add at least one criterion: which criterion, about which item, party or destination, and why.</p>}
      {value.map((r, i) => (
        <fieldset key={i} className="lic-criterion-row">
          <legend>Criterion {i + 1}</legend>
          <div className="lic-grid">
            <div className="lic-field">
              <label htmlFor={`${id}-c${i}`}>Criterion</label>
              <select id={`${id}-c${i}`} value={r.criterion} onChange={(e) => set(i, { criterion: e.target.value })}>
                <option value="">— choose —</option>
                {v.refusal_criteria.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.id}: {x.text.length > 80 ? `${x.text.slice(0, 78)}…` : x.text}
                  </option>
                ))}
              </select>
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-t${i}`}>Concerns</label>
              <select id={`${id}-t${i}`} value={r.target} onChange={(e) => set(i, { target: e.target.value, target_id: null })}>
                {v.refusal_targets.map((t) => (
                  <option key={t} value={t}>
                    {t === 'application' ? 'the application as a whole' : t}
                  </option>
                ))}
              </select>
            </div>
            {r.target !== 'application' && (
              <div className="lic-field">
                <label htmlFor={`${id}-i${i}`}>Which {r.target}</label>
                <select id={`${id}-i${i}`} value={r.target_id ?? ''} onChange={(e) => set(i, { target_id: e.target.value || null })}>
                  <option value="">— choose —</option>
                  {targets(r.target).map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.label}
                    </option>
                  ))}
                </select>
              </div>
            )}
            <div className="lic-field lic-wide">
              <label htmlFor={`${id}-e${i}`}>Explanation</label>
              <textarea id={`${id}-e${i}`} className="lic-prose" rows={2} value={r.explanation} onChange={(e) => set(i, { explanation: e.target.value })} />
            </div>
          </div>
          <button type="button" className="secondary" onClick={() => onChange(value.filter((_, j) => j !== i))} aria-label={`Remove criterion ${i + 1}`}>
            Remove criterion
          </button>
        </fieldset>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...value, { criterion: '', target: 'party', target_id: null, explanation: '' }])}>
        Add a criterion
      </button>
    </fieldset>
  );
}

/* ------------------------------------------------------------- the decision form */

function DecisionForm(p: Props) {
  const id = useId();
  const prev = p.c.proposal;
  const [kind, setKind] = useState<'approve' | 'refuse' | 'no_licence_required'>(prev?.kind ?? 'approve');
  const [reasons, setReasons] = useState(prev?.reasons ?? '');
  const [conditions, setConditions] = useState<Condition[]>(prev?.conditions ?? []);
  const [criteria, setCriteria] = useState<RefusalCriterion[]>(prev?.refusal_criteria ?? []);
  const [months, setMonths] = useState(prev?.validity_months ? String(prev.validity_months) : '');
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { kind, reasons: reasons.trim() };
    if (kind === 'approve') {
      body.conditions = conditionInput(conditions);
      if (months.trim()) body.validity_months = Number(months);
    }
    if (kind === 'refuse') body.refusal_criteria = criteria.map((r) => ({ criterion: r.criterion, target: r.target, target_id: r.target === 'application' ? null : r.target_id, explanation: r.explanation.trim() }));
    const r = await a.run(() => api<CaseView>('PUT', `/api/cases/${p.c.id}/proposal`, body));
    if (r) p.onChange(r);
  };
  return (
    <form className="lic-form lic-decision-form" onSubmit={submit} aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{prev ? `Change the proposed decision (version ${prev.version})` : 'Propose the decision'}</h3>
      <fieldset className="lic-choices">
        <legend>Decision</legend>
        {(
          [
            ['approve', 'Approve with conditions'],
            ['refuse', 'Refuse (after an intent to refuse)'],
            ['no_licence_required', 'No licence required'],
          ] as const
        ).map(([k, label]) => (
          <label key={k}>
            <input type="radio" name={`${id}-kind`} checked={kind === k} onChange={() => setKind(k)} /> {label}
          </label>
        ))}
      </fieldset>
      <div className="lic-field">
        <label htmlFor={`${id}-r`}>Reasons (shown to the exporter)</label>
        <textarea id={`${id}-r`} className="lic-prose" rows={3} value={reasons} onChange={(e) => setReasons(e.target.value)} required maxLength={20000} />
      </div>
      {kind === 'approve' && (
        <>
          <ConditionsEditor ref_={p.ref_} value={conditions} onChange={setConditions} />
          <div className="lic-field">
            <label htmlFor={`${id}-m`}>Validity (months)</label>
            <input id={`${id}-m`} type="number" min={1} max={120} value={months} onChange={(e) => setMonths(e.target.value)} aria-describedby={`${id}-m-help`} />
            <span id={`${id}-m-help`} className="muted small">
              Leave empty for the requested validity, or the default of the licence type.
            </span>
          </div>
        </>
      )}
      {kind === 'refuse' && <CriteriaEditor c={p.c} ref_={p.ref_} value={criteria} onChange={setCriteria} />}
      <div className="lic-actions">
        <button type="submit" disabled={a.busy || !reasons.trim()}>
          Save proposed decision
        </button>
      </div>
      <ErrorMessage error={a.error} />
    </form>
  );
}

/** The proposed decision, as the countersigners and the officer see it. */
function ProposalSummary({ c, ref_ }: { c: CaseView; ref_: Reference }) {
  const pr = c.proposal;
  if (!pr) return null;
  const valid = c.countersignatures.filter((s) => !s.invalidated_at && s.proposal_version === pr.version && s.outcome === 'accepted');
  const rejected = c.countersignatures.filter((s) => s.outcome === 'rejected').at(-1);
  return (
    <section className="lic-proposal" aria-label="Proposed decision">
      <p>
        <strong>Proposed: {words(pr.kind)}</strong> <span className="muted small">version {pr.version}, by {c.people[pr.proposed_by] ?? pr.proposed_by}, {fmtTime(pr.proposed_at)}</span>
      </p>
      <p className="lic-prose-text">{pr.reasons}</p>
      {pr.conditions.length > 0 && (
        <ol className="lic-conditions">
          {pr.conditions.map((x, i) => (
            <li key={i}>
              {x.id && <code>{x.id}</code>} {x.text}
            </li>
          ))}
        </ol>
      )}
      {pr.refusal_criteria.length > 0 && (
        <ul>
          {pr.refusal_criteria.map((r, i) => (
            <li key={i}>
              <strong>{r.criterion}</strong> ({r.target}
              {r.target_id ? ` ${r.target === 'destination' ? r.target_id : (c.parties.find((x) => x.id === r.target_id)?.name ?? c.items.find((x) => x.id === r.target_id)?.name ?? r.target_id)}` : ''}): {r.explanation}{' '}
              <span className="muted small">{ref_.vocabularies.refusal_criteria.find((x) => x.id === r.criterion)?.text}</span>
            </li>
          ))}
        </ul>
      )}
      <p className="small">
        Countersignatures: <strong data-testid="countersignatures">{valid.length} of {c.countersignatures_required}</strong>
        {valid.map((s) => ` · ${c.people[s.user_id] ?? s.user_id} (${fmtTime(s.at)})`)}
      </p>
      {rejected && !rejected.invalidated_at && (
        <p className="cls-callout warn small">
          Rejected by {c.people[rejected.user_id] ?? rejected.user_id}: {rejected.reasons}
        </p>
      )}
      {rejected && rejected.invalidated_at && (
        <p className="muted small">
          Earlier rejected by {c.people[rejected.user_id] ?? rejected.user_id}: {rejected.reasons}
        </p>
      )}
    </section>
  );
}

function CountersignForm(p: Props) {
  const id = useId();
  const [reasons, setReasons] = useState('');
  const s = useStep(p);
  return (
    <form className="lic-form" onSubmit={(e) => e.preventDefault()} aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>Countersign</h3>
      <div className="lic-field">
        <label htmlFor={`${id}-r`}>Reasons (required to reject)</label>
        <textarea id={`${id}-r`} className="lic-prose" rows={2} value={reasons} onChange={(e) => setReasons(e.target.value)} maxLength={20000} />
      </div>
      <div className="lic-actions">
        <button type="button" disabled={s.busy} onClick={() => void s.step('countersignatures', { outcome: 'accept', ...(reasons.trim() ? { reasons: reasons.trim() } : {}) })}>
          Countersign the decision
        </button>
        <button type="button" className="secondary" disabled={s.busy || !reasons.trim()} onClick={() => void s.step('countersignatures', { outcome: 'reject', reasons: reasons.trim() })}>
          Reject and send back
        </button>
      </div>
      <ErrorMessage error={s.error} />
    </form>
  );
}

function AppealDecisionForm(p: Props) {
  const id = useId();
  const [outcome, setOutcome] = useState('dismissed');
  const [reasons, setReasons] = useState('');
  const [conditions, setConditions] = useState<Condition[]>([]);
  const s = useStep(p);
  const me = p.session.user?.id;
  const decider = p.c.decisions.filter((d) => !d.kind.startsWith('appeal_')).at(-1)?.decided_by ?? null;
  if (me && decider === me) {
    return (
      <p className="cls-callout warn" role="note">
        You decided this case, so another officer decides the appeal (<code>LICENSING_SAME_DECIDER</code>).
      </p>
    );
  }
  return (
    <form
      className="lic-form"
      aria-labelledby={`${id}-h`}
      onSubmit={(e) => {
        e.preventDefault();
        void s.step('appeal-decision', { outcome, reasons: reasons.trim(), ...(conditions.length ? { conditions: conditionInput(conditions) } : {}) });
      }}
    >
      <h3 id={`${id}-h`}>Decide the appeal</h3>
      <p className="muted small">Decided by {decider ? (p.c.people[decider] ?? decider) : 'another officer'}; you review it afresh.</p>
      <div className="lic-field">
        <label htmlFor={`${id}-o`}>Outcome</label>
        <select id={`${id}-o`} value={outcome} onChange={(e) => setOutcome(e.target.value)}>
          {p.ref_.vocabularies.appeal_outcomes.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
      </div>
      <div className="lic-field">
        <label htmlFor={`${id}-r`}>Reasons for the outcome</label>
        <textarea id={`${id}-r`} className="lic-prose" rows={3} value={reasons} onChange={(e) => setReasons(e.target.value)} required maxLength={20000} />
      </div>
      {(outcome === 'allowed' || outcome === 'conditions_varied') && <ConditionsEditor ref_={p.ref_} value={conditions} onChange={setConditions} legend="Conditions of the licence after the appeal" />}
      <div className="lic-actions">
        <button type="submit" disabled={s.busy || !reasons.trim()}>
          Record the appeal decision
        </button>
      </div>
      <ErrorMessage error={s.error} />
    </form>
  );
}

/**
 * The decision work the case allows the caller now — proposing, countersigning,
 * deciding, refusing, the appeal decision — as a list of parts (empty when
 * there is none): it gets the wide column of the case page.
 */
export function decisionParts(p: Props): ReactNode[] {
  const t = new Set(p.c.transitions_available);
  const pr = p.c.proposal;
  if (!p.session.permissions.includes('cases:work')) return [];
  const canCountersign = p.session.permissions.includes('cases:countersign');
  const parts: ReactNode[] = [];
  if (pr && ['final_review', 'countersign_1', 'countersign_2'].includes(p.c.state)) parts.push(<ProposalSummary key="proposal" c={p.c} ref_={p.ref_} />);
  if (pr && t.has('request_countersign') && p.c.countersignatures_required > 0)
    parts.push(<StepButton key="csr" p={p} path="countersign-request" label="Send for countersigning" hint={`${p.c.countersignatures_required} countersignature${p.c.countersignatures_required === 1 ? '' : 's'} required.`} />);
  if (canCountersign && (t.has('countersign') || t.has('countersign_second'))) parts.push(<CountersignForm key="cs" {...p} />);
  if (pr?.kind === 'approve' && t.has('approve')) parts.push(<StepButton key="approve" p={p} path="approve" label="Approve and issue the licence" hint="A decisive event: logged in the transparency log." />);
  if (pr?.kind === 'no_licence_required' && t.has('decide_no_licence_required')) parts.push(<StepButton key="nlr" p={p} path="no-licence-required" label="Decide: no licence required" />);
  if (pr?.kind === 'refuse' && t.has('notify_intent_to_refuse')) parts.push(<StepButton key="itr" p={p} path="intent-to-refuse" label="Notify the intent to refuse" hint="The applicant may respond within the window; the clock pauses." />);
  if (p.c.state === 'final_review') parts.push(<DecisionForm key={`decision-${pr?.version ?? 0}`} {...p} />);
  if (t.has('refuse')) parts.push(<StepWithText key="refuse" p={p} path="refuse" field="reasons" label="Refuse" fieldLabel="Reasons for the final refusal (added to the proposed reasons)" required={false} />);
  if (t.has('reconsider')) parts.push(<StepWithText key="reconsider" p={p} path="reconsider" field="reasons" label="Reconsider (back to final review)" fieldLabel="Why the case is reconsidered" collapsed />);
  if (t.has('decide_appeal')) parts.push(<AppealDecisionForm key="appeal" {...p} />);
  return parts;
}

/** The other steps the case allows the caller now (registering, reviewing, questions, referrals); the server checks the guards. */
export function CaseActions(p: Props) {
  const t = new Set(p.c.transitions_available);
  if (!p.session.permissions.includes('cases:work')) return <p className="muted">You may read this case; working it needs the cases:work permission.</p>;
  const parts: ReactNode[] = [];
  if (t.has('register')) parts.push(<StepButton key="register" p={p} path="register" label="Register (initial checks)" />);
  if (t.has('begin_review')) parts.push(<StepButton key="review" p={p} path="review" label="Begin the review" hint="You become the case officer." />);
  if (t.has('to_final_review')) parts.push(<StepButton key="final" p={p} path="final-review" label="Move to final review" />);
  if (t.has('ask_applicant')) parts.push(<StepWithText key="ask" p={p} path="queries" field="question" label="Ask the applicant" fieldLabel="Question to the applicant" hint="The clock pauses until the answer." />);
  if (t.has('close_query')) parts.push(<StepWithText key="closeq" p={p} path="queries/close" field="reasons" label="Close the questions without an answer" fieldLabel="Why the questions are closed" hint="The clock resumes." collapsed />);
  if (t.has('refer')) parts.push(<ReferForm key="refer" p={p} />);
  if (t.has('consolidate')) parts.push(<StepButton key="consolidate" p={p} path="consolidate" label="Consolidate the advice" variant="secondary" />);
  if (t.has('return_without_action')) parts.push(<StepWithText key="rwa" p={p} path="return" field="reasons" label="Return without action" fieldLabel="Deficiencies (return without action)" collapsed />);
  if (parts.length === 0) return <p className="muted">{decisionParts(p).length ? 'See the decision section.' : `No step is open to you in this state (${words(p.c.state)}).`}</p>;
  return <div className="lic-actions-list">{parts}</div>;
}

function ReferForm({ p }: { p: Props }) {
  const id = useId();
  const [advisers, setAdvisers] = useState('');
  const s = useStep(p);
  return (
    <details className="lic-step-action">
      <summary>Refer to advisory bodies</summary>
      <form
        className="lic-form"
        onSubmit={(e) => {
          e.preventDefault();
          void s.step('referrals', { advisers: advisers.split(',').map((x) => x.trim()).filter(Boolean) });
        }}
      >
        <div className="lic-field">
          <label htmlFor={`${id}-a`}>Advisory bodies (comma-separated)</label>
          <input id={`${id}-a`} value={advisers} onChange={(e) => setAdvisers(e.target.value)} />
        </div>
        <button type="submit" disabled={s.busy || !advisers.trim()}>
          Refer
        </button>
        <ErrorMessage error={s.error} />
      </form>
    </details>
  );
}

/** Internal notes: the authority's working record, never shown to the exporter. */
export function InternalNotes(p: Props) {
  const id = useId();
  const [body, setBody] = useState('');
  const a = useAction();
  const canWork = p.session.permissions.includes('cases:work');
  return (
    <section className="lic-notes" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Internal notes</h2>
      <p className="muted small">Authority only — never shown to the exporter.</p>
      {p.c.notes.length === 0 ? (
        <p className="lic-empty">No notes yet.</p>
      ) : (
        <ul className="lic-note-list" aria-label="Internal notes">
          {p.c.notes.map((n) => (
            <li key={n.id}>
              <p className="lic-prose-text">{n.body}</p>
              <p className="muted small">
                {n.author_id ? (p.c.people[n.author_id] ?? n.author_id) : 'system'} · {fmtTime(n.at)}
              </p>
            </li>
          ))}
        </ul>
      )}
      {canWork && (
        <form
          className="lic-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await a.run(() => api<CaseView>('POST', `/api/cases/${p.c.id}/notes`, { body: body.trim() }));
            if (r) {
              p.onChange(r);
              setBody('');
            }
          }}
        >
          <div className="lic-field">
            <label htmlFor={`${id}-b`}>New internal note</label>
            <textarea id={`${id}-b`} className="lic-prose" rows={3} value={body} onChange={(e) => setBody(e.target.value)} maxLength={20000} />
          </div>
          <button type="submit" disabled={a.busy || !body.trim()}>
            Add note
          </button>
          <ErrorMessage error={a.error} />
        </form>
      )}
    </section>
  );
}

/** The case's flags: which block approval, which were cleared and why; clear one with reasons. */
export function FlagsPanel(p: Props) {
  const id = useId();
  const [flag, setFlag] = useState('');
  const [reasons, setReasons] = useState('');
  const a = useAction();
  const blocking = p.c.flags.filter((f) => f.blocking);
  return (
    <section aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Flags</h2>
      {p.c.flags.length === 0 ? (
        <p className="lic-empty">No flags.</p>
      ) : (
        <ul className="lic-flags" aria-label="Case flags">
          {p.c.flags.map((f) => (
            <li key={f.flag}>
              <code>{f.flag}</code> {f.blocking ? <span className="lic-badge danger">blocks approval</span> : f.cleared ? <span className="lic-badge ok">cleared</span> : null}
              {f.cleared && (
                <span className="muted small">
                  {' '}
                  by {f.cleared.by ? (p.c.people[f.cleared.by] ?? f.cleared.by) : '—'}: {f.cleared.reasons}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {blocking.length > 0 && p.session.permissions.includes('cases:work') && (
        <form
          className="lic-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await a.run(() => api<CaseView>('POST', `/api/cases/${p.c.id}/flags/${encodeURIComponent(flag)}/clear`, { reasons: reasons.trim() }));
            if (r) {
              p.onChange(r);
              setReasons('');
            }
          }}
        >
          <div className="lic-field">
            <label htmlFor={`${id}-f`}>Flag to clear</label>
            <select id={`${id}-f`} value={flag} onChange={(e) => setFlag(e.target.value)}>
              <option value="">— choose —</option>
              {blocking.map((f) => (
                <option key={f.flag} value={f.flag}>
                  {f.flag}
                </option>
              ))}
            </select>
          </div>
          <div className="lic-field">
            <label htmlFor={`${id}-r`}>Why it can be cleared</label>
            <textarea id={`${id}-r`} className="lic-prose" rows={2} value={reasons} onChange={(e) => setReasons(e.target.value)} />
          </div>
          <button type="submit" disabled={a.busy || !flag || !reasons.trim()}>
            Clear flag
          </button>
          <ErrorMessage error={a.error} />
        </form>
      )}
    </section>
  );
}
