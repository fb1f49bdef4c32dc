/** The organisation's customers: screened when added or changed and whenever a list version is activated. */
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { api, type Session } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { CountryField, fmtTime, Status, useAction, words } from '../licensing/shared';
import { can, DecisionBadge, ListLabel, partyLine, Score, TRIGGER, ViewLink } from './shared';
import type { Alert, Hit, ScreeningOutcome, StoredParty } from './types';

function PartyStatus({ p, hits }: { p: StoredParty; hits?: Hit[] }) {
  // with the hits at hand, a reviewed customer says how it was decided
  if (hits && hits.length && p.open_alerts === 0 && hits.every((h) => h.decision)) {
    const confirmed = hits.filter((h) => h.decision!.decision === 'true_positive').length;
    return confirmed ? <Status value="strong_match" label={`confirmed match (${confirmed})`} /> : <Status value="clear" label="hits cleared by review" />;
  }
  if (p.status === 'not_screened') return <Status value="needs_review" label="not screened" />;
  if (p.status === 'clear') return <Status value="clear" />;
  return <Status value={p.open_alerts ? 'strong_match' : 'potential_match'} label={`${p.hits} hit${p.hits === 1 ? '' : 's'}${p.open_alerts ? `, ${p.open_alerts} open alert${p.open_alerts === 1 ? '' : 's'}` : ', decided'}`} />;
}

const outcomeText = (name: string, s: ScreeningOutcome) =>
  s.matches.length === 0
    ? `${name} added and screened: clear.`
    : `${name} added and screened: ${s.matches.length} hit${s.matches.length === 1 ? '' : 's'}` +
      (s.alerts.length ? `, ${s.alerts.length} alert${s.alerts.length === 1 ? '' : 's'} raised for review.` : '') +
      (s.remembered ? ` ${s.remembered} answered by an earlier decision.` : '');

export function CustomersView({ session }: { session: Session }) {
  const [parties, setParties] = useState<StoredParty[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const reload = useCallback(() => {
    api<{ parties: StoredParty[] }>('GET', '/api/screening/parties')
      .then((r) => setParties(r.parties))
      .catch(setError);
  }, []);
  useEffect(reload, [reload]);

  return (
    <>
      <AddCustomer
        onAdded={(p, s) => {
          setNotice(outcomeText(p.name, s));
          reload();
        }}
      />
      {notice && (
        <p role="status" className="cls-callout ok">
          {notice}
        </p>
      )}
      <h2>Customers</h2>
      <ErrorMessage error={error} />
      {parties === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <DataTable
          caption="Customers"
          rows={parties}
          rowKey={(p) => p.id}
          empty="No customer yet: add one above."
          columns={[
            { key: 'name', header: 'Name', value: (p) => p.name, render: (p) => <ViewLink view="customer" params={{ id: p.id }}>{p.name}</ViewLink> },
            { key: 'country', header: 'Country', value: (p) => p.country ?? '' },
            { key: 'type', header: 'Type', value: (p) => p.type ?? '', render: (p) => (p.type ? words(p.type) : '—') },
            { key: 'reference', header: 'Reference', value: (p) => p.reference ?? '' },
            { key: 'status', header: 'Screening', value: (p) => `${p.status} ${p.open_alerts}`, render: (p) => <PartyStatus p={p} /> },
            {
              key: 'alerts',
              header: 'Open alerts',
              value: (p) => p.open_alerts,
              render: (p) => (p.open_alerts && can(session, 'screening:review') ? <ViewLink view="alerts">{p.open_alerts} to review</ViewLink> : String(p.open_alerts)),
            },
            { key: 'screened', header: 'Last screened', value: (p) => p.screened_at ?? '', render: (p) => fmtTime(p.screened_at) },
          ]}
        />
      )}
    </>
  );
}

