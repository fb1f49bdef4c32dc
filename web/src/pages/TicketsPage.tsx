/**
 * Print tickets in the UI: a table of the tickets the session may see (state,
 * prints used of prints allowed, devices, flags), one ticket with its usage
 * records and anomaly flags, its bundle for download and its log receipt
 * verified in the browser.
 */
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api';
import { DataTable } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { ReceiptBadge } from '../components/ReceiptBadge';
import { AppLink } from '../components/AppLink';

export interface Ticket {
  jti: string;
  state: 'active' | 'not_yet_valid' | 'expired' | 'exhausted' | 'revoked';
  licence: { id: string; reference: string };
  design: { id: string; name: string };
  release_id: string;
  manifest_sha256: string;
  devices: Array<{ id: string; content_key_sha256: string; signing_key_sha256: string }>;
  prints: number;
  prints_used: number;
  not_before: string;
  not_after: string;
  envelope: Record<string, unknown>;
  kid: string;
  issued_at: string;
  issued_by: string;
  revoked: { at: string; reason: string } | null;
  flags: number;
}

export interface TicketBundle {
  format: 'fabgate.ticket-bundle.v1';
  ticket: string;
  log?: { receipt: string; salt: string };
}

interface UsageRecord {
  id: string;
  device_id: string;
  seq: number;
  counter: number;
  started_at: string;
  ended_at: string;
  outcome: string;
  violations: Array<{ line: number; rule: string; value: unknown; limit: unknown }>;
  received_at: string;
}

interface Flag {
  seq: number;
  kind: string;
  ticket: string;
  device_id: string;
  detail: unknown;
  at: string;
}

export const fmtTime = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
export const short = (hex: string, n = 12) => `${hex.slice(0, n)}…`;

export function TicketState({ state }: { state: Ticket['state'] }) {
  const tone = state === 'active' ? 'ok' : state === 'revoked' ? 'failed' : 'pending';
  return <span className={`badge-status ${tone}`}>{state.replace(/_/g, ' ')}</span>;
}

/** The log's verifier key, fetched once per page. */
export function useLogKey(): string {
  const [key, setKey] = useState('');
  useEffect(() => {
    fetch('/log/key')
      .then((r) => (r.ok ? r.text() : ''))
      .then((k) => setKey(k.trim()))
      .catch(() => setKey(''));
  }, []);
  return key;
}

/** A download link for a ticket bundle (what a print host receives with the design). */
export function BundleLink({ bundle, jti }: { bundle: TicketBundle; jti: string }) {
  const href = `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify(bundle, null, 2) + '\n')}`;
  return (
    <a className="tk-download" href={href} download={`${jti}.ticket.json`}>
      Download ticket bundle
    </a>
  );
}

function TicketLink({ jti }: { jti: string }) {
  const to = `/tickets/${encodeURIComponent(jti)}`;
  return (
    <AppLink to={to}>
      <code>{jti}</code>
    </AppLink>
  );
}

