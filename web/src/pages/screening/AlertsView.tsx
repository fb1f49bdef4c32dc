/**
 * The alert queue and the review of one alert: the party and the listed entity
 * side by side, the explanation, earlier decisions, and the decision itself
 * (true or false positive, with a reason). A decided alert leaves the queue;
 * the decision is remembered until the party or the entity changes.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { navigate } from '../../router';
import { fmtTime, Status, words } from '../licensing/shared';
import { DecisionForm } from './ScreenView';
import { DecisionBadge, EntityDetails, ExplanationView, ListLabel, partyLine, Score, TRIGGER, viewHref, ViewLink } from './shared';
import type { Alert, Decision, ListedEntity, StoredParty } from './types';

/** Set by a decision, read once by the queue: what just left it. */
let lastDecided: { name: string; decision: Decision } | null = null;

export function AlertsView() {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done] = useState(() => {
    const d = lastDecided;
    lastDecided = null;
    return d;
  });
  useEffect(() => {
    api<{ alerts: Alert[] }>('GET', '/api/screening/alerts?state=open')
      .then((r) => setAlerts(r.alerts))
      .catch(setError);
  }, []);
  return (
    <>
      {done && (
        <p role="status" className="cls-callout ok">
          Decided: {done.name} — <DecisionBadge value={done.decision.decision} />. It has left the queue; the decision is under <ViewLink view="decisions">Decisions</ViewLink>.
        </p>
      )}
      <h2>Open alerts</h2>
      <p className="muted">New or changed hits of your customers and application parties, newest first. Open one to review it.</p>
      <ErrorMessage error={error} />
      {alerts === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <DataTable
          caption="Open alerts"
          rows={alerts}
          rowKey={(a) => a.id}
          empty="No open alert: nothing to review."
          columns={[
            { key: 'party', header: 'Party', value: (a) => a.party.name, render: (a) => <ViewLink view="alert" params={{ id: a.id }}>{a.party.name}</ViewLink> },
            { key: 'matched', header: 'Listed as', value: (a) => a.matched_name },
            { key: 'list', header: 'List', value: (a) => a.list, render: (a) => <ListLabel list={a.list} /> },
            { key: 'score', header: 'Score', value: (a) => a.score, render: (a) => <Score value={a.score} /> },
            { key: 'why', header: 'Raised by', value: (a) => a.trigger, render: (a) => `${a.reason === 'changed' ? 'changed hit' : 'new hit'} · ${TRIGGER[a.trigger] ?? words(a.trigger)}` },
            { key: 'created', header: 'Raised', value: (a) => a.created_at, render: (a) => fmtTime(a.created_at) },
          ]}
        />
      )}
    </>
  );
}

