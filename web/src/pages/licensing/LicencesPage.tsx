/**
 * The licence register — the holder's licences, or those the authority
 * issued — with status (computed now: expiry and exhaustion need nobody to
 * act), validity and remaining balance; and one licence with its items
 * (granted, used, remaining as a meter), conditions, parties, versions and
 * usage. The holder records a use or amends the licence; a supervisor
 * suspends, reinstates or revokes it; the holder may surrender it.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import { api, type Session } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { navigate, useLocation } from '../../router';
import { AppLink, countryLabel, fmtDate, fmtMoney, fmtNumber, fmtTime, LICENCE_TYPE_LABEL, numOrUndef, Status, useAction, words } from './shared';
import type { ExporterApplication, Licence, LicenceStatus } from './types';

const STATUSES: LicenceStatus[] = ['active', 'suspended', 'revoked', 'expired', 'exhausted', 'surrendered'];

/** What is left of each item, in a line. */
const remaining = (l: Licence) => l.items.map((i) => (i.granted === null ? `${i.name}: no quantity limit` : `${i.name}: ${fmtNumber(i.remaining)} of ${fmtNumber(i.granted)} ${i.unit ?? ''}`.trim())).join('; ');

export function LicencesPage({ session }: { session: Session }) {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const [rows, setRows] = useState<Licence[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const id = useId();
  const load = useCallback(
    (after?: string) => {
      const q = new URLSearchParams({ limit: '100' });
      if (status) q.set('status', status);
      if (after) q.set('cursor', after);
      api<{ licences: Licence[]; next_cursor: string | null }>('GET', `/api/licences?${q.toString()}`)
        .then((r) => {
          setRows((prev) => (after ? [...(prev ?? []), ...r.licences] : r.licences));
          setCursor(r.next_cursor);
        })
        .catch(setError);
    },
    [status],
  );
  useEffect(() => {
    setRows(null);
    load();
  }, [load]);
  const authority = session.organisation.kind === 'authority';
  return (
    <section>
      <h1>Licences</h1>
      <p className="muted">{authority ? 'The licences this authority issued.' : 'Your organisation’s licences.'} Status is computed when you look: a licence expires at the end of its validity without anyone acting.</p>
      <div className="lic-filter">
        <label htmlFor={`${id}-s`}>Status</label>{' '}
        <select id={`${id}-s`} value={status} onChange={(e) => navigate(e.target.value ? `/licences?status=${e.target.value}` : '/licences')}>
          <option value="">all</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage error={error} />
      <DataTable
        caption="Licence register"
        rows={rows ?? []}
        rowKey={(l) => l.id}
        empty={rows === null ? 'Loading…' : status ? `No ${status} licences.` : 'No licences yet: an approved application issues one.'}
        columns={[
          { key: 'ref', header: 'Reference', value: (l) => l.reference, render: (l) => <AppLink to={`/licences/${l.id}`}>{l.reference}</AppLink> },
          { key: 'status', header: 'Status', value: (l) => l.status, render: (l) => <Status value={l.status} /> },
          authority ? { key: 'holder', header: 'Holder', value: (l) => l.holder.name } : { key: 'authority', header: 'Issued by', value: (l) => l.authority.name },
          { key: 'type', header: 'Type', value: (l) => LICENCE_TYPE_LABEL[l.licence_type] ?? l.licence_type },
          { key: 'from', header: 'Valid from', value: (l) => l.valid_from, render: (l) => fmtDate(l.valid_from) },
          { key: 'to', header: 'Valid to', value: (l) => l.valid_to ?? '', render: (l) => (l.valid_to ? fmtDate(l.valid_to) : 'no expiry') },
          { key: 'dest', header: 'Destinations', value: (l) => l.destinations.join(', ') },
          { key: 'balance', header: 'Remaining balance', value: (l) => remaining(l), render: (l) => <span className="small">{remaining(l)}</span> },
        ]}
      />
      {cursor && (
        <p>
          <button type="button" className="secondary" onClick={() => load(cursor)}>
            Load more
          </button>
        </p>
      )}
    </section>
  );
}

function Balance({ item }: { item: Licence['items'][number] }) {
  if (item.granted === null) return <span className="muted">no quantity limit</span>;
  const granted = item.granted;
  const left = item.remaining ?? 0;
  return (
    <span className="lic-balance">
      <meter min={0} max={granted} value={left} low={granted * 0.1} optimum={granted} aria-label={`Remaining of ${item.name}`} aria-valuetext={`${fmtNumber(left)} of ${fmtNumber(granted)} ${item.unit ?? ''} remaining`} />{' '}
      <span>
        <strong>{fmtNumber(left)}</strong> of {fmtNumber(granted)} {item.unit ?? ''} left ({fmtNumber(item.used)} used)
      </span>
    </span>
  );
}

function UseForm({ lic, onChange }: { lic: Licence; onChange: (l: Licence) => void }) {
  const id = useId();
  const [item, setItem] = useState(lic.items.find((i) => i.granted !== null)?.id ?? '');
  const [qty, setQty] = useState('');
  const [reference, setReference] = useState('');
  const a = useAction();
  return (
    <form
      className="lic-form lic-subform"
      aria-label="Record a use"
      onSubmit={async (e) => {
        e.preventDefault();
        const q = numOrUndef(qty);
        if (q === undefined) return;
        const r = await a.run(() => api<{ licence: Licence }>('POST', `/api/licences/${lic.id}/usage`, { item, quantity: q, reason: 'shipment', ...(reference.trim() ? { reference: reference.trim() } : {}) }));
        if (r) {
          onChange(r.licence);
          setQty('');
          setReference('');
        }
      }}
    >
      <h3>Record a shipment</h3>
      <div className="lic-grid">
        <div className="lic-field">
          <label htmlFor={`${id}-i`}>Item</label>
          <select id={`${id}-i`} value={item} onChange={(e) => setItem(e.target.value)}>
            {lic.items.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-q`}>Quantity</label>
          <input id={`${id}-q`} type="number" min={0} step="any" value={qty} onChange={(e) => setQty(e.target.value)} />
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-r`}>Shipment reference</label>
          <input id={`${id}-r`} value={reference} onChange={(e) => setReference(e.target.value)} maxLength={200} />
        </div>
      </div>
      <button type="submit" disabled={a.busy || !qty}>
        Record shipment
      </button>
      <ErrorMessage error={a.error} />
    </form>
  );
}

function LicenceAct({ lic, act, label, onChange }: { lic: Licence; act: string; label: string; onChange: (l: Licence) => void }) {
  const id = useId();
  const [reasons, setReasons] = useState('');
  const a = useAction();
  return (
    <details className="lic-step-action">
      <summary>{label}…</summary>
      <form
        className="lic-form"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await a.run(() => api<Licence>('POST', `/api/licences/${lic.id}/${act}`, { reasons: reasons.trim() }));
          if (r) onChange(r);
        }}
      >
        <div className="lic-field">
          <label htmlFor={`${id}-r`}>Reasons</label>
          <textarea id={`${id}-r`} className="lic-prose" rows={2} value={reasons} onChange={(e) => setReasons(e.target.value)} />
        </div>
        <button type="submit" disabled={a.busy || reasons.trim().length < 3}>
          {label}
        </button>
        <ErrorMessage error={a.error} />
      </form>
    </details>
  );
}

