/**
 * The officer's queues: each queue with its open and overdue cases, then the
 * cases of the chosen queue (or the caller's own, or every overdue case) in a
 * table — reference, exporter, destination, risk band, days left against the
 * target (overdue highlighted), and why the case landed in this queue.
 *
 * The queue listing (GET /api/cases) is the lean, indexed keyset page; the
 * exporter's name, the destinations, the live clock and the routing
 * explanation come from each listed case's view, fetched a few at a time
 * (the queue page stays fast at 100,000 cases; the table fills in).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Session } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { navigate, useLocation } from '../../router';
import { AppLink, countryLabel, fmtDate, Status, words } from './shared';
import type { CaseSummary, CaseView, QueueCount } from './types';

export type Row = CaseSummary & { view?: CaseView | null };

/**
 * Fetch the case view of each listed case, `parallel` at a time; null marks
 * one that failed. A new `generation` (the list was loaded again) forgets
 * the views fetched before: cases move on.
 */
export function useCaseViews(ids: string[], generation = 0, parallel = 6): Record<string, CaseView | null> {
  const [views, setViews] = useState<Record<string, CaseView | null>>({});
  const asked = useRef(new Set<string>());
  const seen = useRef(generation);
  useEffect(() => {
    if (seen.current !== generation) {
      seen.current = generation;
      asked.current.clear();
      setViews({});
    }
    const todo = ids.filter((id) => !asked.current.has(id));
    todo.forEach((id) => asked.current.add(id));
    let live = true;
    let next = 0;
    const worker = async () => {
      while (live && next < todo.length) {
        const id = todo[next++]!;
        const v = await api<CaseView>('GET', `/api/cases/${encodeURIComponent(id)}`).catch(() => null);
        if (live) setViews((m) => ({ ...m, [id]: v }));
      }
    };
    for (let i = 0; i < Math.min(parallel, todo.length); i++) void worker();
    return () => {
      live = false;
      // what was not fetched yet is asked again by the next run
      for (const id of todo.slice(next)) asked.current.delete(id);
    };
  }, [ids.join(','), generation, parallel]);
  return views;
}

/** Days left as words and a badge: overdue cases stand out (the row is highlighted too). */
export function DaysLeft({ view, overdue }: { view: CaseView | null | undefined; overdue: boolean }) {
  if (view === undefined) return <span className="muted">…</span>;
  const clock = view?.clock;
  if (!clock) return overdue ? <span className="lic-overdue">Overdue</span> : <span className="muted">—</span>;
  if (clock.state === 'stopped') return <span className="muted">stopped ({clock.days_used} used)</span>;
  const paused = clock.state === 'paused' ? ' · paused' : '';
  if (clock.overdue || clock.days_left < 0)
    return (
      <span className="lic-overdue">
        Overdue by {-clock.days_left} day{clock.days_left === -1 ? '' : 's'}
        {paused}
      </span>
    );
  return (
    <span>
      <strong>{clock.days_left}</strong> of {clock.target.days} left{paused}
    </span>
  );
}

function Queues({ queues, current, onPick, mine, overdue }: { queues: QueueCount[]; current: string; onPick: (q: string) => void; mine: boolean; overdue: number }) {
  const link = (key: string, label: string, extra: string, isCurrent: boolean) => (
    <li key={key}>
      <AppLink to={`/cases?queue=${encodeURIComponent(key)}`} current={isCurrent} onNavigate={() => onPick(key)}>
        <span className="lic-queue-name">{label}</span> <span className="lic-queue-count">{extra}</span>
      </AppLink>
    </li>
  );
  return (
    <nav className="lic-queues" aria-label="Queues">
      <ul>
        {queues.map((q) => link(q.id, q.name, `${q.open} open${q.overdue ? ` · ${q.overdue} overdue` : ''}`, current === q.id))}
        {mine && link('@mine', 'Assigned to me', '', current === '@mine')}
        {link('@overdue', 'All overdue', overdue ? `${overdue}` : '', current === '@overdue')}
        {link('@all', 'All cases', '', current === '@all')}
      </ul>
    </nav>
  );
}