function AddCustomer({ onAdded }: { onAdded: (p: StoredParty, s: ScreeningOutcome) => void }) {
  const empty = { name: '', country: '', type: 'organisation', dob: '', reference: '' };
  const [f, setF] = useState(empty);
  const { busy, error, run } = useAction();
  const id = useId();
  async function add(e: FormEvent) {
    e.preventDefault();
    const body = {
      name: f.name.trim(),
      ...(f.country ? { country: f.country } : {}),
      ...(f.type ? { type: f.type } : {}),
      ...(f.type === 'person' && f.dob.trim() ? { dob: f.dob.trim() } : {}),
      ...(f.reference.trim() ? { reference: f.reference.trim() } : {}),
    };
    const r = await run(() => api<{ party: StoredParty; screening: ScreeningOutcome }>('POST', '/api/screening/parties', body));
    if (r) {
      setF(empty);
      onAdded(r.party, r.screening);
    }
  }
  return (
    <details className="lic-section scr-add">
      <summary>Add a customer</summary>
      <form className="scr-form" aria-label="Add a customer" onSubmit={(e) => void add(e)}>
        <div className="lic-field scr-wide">
          <label htmlFor={`${id}-name`}>Customer name</label>
          <input id={`${id}-name`} value={f.name} required maxLength={300} onChange={(e) => setF({ ...f, name: e.target.value })} />
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-country`}>Country</label>
          <CountryField id={`${id}-country`} value={f.country} onChange={(country) => setF({ ...f, country })} placeholder="— not stated —" />
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-type`}>Type</label>
          <select id={`${id}-type`} value={f.type} onChange={(e) => setF({ ...f, type: e.target.value })}>
            <option value="organisation">Organisation</option>
            <option value="person">Person</option>
            <option value="">— not stated —</option>
          </select>
        </div>
        {f.type === 'person' && (
          <div className="lic-field">
            <label htmlFor={`${id}-dob`}>Date of birth</label>
            <input id={`${id}-dob`} value={f.dob} maxLength={100} placeholder="YYYY-MM-DD or YYYY" onChange={(e) => setF({ ...f, dob: e.target.value })} />
          </div>
        )}
        <div className="lic-field">
          <label htmlFor={`${id}-ref`}>Your reference</label>
          <input id={`${id}-ref`} value={f.reference} maxLength={200} placeholder="customer number" onChange={(e) => setF({ ...f, reference: e.target.value })} />
        </div>
        <div className="scr-form-actions">
          <button type="submit" disabled={busy || !f.name.trim()}>{busy ? 'Adding…' : 'Add and screen'}</button>
        </div>
        <ErrorMessage error={error} />
      </form>
    </details>
  );
}

/** One customer: its current hits (with any decision) and its alerts. */
export function CustomerView({ id, session }: { id: string; session: Session }) {
  const [data, setData] = useState<{ party: StoredParty; hits: Hit[]; alerts: Alert[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const rescreen = useAction();
  const reload = useCallback(() => {
    api<{ party: StoredParty; hits: Hit[]; alerts: Alert[] }>('GET', `/api/screening/parties/${encodeURIComponent(id)}`)
      .then(setData)
      .catch(setError);
  }, [id]);
  useEffect(reload, [reload]);
  if (error) return <ErrorMessage error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  const { party, hits, alerts } = data;
  const reviewer = can(session, 'screening:review');
  return (
    <section aria-labelledby="scr-customer">
      <p className="lic-crumbs">
        <ViewLink view="customers">Customers</ViewLink> ›
      </p>
      <h2 id="scr-customer">
        {party.name} <PartyStatus p={party} hits={hits} />
      </h2>
      <p className="muted">
        {partyLine(party)}
        {party.reference && <> · {party.reference}</>} · last screened {fmtTime(party.screened_at)}
      </p>
      <button
        type="button"
        className="secondary"
        disabled={rescreen.busy}
        onClick={() => void rescreen.run(() => api('POST', `/api/screening/parties/${encodeURIComponent(id)}/screen`)).then(reload)}
      >
        {rescreen.busy ? 'Screening…' : 'Screen again now'}
      </button>
      <ErrorMessage error={rescreen.error} />
      <h3>Current hits</h3>
      <DataTable
        caption={`Hits of ${party.name}`}
        rows={hits}
        rowKey={(h) => h.fingerprint}
        empty="No listed entity scores above the threshold."
        columns={[
          { key: 'list', header: 'List', value: (h) => h.list, render: (h) => <ListLabel list={h.list} /> },
          { key: 'entity', header: 'Entity', value: (h) => h.entity_id, render: (h) => <code>{h.entity_id}</code> },
          { key: 'score', header: 'Score', value: (h) => h.score, render: (h) => <Score value={h.score} /> },
          {
            key: 'decision',
            header: 'Decision',
            value: (h) => h.decision?.decision ?? (h.open_alert ? 'open' : ''),
            render: (h) =>
              h.decision ? (
                <>
                  <DecisionBadge value={h.decision.decision} /> <span className="small">{h.decision.reason}</span>
                </>
              ) : h.open_alert ? (
                reviewer ? <ViewLink view="alert" params={{ id: h.open_alert }}>Review the open alert</ViewLink> : 'awaiting review'
              ) : (
                '—'
              ),
          },
          { key: 'seen', header: 'First seen', value: (h) => h.first_seen_at, render: (h) => fmtTime(h.first_seen_at) },
        ]}
      />
      <h3>Alerts</h3>
      <DataTable
        caption={`Alerts of ${party.name}`}
        rows={alerts}
        rowKey={(a) => a.id}
        empty="No alert."
        columns={[
          { key: 'created', header: 'Raised', value: (a) => a.created_at, render: (a) => fmtTime(a.created_at) },
          { key: 'name', header: 'Matched name', value: (a) => a.matched_name, render: (a) => (reviewer ? <ViewLink view="alert" params={{ id: a.id }}>{a.matched_name}</ViewLink> : a.matched_name) },
          { key: 'why', header: 'Why', value: (a) => `${a.reason} ${a.trigger}`, render: (a) => `${a.reason} hit · ${TRIGGER[a.trigger] ?? words(a.trigger)}` },
          { key: 'state', header: 'State', value: (a) => a.state, render: (a) => <Status value={a.state === 'open' ? 'awaiting_applicant' : 'withdrawn'} label={words(a.state)} /> },
        ]}
      />
    </section>
  );
}
