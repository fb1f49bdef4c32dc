/**
 * The exporter's view of a submitted application: where it stands, the clock
 * against its target (paused while a question waits for the exporter),
 * questions to answer, a notice of intent to refuse to respond to, decisions
 * with their reasons and conditions, the licence, an amendment's changes, and
 * the appeal — filed within its window with grounds and documents. The server
 * sends the exporter nothing internal (notes, advice, risk, routing); this
 * page shows what it is sent.
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api';
import { ErrorMessage } from '../../components/ErrorMessage';
import { navigate } from '../../router';
import { SlaClockBar, type SlaClockData } from '../../components/SlaClockBar';
import { StateTimeline } from '../../components/StateTimeline';
import { AmendmentDiffView } from './AmendmentDiff';
import { DocumentsTable, DocumentUpload } from './ApplicationSteps';
import { AppLink, countryLabel, fmtMoney, fmtNumber, fmtTime, Status, useAction, words } from './shared';
import type { Decision, ExporterApplication, ExporterClock, Intent, Query, RefusalCriterion, Reference } from './types';

export const exporterClock = (c: ExporterClock): SlaClockData => ({ ...c, state: c.status });

/** "party: Abzar Boresh Kaveh Company" — a refusal criterion's target in words. */
export function targetLabel(c: RefusalCriterion, app: { items: Array<{ id: string; name: string }>; parties: Array<{ id: string; name: string; role: string }> }): string {
  if (c.target === 'item') return `item: ${app.items.find((i) => i.id === c.target_id)?.name ?? c.target_id ?? '—'}`;
  if (c.target === 'party') {
    const p = app.parties.find((x) => x.id === c.target_id);
    return `party: ${p ? `${p.name} (${words(p.role)})` : (c.target_id ?? '—')}`;
  }
  if (c.target === 'destination') return `destination: ${c.target_id ? countryLabel(c.target_id) : '—'}`;
  return 'the application as a whole';
}

