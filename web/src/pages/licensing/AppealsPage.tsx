/**
 * Appeals for the authority: every case under appeal, who decided it and so
 * who may not decide the appeal, when it was filed and its own clock. An
 * appeal is decided by another officer than the one who decided the case
 * (the server refuses the same person with LICENSING_SAME_DECIDER); the
 * table says which appeals the caller may take.
 */
import { useEffect, useState } from 'react';
import { api, type Session } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useCaseViews } from './CasesPage';
import { AppLink, fmtTime, Status } from './shared';
import type { CaseSummary } from './types';

export function AppealsPage({ session }: { session: Session }) {
  const [rows, setRows] = useState<CaseSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ cases: CaseSummary[] }>('GET', '/api/cases?queue=appeals&limit=200')
      .then((r) => setRows(r.cases))
      .catch(setError);
  }, []);
  const views = useCaseViews((rows ?? []).map((r) => r.id));
  const me = session.user?.id ?? null;
  const deciderOf = (id: string) => views[id]?.decisions.filter((d) => !d.kind.startsWith('appeal_')).at(-1)?.decided_by ?? null;
  return (
    <section>
      <h1>Appeals</h1>
      <p className="muted">An appeal is reviewed by another officer than the one who decided the case, on its own clock.</p>
      <ErrorMessage error={error} />
      <DataTable
        caption="Appeals under review"
        rows={rows ?? []}
        rowKey={(r) => r.id}
        empty={rows === null ? 'Loading…' : 'No appeal is waiting.'}
        columns={[
          { key: 'ref', header: 'Reference', value: (r) => r.reference ?? r.id, render: (r) => <AppLink to={`/cases/${r.id}`}>{r.reference ?? r.id}</AppLink> },
          { key: 'exporter', header: 'Exporter', value: (r) => views[r.id]?.organisation.name ?? '', render: (r) => views[r.id]?.organisation.name ?? <span className="muted">…</span> },
          { key: 'decision', header: 'Decision appealed', value: (r) => views[r.id]?.decisions.at(-1)?.kind ?? '', render: (r) => (views[r.id] ? <Status value={views[r.id]!.decisions.at(-1)?.kind === 'approved' ? 'approved' : 'refused'} label={views[r.id]!.decisions.at(-1)?.kind ?? '—'} /> : '…') },
          { key: 'decider', header: 'Decided by', value: (r) => deciderOf(r.id) ?? '', render: (r) => { const d = deciderOf(r.id); return d ? (views[r.id]?.people[d] ?? d) : '…'; } },
          { key: 'filed', header: 'Filed', value: (r) => views[r.id]?.appeal?.filed_at ?? '', render: (r) => fmtTime(views[r.id]?.appeal?.filed_at) },
          { key: 'clock', header: 'Appeal clock', value: (r) => views[r.id]?.appeal_clock?.days_left ?? null, render: (r) => { const c = views[r.id]?.appeal_clock; return c ? `${c.days_used} of ${c.target.days} days used` : '…'; } },
          {
            key: 'who',
            header: 'You',
            value: (r) => (deciderOf(r.id) === me ? 'no' : 'yes'),
            render: (r) => (views[r.id] === undefined ? '…' : deciderOf(r.id) === me ? <span className="lic-badge warn">you decided it: another officer decides</span> : <span className="lic-badge ok">you may decide</span>),
          },
        ]}
      />
    </section>
  );
}
