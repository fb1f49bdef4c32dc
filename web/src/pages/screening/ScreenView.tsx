/** Screen one party now against the active lists: every match above the threshold, best first, explained. Nothing is stored unless a reviewer records a decision. */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, type Session } from '../../api';
import { ErrorMessage } from '../../components/ErrorMessage';
import { CountryField, fmtTime, useAction } from '../licensing/shared';
import { can, DecisionBadge, EntityDetails, ExplanationView, ListLabel, partyLine, Score } from './shared';
import type { Decision, DecisionValue, PartyType, ScreenedMatch, ScreenResult } from './types';

interface Query {
  name: string;
  country: string;
  type: '' | PartyType;
  dob: string;
}

const partyOf = (q: Query) => ({ name: q.name.trim(), ...(q.country ? { country: q.country } : {}), ...(q.type ? { type: q.type } : {}), ...(q.dob.trim() ? { dob: q.dob.trim() } : {}) });

export function ScreenView({ session }: { session: Session }) {
  const [q, setQ] = useState<Query>({ name: '', country: '', type: '', dob: '' });
  const [screened, setScreened] = useState<{ query: Query; result: ScreenResult } | null>(null);
  const { busy, error, run } = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  const id = useId();

  async function screen(e: FormEvent) {
    e.preventDefault();
    const query = { ...q };
    const result = await run(() => api<ScreenResult>('POST', '/api/screening/screen', partyOf(query)));
    if (result) setScreened({ query, result });
  }
  // Land keyboard and screen-reader users on the answer.
  useEffect(() => {
    if (screened) heading.current?.focus();
  }, [screened]);

  const matches = screened ? [...screened.result.matches].sort((a, b) => b.score - a.score) : [];
  return (
    <>
      <form className="scr-form card" aria-label="Screen a party" onSubmit={(e) => void screen(e)}>
        <div className="lic-field scr-wide">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} value={q.name} required maxLength={300} autoComplete="off" onChange={(e) => setQ({ ...q, name: e.target.value })} />
          <p className="cls-help">As you have it: any romanisation, with or without the legal form.</p>
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-country`}>Country</label>
          <CountryField id={`${id}-country`} value={q.country} onChange={(country) => setQ({ ...q, country })} placeholder="— not stated —" />
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-type`}>Type</label>
          <select id={`${id}-type`} value={q.type} onChange={(e) => setQ({ ...q, type: e.target.value as Query['type'] })}>
            <option value="">— not stated —</option>
            <option value="organisation">Organisation</option>
            <option value="person">Person</option>
            <option value="vessel">Vessel</option>
            <option value="aircraft">Aircraft</option>
          </select>
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-dob`}>Date of birth</label>
          <input id={`${id}-dob`} value={q.dob} maxLength={100} placeholder="YYYY-MM-DD or YYYY" onChange={(e) => setQ({ ...q, dob: e.target.value })} />
        </div>
        <div className="scr-form-actions">
          <button type="submit" disabled={busy || !q.name.trim()}>{busy ? 'Screening…' : 'Screen'}</button>
        </div>
      </form>
      <ErrorMessage error={error} />
      {screened && (
        <section aria-labelledby={`${id}-result`} className="scr-result">
          <h2 id={`${id}-result`} ref={heading} tabIndex={-1}>
            {matches.length === 0 ? 'No match' : `${matches.length} match${matches.length === 1 ? '' : 'es'}`} for “{screened.result.party.name}”
          </h2>
          <p role="status" className={`cls-callout ${matches.length ? 'warn' : 'ok'}`}>
            {matches.length === 0
              ? `Not flagged: no listed name scores ${screened.result.threshold.toFixed(2)} or more.`
              : `Flagged: ${matches.length} listed ${matches.length === 1 ? 'entity scores' : 'entities score'} ${screened.result.threshold.toFixed(2)} or more. Review before you deal with this party.`}
          </p>
          <p className="muted small">
            {partyLine(screened.query)} · screened {fmtTime(screened.result.screened_at)} against{' '}
            {screened.result.lists.map((l, i) => (
              <span key={l.version_id}>
                {i > 0 && ', '}
                <ListLabel list={l.list} /> ({l.entities.toLocaleString('en-GB')} entities{l.source_date ? `, of ${l.source_date}` : ''})
              </span>
            ))}
          </p>
          <ol className="scr-matches">
            {matches.map((m, i) => (
              <MatchCard key={`${m.list}:${m.entity_id}`} m={m} rank={i + 1} query={screened.query} session={session} />
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

function MatchCard({ m, rank, query, session }: { m: ScreenedMatch; rank: number; query: Query; session: Session }) {
  const [review, setReview] = useState<Decision | null>(m.review);
  const label = `${m.matched_name} (${m.list} ${m.entity_id})`;
  return (
    <li className="scr-match" aria-label={`Match ${rank}: ${m.matched_name}`}>
      <div className="scr-match-head">
        <h3>
          {rank}. {m.entity.name}
        </h3>
        <Score value={m.score} />
        {review && <DecisionBadge value={review.decision} />}
      </div>
      <p className="scr-match-meta">
        <ListLabel list={m.list} /> · entity <code>{m.entity_id}</code> · {m.entity.type}
        {m.entity.programmes.length > 0 && <> · {m.entity.programmes.join(', ')}</>}
      </p>
      <ExplanationView match={m} label={label} />
      {review && (
        <p className="cls-callout">
          Decided {fmtTime(review.decided_at)} by {review.decided_by.name ?? review.decided_by.id}: <DecisionBadge value={review.decision} /> — {review.reason}
        </p>
      )}
      <details className="scr-entity">
        <summary>The listed entity</summary>
        <EntityDetails entity={m.entity} list={m.list} entityId={m.entity_id} />
      </details>
      {can(session, 'screening:review') && <DecideHit query={query} m={m} decided={review !== null} onDecided={setReview} />}
    </li>
  );
}

/** A reviewer marks a hit of ad hoc screening; the decision is remembered for exactly this party and entity. */
function DecideHit({ query, m, decided, onDecided }: { query: Query; m: ScreenedMatch; decided: boolean; onDecided: (d: Decision) => void }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)}>
        {decided ? 'Record a new decision on this hit' : 'Record a decision on this hit'}
      </button>
    );
  }
  return (
    <DecisionForm
      label={`Decision on ${m.matched_name}`}
      submit={(decision, reason) => api<Decision>('POST', '/api/screening/decisions', { party: partyOf(query), list: m.list, entity_id: m.entity_id, decision, reason })}
      onDone={(d) => {
        setOpen(false);
        onDecided(d);
      }}
      onCancel={() => setOpen(false)}
    />
  );
}

/** True or false positive with a required reason. */
export function DecisionForm({ label, submit, onDone, onCancel }: { label: string; submit: (d: DecisionValue, reason: string) => Promise<Decision>; onDone: (d: Decision) => void; onCancel?: () => void }) {
  const [decision, setDecision] = useState<DecisionValue | ''>('');
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const id = useId();
  async function go(e: FormEvent) {
    e.preventDefault();
    if (!decision || !reason.trim()) return;
    const d = await run(() => submit(decision, reason.trim()));
    if (d) onDone(d);
  }
  return (
    <form className="scr-decide" aria-label={label} onSubmit={(e) => void go(e)}>
      <fieldset className="scr-choice">
        <legend>Is this party the listed entity?</legend>
        <label>
          <input type="radio" name={`${id}-d`} value="true_positive" checked={decision === 'true_positive'} onChange={() => setDecision('true_positive')} required /> True positive: it is the listed entity
        </label>
        <label>
          <input type="radio" name={`${id}-d`} value="false_positive" checked={decision === 'false_positive'} onChange={() => setDecision('false_positive')} /> False positive: a different party
        </label>
      </fieldset>
      <div className="lic-field">
        <label htmlFor={`${id}-reason`}>Reason (required)</label>
        <textarea id={`${id}-reason`} rows={3} required maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="What you compared: registration number, address, ownership, date of birth…" />
      </div>
      <ErrorMessage error={error} />
      <div className="scr-form-actions">
        <button type="submit" disabled={busy || !decision || !reason.trim()}>{busy ? 'Recording…' : 'Record decision'}</button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
