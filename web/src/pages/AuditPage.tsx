import { useEffect, useState } from 'react';
import { api } from '../api';
import { DataTable } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';

interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  body_sha256: string | null;
}

/** The audit trail of the organisation, newest first, loaded page by page from the API. */
export function AuditPage() {
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  async function load(before?: number) {
    setLoading(true);
    try {
      const page = await api<{ events: AuditEvent[]; next_before: number | null }>('GET', `/api/audit?limit=200${before ? `&before=${before}` : ''}`);
      setEvents((prev) => (before ? [...prev, ...page.events] : page.events));
      setNext(page.next_before);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => {
    void load();
  }, []);

  return (
    <section>
      <h1>Audit trail</h1>
      <p className="muted">Every state-changing request of your organisation: who, what, when, and a hash of the request body. Read-only.</p>
      <ErrorMessage error={error} />
      <DataTable
        caption="Audit events"
        rows={events}
        rowKey={(e) => e.id}
        empty={loading ? 'Loading…' : 'No events recorded yet.'}
        columns={[
          { key: 'seq', header: '#', value: (e) => e.seq },
          { key: 'at', header: 'Time (UTC)', value: (e) => e.at, render: (e) => e.at.replace('T', ' ').replace('Z', '') },
          { key: 'action', header: 'Action', value: (e) => e.action, render: (e) => <code>{e.action}</code> },
          { key: 'actor', header: 'Actor', value: (e) => `${e.actor_type}:${e.actor_id ?? ''}` },
          { key: 'target', header: 'Target', value: (e) => (e.target_type ? `${e.target_type} ${e.target_id ?? ''}` : '') },
          { key: 'body', header: 'Body SHA-256', value: (e) => e.body_sha256, render: (e) => (e.body_sha256 ? <code title={e.body_sha256}>{e.body_sha256.slice(0, 12)}…</code> : '—') },
        ]}
      />
      {next !== null && (
        <button type="button" onClick={() => void load(next)} disabled={loading}>Load older events</button>
      )}
    </section>
  );
}