export function CriteriaTable({ criteria, app, ref_, caption }: { criteria: RefusalCriterion[]; app: Parameters<typeof targetLabel>[1]; ref_: Reference; caption: string }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Criterion</th>
            <th scope="col">Concerns</th>
            <th scope="col">Explanation</th>
          </tr>
        </thead>
        <tbody>
          {criteria.map((c, i) => (
            <tr key={i}>
              <th scope="row">
                <span className="lic-criterion">{c.criterion}</span> <span className="small lic-criterion-text">{ref_.vocabularies.refusal_criteria.find((r) => r.id === c.criterion)?.text}</span>
              </th>
              <td>{targetLabel(c, app)}</td>
              <td>{c.explanation}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const DECISION_WORDS: Record<string, string> = {
  approved: 'Approved',
  refused: 'Refused',
  no_licence_required: 'No licence required',
  appeal_allowed: 'Appeal allowed',
  appeal_conditions_varied: 'Appeal allowed in part: conditions varied',
  appeal_dismissed: 'Appeal dismissed',
  appeal_rejected: 'Appeal rejected',
};

export function DecisionCard({ d, app, ref_, extra }: { d: Decision; app: Parameters<typeof targetLabel>[1]; ref_: Reference; extra?: ReactNode }) {
  const tone = d.kind.includes('refused') || d.kind === 'appeal_dismissed' || d.kind === 'appeal_rejected' ? 'danger' : 'ok';
  return (
    <article className={`lic-decision ${tone}`} aria-label={`Decision: ${DECISION_WORDS[d.kind] ?? words(d.kind)}`}>
      <h3>
        <span className={`lic-badge ${tone}`}>{DECISION_WORDS[d.kind] ?? words(d.kind)}</span> <span className="muted small">{fmtTime(d.decided_at)}</span>
      </h3>
      {extra}
      <h4>Reasons</h4>
      <p className="lic-prose-text">{d.reasons}</p>
      {d.conditions.length > 0 && (
        <>
          <h4>Conditions</h4>
          <ol className="lic-conditions">
            {d.conditions.map((c, i) => (
              <li key={i}>
                {c.text} {c.id ? <span className="muted small">(standard condition {c.id})</span> : <span className="muted small">(specific to this licence)</span>}
              </li>
            ))}
          </ol>
        </>
      )}
      {d.refusal_criteria.length > 0 && (
        <>
          <h4>Refusal criteria</h4>
          <CriteriaTable criteria={d.refusal_criteria} app={app} ref_={ref_} caption="Refusal criteria" />
        </>
      )}
      {d.licence_id && (
        <p>
          Licence: <AppLink to={`/licences/${d.licence_id}`}>open the licence</AppLink>
        </p>
      )}
      {d.appeal_deadline && <p className="small">Appeal possible until {fmtTime(d.appeal_deadline)}.</p>}
    </article>
  );
}

function QueryCard({ q, app, onChange }: { q: Query; app: ExporterApplication; onChange: (a: ExporterApplication) => void }) {
  const id = useId();
  const [answer, setAnswer] = useState('');
  const a = useAction();
  const open = !q.answer && !q.closed_at;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await a.run(() => api<ExporterApplication>('POST', `/api/applications/${app.id}/queries/${q.id}/answer`, { answer: answer.trim() }));
    if (r) onChange(r);
  };
  return (
    <article className={`lic-query ${open ? 'open' : ''}`} aria-label={`Question of ${fmtTime(q.asked_at)}`}>
      <p className="lic-prose-text">
        <strong>Question</strong> <span className="muted small">asked {fmtTime(q.asked_at)}, answer by {fmtTime(q.respond_by)}</span>
        <br />
        {q.question}
      </p>
      {q.answer && (
        <p className="lic-prose-text">
          <strong>Your answer</strong> <span className="muted small">{fmtTime(q.answered_at)}</span>
          <br />
          {q.answer}
        </p>
      )}
      {q.closed_at && !q.answer && <p className="muted">Closed by the authority {fmtTime(q.closed_at)}: {q.close_reason}</p>}
      {open && app.next_steps.includes('answer') && (
        <form onSubmit={submit} className="lic-form">
          <div className="lic-field">
            <label htmlFor={`${id}-a`}>Your answer</label>
            <textarea id={`${id}-a`} className="lic-prose" rows={4} value={answer} onChange={(e) => setAnswer(e.target.value)} required maxLength={20000} />
          </div>
          <div className="lic-actions">
            <button type="submit" disabled={a.busy || !answer.trim()}>
              Send answer
            </button>
            <span className="muted small">Sending the last open answer restarts the clock.</span>
          </div>
          <ErrorMessage error={a.error} />
        </form>
      )}
    </article>
  );
}

function IntentCard({ intent, app, ref_, onChange }: { intent: Intent; app: ExporterApplication; ref_: Reference; onChange: (a: ExporterApplication) => void }) {
  const id = useId();
  const [text, setText] = useState('');
  const a = useAction();
  const open = !intent.response && !intent.closed_at && app.status === 'intent_to_refuse';
  return (
    <section className="lic-intent" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Notice of intent to refuse</h2>
      <p className="small">
        Issued {fmtTime(intent.issued_at)}; {open ? <>you may respond until <strong>{fmtTime(intent.respond_by)}</strong>. The clock is paused meanwhile.</> : <>the response window closed {fmtTime(intent.closed_at ?? intent.respond_by)}.</>}
      </p>
      <p className="lic-prose-text">{intent.reasons}</p>
      <CriteriaTable criteria={intent.criteria} app={app} ref_={ref_} caption="Criteria of the intended refusal" />
      {intent.response && (
        <p className="lic-prose-text">
          <strong>Your response</strong> <span className="muted small">{fmtTime(intent.responded_at)}</span>
          <br />
          {intent.response}
        </p>
      )}
      {open && (
        <form
          className="lic-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await a.run(() => api<ExporterApplication>('POST', `/api/applications/${app.id}/intent-response`, { response: text.trim() }));
            if (r) onChange(r);
          }}
        >
          <div className="lic-field">
            <label htmlFor={`${id}-r`}>Your response to the intended refusal</label>
            <textarea id={`${id}-r`} className="lic-prose" rows={4} value={text} onChange={(e) => setText(e.target.value)} required maxLength={20000} />
          </div>
          <div className="lic-actions">
            <button type="submit" disabled={a.busy || !text.trim()}>
              Send response
            </button>
          </div>
          <ErrorMessage error={a.error} />
        </form>
      )}
    </section>
  );
}

/** Decisions in the order they were taken; an appeal's decision after the decision it reviews. */
export function chronological<T extends { decided_at: string; kind: string }>(ds: T[]): T[] {
  return [...ds].sort((a, b) => a.decided_at.localeCompare(b.decided_at) || Number(a.kind.startsWith('appeal_')) - Number(b.kind.startsWith('appeal_')));
}

function AppealForm({ app, ref_, onChange }: { app: ExporterApplication; ref_: Reference; onChange: (a: ExporterApplication) => void }) {
  const id = useId();
  const [grounds, setGrounds] = useState('');
  const [docs, setDocs] = useState<string[]>([]);
  const a = useAction();
  const v = ref_.vocabularies;
  const appealDocs = app.documents.filter((d) => d.context === 'appeal' && docs.includes(d.id));
  return (
    <section className="lic-appeal-form" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Appeal the decision</h2>
      <p className="small">
        You may appeal until <strong>{fmtTime(app.appeal_deadline)}</strong>. Another officer than the one who decided reviews the appeal, on its own clock.
      </p>
      <DocumentUpload
        appId={app.id}
        context="appeal"
        label="Upload evidence for the appeal"
        types={['appeal_grounds', 'company_registration', 'due_diligence_evidence', 'translation', 'other'].flatMap((id) => v.document_types.filter((t) => t.id === id))}
        maxBytes={v.document_max_bytes}
        mediaTypes={v.document_media_types}
        onDone={async (doc) => {
          setDocs((d) => [...d, doc.id]);
          const r = await api<ExporterApplication>('GET', `/api/applications/${app.id}`);
          onChange(r);
        }}
      />
      {appealDocs.length > 0 && (
        <ul aria-label="Documents attached to the appeal">
          {appealDocs.map((d) => (
            <li key={d.id}>
              {d.filename} <span className="muted small">({words(d.doc_type)}, SHA-256 {d.sha256.slice(0, 12)}…)</span>
            </li>
          ))}
        </ul>
      )}
      <form
        className="lic-form"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await a.run(() => api<ExporterApplication>('POST', `/api/applications/${app.id}/appeal`, { grounds: grounds.trim(), ...(docs.length ? { document_ids: docs } : {}) }));
          if (r) onChange(r);
        }}
      >
        <div className="lic-field">
          <label htmlFor={`${id}-g`}>Grounds of appeal</label>
          <textarea id={`${id}-g`} className="lic-prose" rows={5} value={grounds} onChange={(e) => setGrounds(e.target.value)} required maxLength={20000} />
        </div>
        <div className="lic-actions">
          <button type="submit" disabled={a.busy || !grounds.trim()}>
            File appeal
          </button>
        </div>
        <ErrorMessage error={a.error} />
      </form>
    </section>
  );
}