/** The tickets the session may see, optionally of one design or licence. */
export function TicketsTable({ designId, licenceId, refresh = 0, canRevoke = false }: { designId?: string; licenceId?: string; refresh?: number; canRevoke?: boolean }) {
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const load = useCallback(() => {
    const q = new URLSearchParams();
    if (designId) q.set('design_id', designId);
    if (licenceId) q.set('licence_id', licenceId);
    api<{ tickets: Ticket[] }>('GET', `/api/tickets${q.toString() ? `?${q.toString()}` : ''}`)
      .then((r) => setTickets(r.tickets))
      .catch(setError);
  }, [designId, licenceId]);
  useEffect(load, [load, refresh]);
  const revoke = async (jti: string) => {
    setError(null);
    try {
      await api('POST', `/api/tickets/${encodeURIComponent(jti)}/revoke`, { reason });
      setRevoking(null);
      setReason('');
      load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <ErrorMessage error={error} />
      <DataTable
        caption="Print tickets"
        rows={tickets ?? []}
        rowKey={(t) => t.jti}
        empty={tickets === null ? 'Loading…' : 'No tickets yet.'}
        columns={[
          { key: 'jti', header: 'Ticket', value: (t) => t.jti, render: (t) => <TicketLink jti={t.jti} /> },
          { key: 'state', header: 'State', value: (t) => t.state, render: (t) => <TicketState state={t.state} /> },
          { key: 'prints', header: 'Prints used', value: (t) => t.prints_used, render: (t) => `${t.prints_used} of ${t.prints}` },
          { key: 'design', header: 'Design', value: (t) => t.design.name },
          { key: 'licence', header: 'Licence', value: (t) => t.licence.reference },
          { key: 'devices', header: 'Devices', value: (t) => t.devices.length, render: (t) => t.devices.map((d) => <code key={d.id} className="tk-id">{d.id}</code>) },
          { key: 'until', header: 'Valid until', value: (t) => t.not_after, render: (t) => fmtTime(t.not_after) },
          { key: 'flags', header: 'Flags', value: (t) => t.flags, render: (t) => (t.flags ? <span className="badge-status failed">{t.flags}</span> : '—') },
          ...(canRevoke
            ? [
                {
                  key: 'act',
                  header: '',
                  value: () => null,
                  render: (t: Ticket) =>
                    t.state === 'revoked' || t.state === 'expired' ? null : revoking === t.jti ? (
                      <span className="tk-inline">
                        <input aria-label={`Reason to revoke ${t.jti}`} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Reason" />
                        <button type="button" disabled={reason.trim().length < 3} onClick={() => void revoke(t.jti)}>Revoke</button>
                        <button type="button" className="secondary" onClick={() => setRevoking(null)}>Cancel</button>
                      </span>
                    ) : (
                      <button type="button" className="secondary" onClick={() => setRevoking(t.jti)}>Revoke…</button>
                    ),
                },
              ]
            : []),
        ]}
      />
    </>
  );
}

/** One ticket: its claims, usage records, flags, bundle and receipt. */
export function TicketPage({ id }: { id: string }) {
  const [data, setData] = useState<{ ticket: Ticket; usage: UsageRecord[]; flags: Flag[] } | null>(null);
  const [bundle, setBundle] = useState<TicketBundle | null>(null);
  const [error, setError] = useState<unknown>(null);
  const logKey = useLogKey();
  useEffect(() => {
    api<{ ticket: Ticket; usage: UsageRecord[]; flags: Flag[] }>('GET', `/api/tickets/${encodeURIComponent(id)}`)
      .then(setData)
      .catch(setError);
    api<TicketBundle>('GET', `/api/tickets/${encodeURIComponent(id)}/bundle`)
      .then(setBundle)
      .catch(() => setBundle(null));
  }, [id]);
  if (error) return <ErrorMessage error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  const t = data.ticket;
  return (
    <section>
      <h1>
        Ticket <code>{t.jti}</code> <TicketState state={t.state} />
      </h1>
      <div className="tk-cards">
        <div className="card">
          <h2>Authorisation</h2>
          <dl className="tk-meta">
            <dt>Licence</dt>
            <dd>{t.licence.reference}</dd>
            <dt>Design</dt>
            <dd>{t.design.name}</dd>
            <dt>Design hash</dt>
            <dd><code className="wrap">{t.manifest_sha256}</code></dd>
            <dt>Prints</dt>
            <dd>{t.prints_used} used of {t.prints}</dd>
            <dt>Valid</dt>
            <dd>{fmtTime(t.not_before)} – {fmtTime(t.not_after)}</dd>
            <dt>Issued</dt>
            <dd>{fmtTime(t.issued_at)}</dd>
            {t.revoked && (
              <>
                <dt>Revoked</dt>
                <dd>{fmtTime(t.revoked.at)}: {t.revoked.reason}</dd>
              </>
            )}
          </dl>
        </div>
        <div className="card">
          <h2>Bundle and log receipt</h2>
          {bundle ? (
            <>
              <p><BundleLink bundle={bundle} jti={t.jti} /></p>
              {bundle.log && logKey ? <ReceiptBadge receipt={bundle.log.receipt} verifierKey={logKey} /> : <p className="muted">No log receipt yet.</p>}
            </>
          ) : (
            <p className="muted">Loading…</p>
          )}
        </div>
      </div>
      <h2>Devices</h2>
      <ul>
        {t.devices.map((d) => (
          <li key={d.id}>
            <code>{d.id}</code> <span className="muted">content key {short(d.content_key_sha256)}</span>
          </li>
        ))}
      </ul>
      <h2>Envelope</h2>
      <pre className="tk-json">{JSON.stringify(t.envelope, null, 2)}</pre>
      <h2>Usage records</h2>
      <DataTable
        caption="Usage records"
        rows={data.usage}
        rowKey={(u) => u.id}
        empty="No prints reported yet."
        columns={[
          { key: 'seq', header: 'Seq', value: (u) => u.seq },
          { key: 'device', header: 'Device', value: (u) => u.device_id, render: (u) => <code>{u.device_id}</code> },
          { key: 'counter', header: 'Print', value: (u) => u.counter },
          { key: 'outcome', header: 'Outcome', value: (u) => u.outcome },
          { key: 'started', header: 'Started', value: (u) => u.started_at, render: (u) => fmtTime(u.started_at) },
          { key: 'violations', header: 'Violations', value: (u) => u.violations.length, render: (u) => u.violations.map((v) => `${v.rule} (line ${v.line})`).join(', ') || '—' },
        ]}
      />
      <h2>Anomaly flags</h2>
      <DataTable
        caption="Anomaly flags"
        rows={data.flags}
        rowKey={(f) => String(f.seq)}
        empty="None."
        columns={[
          { key: 'kind', header: 'Flag', value: (f) => f.kind, render: (f) => <span className="badge-status failed">{f.kind.replace(/_/g, ' ')}</span> },
          { key: 'device', header: 'Device', value: (f) => f.device_id, render: (f) => <code>{f.device_id}</code> },
          { key: 'detail', header: 'Detail', value: (f) => JSON.stringify(f.detail), render: (f) => <code className="wrap">{JSON.stringify(f.detail)}</code> },
          { key: 'at', header: 'Received', value: (f) => f.at, render: (f) => fmtTime(f.at) },
        ]}
      />
    </section>
  );
}