export function LicencePage({ id, session }: { id: string; session: Session }) {
  const [lic, setLic] = useState<Licence | null>(null);
  const [error, setError] = useState<unknown>(null);
  const amend = useAction();
  useEffect(() => {
    api<Licence>('GET', `/api/licences/${encodeURIComponent(id)}`)
      .then(setLic)
      .catch(setError);
  }, [id]);
  if (error && !lic) return <ErrorMessage error={error} />;
  if (!lic) return <p className="muted">Loading…</p>;
  const holder = session.organisation.kind !== 'authority';
  const can = (p: string) => session.permissions.includes(p);
  const itemName = (itemId: string) => lic.items.find((i) => i.id === itemId)?.name ?? itemId;
  return (
    <section className="lic-page">
      <p className="lic-crumbs">
        <AppLink to="/licences">Licences</AppLink> ›
      </p>
      <h1>
        Licence {lic.reference} <Status value={lic.status} />
      </h1>
      <p className="muted">
        {LICENCE_TYPE_LABEL[lic.licence_type] ?? lic.licence_type} · holder {lic.holder.name} · issued by {lic.authority.name} · version {lic.version}
      </p>
      <div className="lic-cards">
        <div className="card">
          <h2 className="lic-card-title">Validity</h2>
          <p>
            {fmtDate(lic.valid_from)} – {lic.valid_to ? fmtDate(lic.valid_to) : 'no expiry'}
          </p>
          <p className="muted small">Issued {fmtTime(lic.issued_at)}</p>
        </div>
        <div className="card">
          <h2 className="lic-card-title">Destinations</h2>
          <p>{lic.destinations.map(countryLabel).join(', ') || '—'}</p>
        </div>
        <div className="card">
          <h2 className="lic-card-title">Application</h2>
          <p>{holder ? <AppLink to={`/applications/${lic.application_id}`}>the application</AppLink> : <AppLink to={`/cases/${lic.application_id}`}>the case</AppLink>}</p>
        </div>
      </div>
      <h2>Items and balance</h2>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Items and balance</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Remaining</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {lic.items.map((i) => (
              <tr key={i.id}>
                <th scope="row">
                  {i.name} <span className="muted small">{words(i.kind)}</span>
                </th>
                <td>
                  <Balance item={i} />
                </td>
                <td>{fmtMoney(i.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Conditions</h2>
      {lic.conditions.length === 0 ? (
        <p className="lic-empty">No conditions.</p>
      ) : (
        <ol className="lic-conditions">
          {lic.conditions.map((c, i) => (
            <li key={i}>
              {c.text} {c.id && <span className="muted small">(standard condition {c.id})</span>}
            </li>
          ))}
        </ol>
      )}
      <h2>Parties</h2>
      <ul className="lic-parties">
        {lic.parties.map((p) => (
          <li key={p.id}>
            <strong>{words(p.role)}</strong>: {p.name}, {countryLabel(p.country)}
          </li>
        ))}
      </ul>
      <h2>Usage</h2>
      <DataTable
        caption="Usage of the licence"
        rows={lic.usage}
        rowKey={(u) => u.id}
        empty="Nothing used yet."
        columns={[
          { key: 'at', header: 'When', value: (u) => u.at, render: (u) => fmtTime(u.at) },
          { key: 'item', header: 'Item', value: (u) => itemName(u.licence_item_id) },
          { key: 'qty', header: 'Quantity', value: (u) => u.quantity, render: (u) => fmtNumber(u.quantity) },
          { key: 'reason', header: 'Reason', value: (u) => u.reason },
          { key: 'ref', header: 'Reference', value: (u) => u.reference ?? '' },
        ]}
      />
      <h2>Versions</h2>
      <ol className="small">
        {lic.versions.map((v) => (
          <li key={v.version}>
            {v.reference} — {fmtTime(v.at)}
          </li>
        ))}
      </ol>
      {(holder || can('licences:manage')) && (
        <section aria-labelledby="lic-act-h" className="card">
          <h2 id="lic-act-h">Actions</h2>
          {holder && can('licences:use') && lic.status === 'active' && <UseForm lic={lic} onChange={setLic} />}
          {holder && can('applications:write') && lic.status === 'active' && (
            <div className="lic-step-action">
              <button
                type="button"
                disabled={amend.busy}
                onClick={async () => {
                  const r = await amend.run(() => api<ExporterApplication>('POST', `/api/licences/${lic.id}/amendments`));
                  if (r) navigate(`/applications/${r.id}`);
                }}
              >
                Amend the licence
              </button>{' '}
              <span className="muted small">Change quantities, parties, destinations or validity without starting over: a draft pre-filled from the licence.</span>
              <ErrorMessage error={amend.error} />
            </div>
          )}
          {holder && can('applications:write') && lic.status === 'active' && <LicenceAct lic={lic} act="surrender" label="Surrender the licence" onChange={setLic} />}
          {can('licences:manage') && lic.status === 'active' && <LicenceAct lic={lic} act="suspend" label="Suspend" onChange={setLic} />}
          {can('licences:manage') && lic.status === 'suspended' && <LicenceAct lic={lic} act="reinstate" label="Reinstate" onChange={setLic} />}
          {can('licences:manage') && (lic.status === 'active' || lic.status === 'suspended') && <LicenceAct lic={lic} act="revoke" label="Revoke" onChange={setLic} />}
        </section>
      )}
    </section>
  );
}