export function CasesPage({ session }: { session: Session }) {
  const { query } = useLocation();
  const search = query.toString();
  const [queues, setQueues] = useState<QueueCount[] | null>(null);
  const [rows, setRows] = useState<CaseSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Every visit of a queue (even the one shown) loads it again: cases move between queues all the time.
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    api<{ queues: QueueCount[] }>('GET', '/api/queues')
      .then((r) => setQueues(r.queues))
      .catch(setError);
  }, [generation, search]);
  const firstOpen = queues?.find((q) => q.open > 0)?.id ?? 'registration';
  const current = query.get('queue') ?? (queues ? firstOpen : null);
  const listUrl = useCallback(
    (after?: string) => {
      const q = new URLSearchParams({ limit: '50' });
      if (current === '@mine' && session.user) q.set('officer', session.user.id);
      else if (current === '@overdue') {
        q.set('overdue', 'true');
        q.set('sort', 'due');
      } else if (current && current !== '@all') q.set('queue', current);
      if (after) q.set('cursor', after);
      return `/api/cases?${q.toString()}`;
    },
    [current, session.user],
  );
  const load = useCallback(
    (after?: string) => {
      api<{ cases: CaseSummary[]; next_cursor: string | null }>('GET', listUrl(after))
        .then((r) => {
          setRows((prev) => (after ? [...(prev ?? []), ...r.cases] : r.cases));
          setCursor(r.next_cursor);
        })
        .catch(setError);
    },
    [listUrl],
  );
  useEffect(() => {
    if (current === null) return;
    setRows(null);
    load();
  }, [current, load, generation, search]);
  const views = useCaseViews((rows ?? []).map((r) => r.id), generation);
  const queueName = (id: string | null) => (id === null ? 'none' : (queues?.find((q) => q.id === id)?.name ?? id));
  const title = current === '@mine' ? 'Assigned to me' : current === '@overdue' ? 'All overdue cases' : current === '@all' ? 'All cases' : queueName(current);
  const data: Row[] = (rows ?? []).map((r) => ({ ...r, view: views[r.id] }));
  const totalOverdue = (queues ?? []).reduce((n, q) => n + q.overdue, 0);
  return (
    <section>
      <h1>Cases</h1>
      <ErrorMessage error={error} />
      {queues && <Queues queues={queues} current={current ?? ''} onPick={(q) => {
            navigate(`/cases?queue=${encodeURIComponent(q)}`);
            setGeneration((g) => g + 1);
          }} mine={session.user !== null} overdue={totalOverdue} />}
      <h2>{title}</h2>
      <DataTable
        caption={`Cases: ${title}`}
        rows={data}
        rowKey={(r) => r.id}
        empty={rows === null ? 'Loading…' : 'No cases here. New applications arrive in Registration and initial checks.'}
        columns={[
          {
            key: 'ref',
            header: 'Reference',
            value: (r) => r.reference ?? r.id,
            render: (r) => (
              <>
                {(r.overdue || r.view?.clock?.overdue) && <span className="lic-overdue-row visually-hidden">overdue</span>}
                <AppLink to={`/cases/${r.id}`}>{r.reference ?? r.id}</AppLink>
                <br />
                <span className="muted small">
                  {words(r.licence_type)}
                  {r.kind !== 'new' ? ` (${words(r.kind)})` : ''}
                </span>
              </>
            ),
          },
          { key: 'exporter', header: 'Exporter', value: (r) => r.view?.organisation.name ?? '', render: (r) => r.view?.organisation.name ?? <span className="muted">…</span> },
          { key: 'dest', header: 'Destination', value: (r) => (r.view?.content.destinations ?? []).join(','), render: (r) => (r.view ? (r.view.content.destinations ?? []).map(countryLabel).join(', ') || '—' : <span className="muted">…</span>) },
          { key: 'state', header: 'State', value: (r) => r.state, render: (r) => <Status value={r.state} /> },
          { key: 'risk', header: 'Risk', value: (r) => r.risk_score, render: (r) => (r.risk_band ? <Status value={r.risk_band} label={`${r.risk_band} (${r.risk_score})`} /> : '—') },
          { key: 'left', header: 'Days left', value: (r) => r.view?.clock?.days_left ?? (r.overdue ? -1 : null), render: (r) => <DaysLeft view={r.view} overdue={r.overdue} /> },
          { key: 'due', header: 'Due', value: (r) => r.sla_due_at ?? '', render: (r) => fmtDate(r.sla_due_at) },
          { key: 'why', header: 'Why here', value: (r) => r.view?.routing.current?.summary ?? '', render: (r) => <span className="small lic-why">{r.view?.routing.current?.summary ?? (r.view === undefined ? '…' : '—')}</span> },
          { key: 'officer', header: 'Officer', value: (r) => (r.case_officer_id ? (r.view?.people[r.case_officer_id] ?? r.case_officer_id) : ''), render: (r) => (r.case_officer_id ? (r.view?.people[r.case_officer_id] ?? '…') : <span className="muted">none</span>) },
        ]}
      />
      {cursor && (
        <p>
          <button type="button" className="secondary" onClick={() => load(cursor)}>
            Load more cases
          </button>
        </p>
      )}
    </section>
  );
}