/** The application's content, read-only. */
export function ContentSummary({ app, ref_, documentBase }: { app: Pick<ExporterApplication, 'id' | 'content' | 'items' | 'parties' | 'documents' | 'licence_type'>; ref_: Reference; documentBase: string }) {
  const c = app.content;
  const dd = c.due_diligence ?? {};
  const v = ref_.vocabularies;
  return (
    <div className="lic-content">
      <dl className="lic-meta">
        <dt>Destinations</dt>
        <dd>{(c.destinations ?? []).map(countryLabel).join(', ') || '—'}</dd>
        <dt>End use</dt>
        <dd className="lic-prose-text">{c.end_use?.text || '—'}</dd>
        <dt>Application domains</dt>
        <dd>{(c.end_use?.domains ?? []).map((d) => v.application_domains.find((x) => x.id === d)?.name ?? d).join(', ') || '—'}</dd>
        <dt>Production</dt>
        <dd>
          {c.production_volume
            ? `${fmtNumber(c.production_volume.parts_per_year)} parts/year, ${fmtNumber(c.production_volume.feedstock_kg_per_year)} kg feedstock/year, ${fmtNumber(c.production_volume.machines_installed)} machines installed`
            : '—'}
        </dd>
        <dt>Commercial terms</dt>
        <dd>{c.commercial ? [c.commercial.payment_terms && words(c.commercial.payment_terms), c.commercial.delivery_terms, c.commercial.delivery_date].filter(Boolean).join(' · ') : '—'}</dd>
        <dt>Due diligence</dt>
        <dd>
          {v.due_diligence_questions
            .filter((q) => q.type === 'boolean' && (dd as Record<string, unknown>)[q.id] !== undefined)
            .map((q) => `${q.question} ${(dd as Record<string, boolean>)[q.id] ? 'Yes' : 'No'}`)
            .join(' · ') || '—'}
          {dd.remarks && <p className="small">{dd.remarks}</p>}
        </dd>
        <dt>Declaration</dt>
        <dd>{c.declaration ? `${c.declaration.accepted ? 'signed' : 'not signed'} by ${c.declaration.name}` : '—'}</dd>
      </dl>
      <h3>Items</h3>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Items</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Classification</th>
              <th scope="col">Quantity</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {app.items.map((i) => (
              <tr key={i.id}>
                <th scope="row">
                  {i.name} <span className="muted small">{words(i.kind)}</span>
                </th>
                <td>
                  {i.classification ? <Status value={i.classification.status} /> : '—'} {i.classification?.controlled_by.join(', ')}
                </td>
                <td>
                  {fmtNumber(i.quantity)} {i.unit ?? ''}
                </td>
                <td>{fmtMoney(i.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Parties</h3>
      <ul className="lic-parties">
        {app.parties.map((p) => (
          <li key={p.id}>
            <strong>{v.party_roles.find((r) => r.id === p.role)?.name ?? words(p.role)}</strong>: {p.name}, {countryLabel(p.country)}
            {p.address ? `, ${p.address}` : ''}
          </li>
        ))}
      </ul>
      <h3>Documents</h3>
      <DocumentsTable app={app} documents={app.documents} base={documentBase} />
    </div>
  );
}

export function ApplicationStatus({ app, ref_, onChange, onEdit }: { app: ExporterApplication; ref_: Reference; onChange: (a: ExporterApplication) => void; onEdit: () => void }) {
  const a = useAction();
  const amend = async () => {
    const r = await a.run(() => api<ExporterApplication>('POST', `/api/applications/${app.id}/amendments`));
    if (r) navigate(`/applications/${r.id}`);
  };
  const openQueries = app.queries.filter((q) => !q.answer && !q.closed_at);
  const canAppeal = app.next_steps.includes('appeal') && !app.appeal && app.appeal_deadline !== null;
  return (
    <div className="lic-status">
      <div className="lic-cards">
        {app.clock && (
          <div className="card">
            <SlaClockBar clock={exporterClock(app.clock)} title="Case clock" pausedWhy="while the authority waits for you" />
          </div>
        )}
        {app.appeal_clock && (
          <div className="card">
            <SlaClockBar clock={exporterClock(app.appeal_clock)} title="Appeal clock" />
          </div>
        )}
        <div className="card">
          <h2 className="lic-card-title">Next steps</h2>
          {openQueries.length > 0 ? (
            <p>
              <strong>The authority asked you {openQueries.length === 1 ? 'a question' : `${openQueries.length} questions`}.</strong> Answer below; you may also change the application meanwhile.
            </p>
          ) : app.status === 'intent_to_refuse' ? (
            <p>
              <strong>The authority intends to refuse.</strong> Respond below before the window closes.
            </p>
          ) : canAppeal ? (
            <p>You may appeal the decision until {fmtTime(app.appeal_deadline)}.</p>
          ) : (
            <p className="muted">Nothing is waiting for you.</p>
          )}
          <div className="lic-actions">
            {app.editable && app.status !== 'draft' && (
              <button type="button" className="secondary" onClick={onEdit}>
                Change the application
              </button>
            )}
            {app.next_steps.includes('supersede') && (
              <button type="button" className="secondary" onClick={() => void amend()} disabled={a.busy}>
                Amend (new version)
              </button>
            )}
            {app.licence && <AppLink to={`/licences/${app.licence.id}`}>Licence {app.licence.reference}</AppLink>}
          </div>
          <ErrorMessage error={a.error} />
        </div>
      </div>

      {app.queries.length > 0 && (
        <section aria-labelledby="queries-heading">
          <h2 id="queries-heading">Questions from the authority</h2>
          {app.queries.map((q) => (
            <QueryCard key={q.id} q={q} app={app} onChange={onChange} />
          ))}
        </section>
      )}

      {app.intent && app.decisions.length === 0 && <IntentCard intent={app.intent} app={app} ref_={ref_} onChange={onChange} />}

      {app.decisions.length > 0 && (
        <section aria-labelledby="decisions-heading">
          <h2 id="decisions-heading">Decisions</h2>
          {chronological(app.decisions).map((d) => (
            <DecisionCard key={d.id} d={d} app={app} ref_={ref_} />
          ))}
        </section>
      )}

      {app.appeal && (
        <section aria-labelledby="appeal-heading" className="lic-appeal">
          <h2 id="appeal-heading">Your appeal</h2>
          <p className="small">Filed {fmtTime(app.appeal.filed_at)}</p>
          <p className="lic-prose-text">{app.appeal.grounds}</p>
          {app.appeal.outcome ? (
            <p>
              Outcome: <Status value={app.appeal.outcome === 'dismissed' || app.appeal.outcome === 'rejected' ? 'refused' : 'approved'} label={ref_.vocabularies.appeal_outcomes.find((o) => o.id === app.appeal!.outcome)?.name ?? words(app.appeal.outcome)} />{' '}
              <span className="muted small">{fmtTime(app.appeal.decided_at)}</span>
              <br />
              <span className="lic-prose-text">{app.appeal.reasons}</span>
            </p>
          ) : (
            <p>The appeal is being reviewed.</p>
          )}
        </section>
      )}

      {app.intent && app.decisions.length > 0 && <IntentCard intent={app.intent} app={app} ref_={ref_} onChange={onChange} />}

      {canAppeal &&
        (app.status === 'approved' ? (
          <details className="lic-section">
            <summary>Appeal the conditions of the approval</summary>
            <AppealForm app={app} ref_={ref_} onChange={onChange} />
          </details>
        ) : (
          <AppealForm app={app} ref_={ref_} onChange={onChange} />
        ))}

      {app.amendment && <AmendmentDiffView amendment={app.amendment} />}

      <section aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        <StateTimeline label="History of the application" events={[...app.history].reverse().map((h, i) => ({ key: String(i), at: h.at, title: h.status ? words(h.status) : h.summary, summary: h.status ? h.summary : '', transition: h.status !== null }))} />
      </section>

      <details className="lic-section">
        <summary>What you applied for</summary>
        <ContentSummary app={app} ref_={ref_} documentBase="/api/applications" />
      </details>
    </div>
  );
}