export function AlertReview({ id }: { id: string }) {
  const [data, setData] = useState<{ alert: Alert; entity: ListedEntity; history: Decision[] } | null>(null);
  const [customer, setCustomer] = useState<StoredParty | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ alert: Alert; entity: ListedEntity; history: Decision[] }>('GET', `/api/screening/alerts/${encodeURIComponent(id)}`)
      .then((d) => {
        setData(d);
        if (d.alert.party_kind === 'customer') {
          // the customer's reference helps the comparison; the review works without it
          api<{ party: StoredParty }>('GET', `/api/screening/parties/${encodeURIComponent(d.alert.party_ref)}`)
            .then((r) => setCustomer(r.party))
            .catch(() => undefined);
        }
      })
      .catch(setError);
  }, [id]);
  if (error) return <ErrorMessage error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  const { alert, entity, history } = data;
  const p = alert.party;
  return (
    <section aria-labelledby="scr-alert" className="scr-review">
      <p className="lic-crumbs">
        <ViewLink view="alerts">Alert queue</ViewLink> ›
      </p>
      <h2 id="scr-alert">
        Review: {p.name} <Score value={alert.score} /> {alert.state !== 'open' && <Status value="withdrawn" label={words(alert.state)} />}
      </h2>
      <p className="muted">
        {alert.reason === 'changed' ? 'A changed hit' : 'A new hit'} · {TRIGGER[alert.trigger] ?? words(alert.trigger)} · raised {fmtTime(alert.created_at)}
      </p>
      <div className="scr-side">
        <section className="card" aria-labelledby="scr-side-party">
          <h3 id="scr-side-party">{alert.party_kind === 'customer' ? 'Your customer' : 'Application party'}</h3>
          <dl className="lic-meta scr-facts">
            <dt>Name</dt>
            <dd><strong>{p.name}</strong></dd>
            <dt>Type</dt>
            <dd>{p.type ? words(p.type) : '—'}</dd>
            <dt>Country</dt>
            <dd>{p.country ? partyLine({ country: p.country }) : '—'}</dd>
            <dt>Date of birth</dt>
            <dd>{p.dob ?? '—'}</dd>
            {customer?.reference && (
              <>
                <dt>Reference</dt>
                <dd>{customer.reference}</dd>
              </>
            )}
            {p.application_reference !== undefined && (
              <>
                <dt>Application</dt>
                <dd>
                  {p.application_reference ?? p.application_id}
                  {p.role && ` (${words(p.role)})`}
                </dd>
              </>
            )}
          </dl>
          {alert.party_kind === 'customer' && (
            <p className="small">
              <ViewLink view="customer" params={{ id: alert.party_ref }}>The customer record</ViewLink>
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="scr-side-entity">
          <h3 id="scr-side-entity">Listed entity</h3>
          <EntityDetails entity={entity} list={alert.list} entityId={alert.entity_id} />
        </section>
      </div>
      <section className="card scr-why" aria-labelledby="scr-why">
        <h3 id="scr-why">Why it matched</h3>
        <ExplanationView match={alert.match} label={`${p.name} against ${alert.matched_name}`} />
      </section>
      <section className="card" aria-labelledby="scr-decide">
        <h3 id="scr-decide">Decision</h3>
        {alert.state === 'open' ? (
          <DecisionForm
            label="Decide the alert"
            submit={(decision, reason) => api<Decision>('POST', `/api/screening/alerts/${encodeURIComponent(alert.id)}/decision`, { decision, reason })}
            onDone={(d) => {
              lastDecided = { name: p.name, decision: d };
              navigate(viewHref('alerts'));
            }}
          />
        ) : alert.decision ? (
          <p>
            <DecisionBadge value={alert.decision.decision} /> {fmtTime(alert.decision.decided_at)} by {alert.decision.decided_by.name ?? alert.decision.decided_by.id}: {alert.decision.reason}
          </p>
        ) : (
          <p className="muted">This alert is {words(alert.state)}: there is nothing to decide.</p>
        )}
      </section>
      <section aria-labelledby="scr-history">
        <h3 id="scr-history">Earlier decisions on this party and entity</h3>
        {history.length === 0 ? <p className="muted">None.</p> : <DecisionsTable decisions={history} caption="Earlier decisions" />}
      </section>
    </section>
  );
}

export function DecisionsTable({ decisions, caption }: { decisions: Decision[]; caption: string }) {
  return (
    <DataTable
      caption={caption}
      rows={decisions}
      rowKey={(d) => d.id}
      empty="No decision yet."
      columns={[
        { key: 'at', header: 'Decided', value: (d) => d.decided_at, render: (d) => fmtTime(d.decided_at) },
        { key: 'party', header: 'Party', value: (d) => d.party.name },
        { key: 'entity', header: 'Listed entity', value: (d) => `${d.matched_name} ${d.list} ${d.entity_id}`, render: (d) => (<>{d.matched_name}<br /><span className="small muted"><ListLabel list={d.list} /> · <code>{d.entity_id}</code> · score {d.score.toFixed(2)}</span></>) },
        { key: 'decision', header: 'Decision', value: (d) => d.decision, render: (d) => <DecisionBadge value={d.decision} /> },
        { key: 'by', header: 'By', value: (d) => d.decided_by.name ?? d.decided_by.id },
        { key: 'reason', header: 'Reason', value: (d) => d.reason },
        { key: 'log', header: 'Log', value: (d) => d.log?.leaf_index ?? null, render: (d) => (d.log?.leaf_index != null ? `entry ${d.log.leaf_index}` : d.log ? 'pending' : '—') },
      ]}
    />
  );
}

export function DecisionsView() {
  const [decisions, setDecisions] = useState<Decision[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ decisions: Decision[] }>('GET', '/api/screening/decisions')
      .then((r) => setDecisions(r.decisions))
      .catch(setError);
  }, []);
  return (
    <>
      <h2>Decisions</h2>
      <p className="muted">Every hit your organisation marked, newest first. A decision answers the same party against the same entity until either changes; each is recorded in the transparency log.</p>
      <ErrorMessage error={error} />
      {decisions === null ? <p className="muted">Loading…</p> : <DecisionsTable decisions={decisions} caption="Decisions" />}
    </>
  );
}
