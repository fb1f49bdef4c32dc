/**
 * One case as the authority works it: where it stands and why it is in its
 * queue (the routing rule that placed it, the conditions that held, the
 * rules tried before and the rule-set version), the clock, the pre-checks
 * (classification per item, screening per party, red flags with the fields
 * that raised them, destination rules), the risk breakdown, the application,
 * questions, decisions, the appeal, internal notes and the state timeline —
 * and the steps the caller can take now.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Session } from '../../api';
import { ErrorMessage } from '../../components/ErrorMessage';
import { RiskBreakdownChart } from '../../components/RiskBreakdownChart';
import { SlaClockBar } from '../../components/SlaClockBar';
import { StateTimeline } from '../../components/StateTimeline';
import { AmendmentDiffView } from './AmendmentDiff';
import { chronological, ContentSummary, CriteriaTable, DecisionCard } from './ApplicationStatus';
import { CaseActions, decisionParts, FlagsPanel, InternalNotes } from './CaseActions';
import { AppLink, countryLabel, fmtTime, LICENCE_TYPE_LABEL, Status, useAction, useReference, words } from './shared';
import type { CaseView, PrecheckResult, RoutingDecision } from './types';

function Prechecks({ c, onChange, canWork }: { c: CaseView; onChange: (c: CaseView) => void; canWork: boolean }) {
  const pre: PrecheckResult | null = c.prechecks.latest;
  const rerun = useAction();
  if (!pre) return <p className="lic-empty">No pre-checks yet: they run when the application is submitted.</p>;
  const raised = pre.red_flags.filter((f) => f.status === 'raised');
  const others = pre.red_flags.filter((f) => f.status !== 'raised');
  return (
    <div className="lic-prechecks">
      <p className="small">
        Ran {fmtTime(pre.ran_at)} ({c.prechecks.runs} run{c.prechecks.runs === 1 ? '' : 's'}) against rule sets {pre.versions.rule_sets.map((r) => `${r.id} ${r.version}`).join(', ')}; list version {pre.versions.list_version ?? 'none loaded'}; red flags {pre.versions.red_flags}; country groups {pre.versions.destination_groups}.{' '}
        {c.prechecks.current ? <span className="lic-badge ok">current</span> : <span className="lic-badge warn">stale: the application changed since</span>}
      </p>

      <h3>Classification per item</h3>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Classification per item</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Status</th>
              <th scope="col">Controlled by</th>
              <th scope="col">Open entries</th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            {pre.classification.map((i) => (
              <tr key={i.item_id}>
                <th scope="row">
                  {i.name} <span className="muted small">{words(i.kind)}</span>
                </th>
                <td>
                  <Status value={i.status} />
                </td>
                <td>{i.controlled_by.join(', ') || '—'}</td>
                <td className="small">{[...i.needs_information, ...i.needs_review].join(', ') || '—'}</td>
                <td className="small">
                  {i.differs_from_application && <span className="lic-badge warn">differs from the application</span>} {i.carried_over && <span className="muted">carried over (unchanged)</span>}
                  {i.error && <code>{i.error.code}</code>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>Screening per party</h3>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Screening per party</caption>
          <thead>
            <tr>
              <th scope="col">Party</th>
              <th scope="col">Role</th>
              <th scope="col">Country</th>
              <th scope="col">Result</th>
              <th scope="col">Matches</th>
            </tr>
          </thead>
          <tbody>
            {pre.screening.map((s) => (
              <tr key={s.party_id}>
                <th scope="row">{s.name}</th>
                <td>{words(s.role)}</td>
                <td>{countryLabel(s.country)}</td>
                <td>
                  <Status value={s.status} /> {s.carried_over && <span className="muted small">carried over</span>}
                  {s.reason && <span className="muted small"> {s.reason}</span>}
                </td>
                <td className="small">
                  {s.matches.length === 0
                    ? '—'
                    : s.matches.map((m) => (
                        <span key={m.entity_id} className="lic-match">
                          <q>{m.matched_name}</q> {m.list} {m.entity_id} · score {m.score.toFixed(3)}
                        </span>
                      ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>Red flags</h3>
      {raised.length === 0 ? (
        <p className="lic-empty">No red flag raised.</p>
      ) : (
        <ul className="lic-redflags" aria-label="Raised red flags">
          {raised.map((f) => (
            <li key={f.id}>
              <strong>{f.id}</strong> <span className="lic-badge danger">{f.category}</span> {f.summary}
              <br />
              <span className="small">{f.detail}</span>
              {f.fields.length > 0 && (
                <span className="small">
                  <br />
                  <span className="muted">raised by: </span>
                  {f.fields.map((x) => (
                    <code key={x} className="risk-field">
                      {x}
                    </code>
                  ))}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <details>
        <summary>
          {others.length} other red flag{others.length === 1 ? '' : 's'} checked (not raised, or not evaluable from the application)
        </summary>
        <ul className="small">
          {others.map((f) => (
            <li key={f.id}>
              <strong>{f.id}</strong> {words(f.status)}: {f.detail}
            </li>
          ))}
        </ul>
      </details>

      <h3>Destinations</h3>
      {pre.destinations.map((d) => (
        <div key={d.country} className="lic-dest">
          <p>
            <strong>{d.name}</strong> ({d.country}) — {d.groups.length ? d.groups.map((g) => `${g.id} ${g.label}`).join('; ') : 'in no country group'} {d.embargoed && <span className="lic-badge danger">embargoed</span>}
          </p>
          {d.findings.length > 0 && (
            <ul className="small">
              {d.findings.map((f) =>
                f.regimes.map((r) => (
                  <li key={`${f.item_id}-${r.regime}`}>
                    {pre.classification.find((i) => i.item_id === f.item_id)?.name ?? f.item_id} · {r.regime}: <Status value={r.status} /> {r.reasons.join('; ')}
                  </li>
                )),
              )}
            </ul>
          )}
        </div>
      ))}
      <p className="small muted">Case flags from the pre-checks: {pre.flags.join(', ') || 'none'}</p>
      {canWork && (
        <div className="lic-actions">
          <button
            type="button"
            className="secondary"
            disabled={rerun.busy}
            onClick={() =>
              void rerun.run(async () => {
                const r = await api<CaseView>('POST', `/api/cases/${c.id}/prechecks`);
                onChange(r);
                return r;
              })
            }
          >
            Run the pre-checks again
          </button>
        </div>
      )}
      <ErrorMessage error={rerun.error} />
    </div>
  );
}

/** "Why is this case here": the rule that placed it, the conditions that held, the rules tried before. */
export function RoutingExplanation({ routing, queueName }: { routing: CaseView['routing']; queueName: (q: string | null) => string }) {
  const cur: RoutingDecision | null = routing.current;
  if (!cur) return <p className="lic-empty">Not routed yet.</p>;
  return (
    <div className="lic-routing">
      <p data-testid="routing-summary">{cur.summary}</p>
      {cur.matched.length > 0 && (
        <ul className="small" aria-label="Conditions that held">
          {cur.matched.map((m, i) => (
            <li key={i}>
              <code>{m.condition}</code> {m.expected.join(', ')} — held by {m.actual.length ? m.actual.join(', ') : 'the absence of those flags'}
            </li>
          ))}
        </ul>
      )}
      {cur.passed_over.length > 0 && (
        <details>
          <summary>
            {cur.passed_over.length} rule{cur.passed_over.length === 1 ? '' : 's'} of an earlier tier did not apply
          </summary>
          <ul className="small">
            {cur.passed_over.map((r) => (
              <li key={r.rule_id}>
                <strong>{r.rule_id}</strong> (tier {r.tier}, queue {queueName(r.queue)}):{' '}
                {r.failed.map((f) => `${f.condition} ${f.expected.join(', ')} — the case has ${f.actual.length ? f.actual.join(', ') : 'none'}`).join('; ')}
              </li>
            ))}
          </ul>
        </details>
      )}
      <p className="muted small">
        Routing rules {cur.rules_version} (<code>{cur.rules_sha256.slice(0, 12)}…</code>)
      </p>
      {routing.history.length > 1 && (
        <details>
          <summary>Routing history ({routing.history.length} events)</summary>
          <ol className="small">
            {routing.history.map((h, i) => (
              <li key={i}>
                {fmtTime(h.at)}: {queueName(h.queue)} — rule {h.rule_id ?? 'none'}, rules {h.rules_version}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

export function useQueueNames(): (q: string | null) => string {
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    api<{ queues: Array<{ id: string; name: string }> }>('GET', '/api/queues')
      .then((r) => setNames(Object.fromEntries(r.queues.map((q) => [q.id, q.name]))))
      .catch(() => setNames({}));
  }, []);
  return (q) => (q === null ? 'no queue' : (names[q] ?? q));
}

export function CasePage({ id, session }: { id: string; session: Session }) {
  const { ref: ref_, error: refError } = useReference();
  const [c, setC] = useState<CaseView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const queueName = useQueueNames();
  const heading = useRef<HTMLHeadingElement>(null);
  const load = useCallback(() => {
    api<CaseView>('GET', `/api/cases/${encodeURIComponent(id)}`)
      .then((r) => {
        setC(r);
        setError(null);
      })
      .catch(setError);
  }, [id]);
  useEffect(load, [load]);
  const state = c?.state;
  const prev = useRef<string | undefined>(undefined);
  useEffect(() => {
    // After a step the state changes: the title says so, the focus goes there.
    if (prev.current && state && prev.current !== state) heading.current?.focus();
    prev.current = state;
  }, [state]);
  if (refError) return <ErrorMessage error={refError} />;
  if (error && !c) return <ErrorMessage error={error} />;
  if (!c || !ref_) return <p className="muted">Loading…</p>;
  const officer = c.case_officer_id ? (c.people[c.case_officer_id] ?? c.case_officer_id) : null;
  const props = { c, ref_, session, onChange: setC };
  const decision = decisionParts(props);
  return (
    <section className="lic-page lic-case">
      <p className="lic-crumbs">
        <AppLink to={c.queue ? `/cases?queue=${encodeURIComponent(c.queue)}` : '/cases'}>Cases{c.queue ? `: ${queueName(c.queue)}` : ''}</AppLink> ›
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {c.reference ?? c.id} <Status value={c.state} />
      </h1>
      <p className="muted">
        <strong>{c.organisation.name}</strong>
        {c.organisation.country ? ` (${c.organisation.country})` : ''} · {LICENCE_TYPE_LABEL[c.licence_type] ?? c.licence_type}
        {c.kind !== 'new' ? ` · ${words(c.kind)}` : ''} · to {(c.content.destinations ?? []).map(countryLabel).join(', ') || '—'} · queue {queueName(c.queue)} · case officer {officer ?? 'none yet'} · submitted {fmtTime(c.submitted_at)} · the exporter sees “{words(c.exporter_status)}”
      </p>
      <ErrorMessage error={error} />
      <div className="lic-case-grid">
        <div className="lic-case-main">
          <section aria-labelledby="why-heading" className="card">
            <h2 id="why-heading">Why this case is here</h2>
            <RoutingExplanation routing={c.routing} queueName={queueName} />
          </section>
          {decision.length > 0 && (
            <section aria-labelledby="decision-heading" className="card lic-decision-work">
              <h2 id="decision-heading">Decision</h2>
              <div className="lic-actions-list">{decision}</div>
            </section>
          )}
          <section aria-labelledby="risk-heading">
            <h2 id="risk-heading">Risk breakdown</h2>
            {c.risk ? <RiskBreakdownChart risk={c.risk} /> : <p className="lic-empty">No risk assessment yet.</p>}
          </section>
          <section aria-labelledby="pre-heading">
            <h2 id="pre-heading">Pre-checks</h2>
            <Prechecks c={c} onChange={setC} canWork={session.permissions.includes('cases:work')} />
          </section>
          {c.queries.length > 0 && (
            <section aria-labelledby="q-heading">
              <h2 id="q-heading">Questions to the applicant</h2>
              {c.queries.map((q) => (
                <article key={q.id} className={`lic-query ${!q.answer && !q.closed_at ? 'open' : ''}`}>
                  <p className="lic-prose-text">
                    <strong>Question</strong> <span className="muted small">{fmtTime(q.asked_at)}, answer due {fmtTime(q.respond_by)}</span>
                    <br />
                    {q.question}
                  </p>
                  {q.answer ? (
                    <p className="lic-prose-text">
                      <strong>Answer</strong> <span className="muted small">{fmtTime(q.answered_at)}</span>
                      <br />
                      {q.answer}
                    </p>
                  ) : q.closed_at ? (
                    <p className="muted">Closed {fmtTime(q.closed_at)}: {q.close_reason}</p>
                  ) : (
                    <p className="muted">Waiting for the answer; the clock is paused.</p>
                  )}
                </article>
              ))}
            </section>
          )}
          {c.intent && (
            <section aria-labelledby="itr-heading">
              <h2 id="itr-heading">Intent to refuse</h2>
              <p className="small">
                Notified {fmtTime(c.intent.issued_at)}; response window until {fmtTime(c.intent.respond_by)}
                {c.intent.outcome ? `; ${words(c.intent.outcome)}` : ''}.
              </p>
              <CriteriaTable criteria={c.intent.criteria} app={c} ref_={ref_} caption="Criteria of the intended refusal" />
              {c.intent.response ? (
                <p className="lic-prose-text">
                  <strong>Response of the applicant</strong> <span className="muted small">{fmtTime(c.intent.responded_at)}</span>
                  <br />
                  {c.intent.response}
                </p>
              ) : (
                <p className="muted">No response yet.</p>
              )}
            </section>
          )}
          {c.decisions.length > 0 && (
            <section aria-labelledby="dec-heading">
              <h2 id="dec-heading">Decisions</h2>
              {chronological(c.decisions).map((d) => (
                <DecisionCard
                  key={d.id}
                  d={d}
                  app={c}
                  ref_={ref_}
                  extra={
                    <p className="small">
                      Decided by {d.decided_by ? (c.people[d.decided_by] ?? d.decided_by) : '—'}
                      {d.countersigned_by.length > 0 && `, countersigned by ${d.countersigned_by.map((u) => c.people[u] ?? u).join(', ')}`}
                    </p>
                  }
                />
              ))}
            </section>
          )}
          {c.appeal && (
            <section aria-labelledby="ap-heading" className="lic-appeal">
              <h2 id="ap-heading">Appeal</h2>
              <p className="small">Filed {fmtTime(c.appeal.filed_at)}</p>
              <p className="lic-prose-text">{c.appeal.grounds}</p>
              {c.appeal.outcome ? (
                <p>
                  Outcome: <strong>{ref_.vocabularies.appeal_outcomes.find((o) => o.id === c.appeal!.outcome)?.name ?? words(c.appeal.outcome)}</strong> by {c.appeal.decided_by ? (c.people[c.appeal.decided_by] ?? c.appeal.decided_by) : '—'}, {fmtTime(c.appeal.decided_at)}
                  <br />
                  {c.appeal.reasons}
                </p>
              ) : (
                <p className="muted">Not decided yet.</p>
              )}
            </section>
          )}
          {c.amendment && <AmendmentDiffView amendment={c.amendment} />}
          <section aria-labelledby="app-heading">
            <h2 id="app-heading">The application</h2>
            <ContentSummary app={c} ref_={ref_} documentBase="/api/cases" />
          </section>
          <section aria-labelledby="tl-heading">
            <h2 id="tl-heading">State timeline</h2>
            <StateTimeline
              label="State timeline"
              events={[...c.history].reverse().map((h) => ({
                key: String(h.seq),
                at: h.at,
                title: h.transition ? `${words(h.transition)}: ${words(h.from_state ?? '—')} → ${words(h.to_state ?? '—')}` : words(h.kind),
                summary: h.summary,
                who: h.actor_id ? `${c.people[h.actor_id] ?? h.actor_id}${h.actor_role ? ` (${words(h.actor_role)})` : ''}` : h.actor_role ? words(h.actor_role) : 'system',
                internal: h.visibility === 'internal',
                transition: h.transition !== null,
              }))}
            />
          </section>
        </div>
        <aside className="lic-case-side" aria-label="Clock and actions">
          {c.clock && (
            <div className="card">
              <SlaClockBar clock={c.clock} title="Case clock" />
            </div>
          )}
          {c.appeal_clock && (
            <div className="card">
              <SlaClockBar clock={c.appeal_clock} title="Appeal clock" />
            </div>
          )}
          {c.licence && (
            <p className="card">
              Licence <AppLink to={`/licences/${c.licence.id}`}>{c.licence.reference}</AppLink>
            </p>
          )}
          <section className="card" aria-labelledby="act-heading">
            <h2 id="act-heading">Actions</h2>
            <CaseActions {...props} />
          </section>
          <div className="card">
            <FlagsPanel {...props} />
          </div>
          <div className="card">
            <InternalNotes {...props} />
          </div>
        </aside>
      </div>
    </section>
  );
}
