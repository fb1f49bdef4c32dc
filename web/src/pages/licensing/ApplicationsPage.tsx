/**
 * The exporter's applications: the list (drafts and submitted, newest change
 * first), a new draft by licence type, and one application — the wizard with
 * its live checklist while it is a draft (or while a question lets the
 * exporter change it), its status, clock, questions, decisions and appeal
 * once submitted.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, type Session } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { navigate, useLocation } from '../../router';
import { ApplicationStatus } from './ApplicationStatus';
import { ApplicationWizard } from './ApplicationWizard';
import { AppLink, fmtTime, LICENCE_TYPE_LABEL, Status, useAction, useReference, words } from './shared';
import type { ApplicationSummary, ExporterApplication } from './types';

function NewApplication() {
  const id = useId();
  const { ref, error } = useReference();
  const [type, setType] = useState('individual');
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const authority = ref?.authorities.length === 1 ? ref.authorities[0]!.id : undefined;
    const r = await a.run(() => api<ExporterApplication>('POST', '/api/applications', { licence_type: type, ...(authority ? { authority_id: authority } : {}) }));
    if (r) navigate(`/applications/${r.id}`);
  };
  if (error) return <ErrorMessage error={error} />;
  if (!ref) return null;
  return (
    <form onSubmit={submit} className="card lic-new" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Start an application</h2>
      <fieldset className="lic-types">
        <legend>Licence type</legend>
        {ref.licence_types.map((t) => (
          <label key={t.id} className="lic-type">
            <input type="radio" name={`${id}-type`} value={t.id} checked={type === t.id} onChange={() => setType(t.id)} />
            <span>
              <strong>{t.name}</strong>
              <br />
              <span className="muted small">{t.description}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="lic-actions">
        <button type="submit" disabled={a.busy}>
          Start draft
        </button>
      </div>
      <ErrorMessage error={a.error} />
    </form>
  );
}

export function ApplicationsPage({ session }: { session: Session }) {
  const [apps, setApps] = useState<ApplicationSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback((after?: string) => {
    api<{ applications: ApplicationSummary[]; next_cursor: string | null }>('GET', `/api/applications?limit=100${after ? `&cursor=${encodeURIComponent(after)}` : ''}`)
      .then((r) => {
        setApps((prev) => (after ? [...(prev ?? []), ...r.applications] : r.applications));
        setCursor(r.next_cursor);
      })
      .catch(setError);
  }, []);
  useEffect(() => load(), [load]);
  const canWrite = session.permissions.includes('applications:write');
  return (
    <section>
      <h1>Applications</h1>
      {canWrite && <NewApplication />}
      <h2>Your applications</h2>
      <ErrorMessage error={error} />
      <DataTable
        caption="Applications"
        rows={apps ?? []}
        rowKey={(r) => r.id}
        empty={apps === null ? 'Loading…' : canWrite ? 'No applications yet: start one above.' : 'No applications yet.'}
        columns={[
          {
            key: 'ref',
            header: 'Reference',
            value: (r) => r.reference ?? '',
            render: (r) => <AppLink to={`/applications/${r.id}`}>{r.reference ?? 'Draft'}</AppLink>,
          },
          { key: 'title', header: 'Title', value: (r) => r.title ?? '', render: (r) => r.title ?? <span className="muted">untitled</span> },
          { key: 'type', header: 'Licence type', value: (r) => LICENCE_TYPE_LABEL[r.licence_type] ?? r.licence_type },
          { key: 'kind', header: 'Kind', value: (r) => words(r.kind) },
          { key: 'status', header: 'Status', value: (r) => r.status, render: (r) => <Status value={r.status} /> },
          { key: 'submitted', header: 'Submitted', value: (r) => r.submitted_at ?? '', render: (r) => fmtTime(r.submitted_at) },
          { key: 'updated', header: 'Last change', value: (r) => r.updated_at, render: (r) => fmtTime(r.updated_at) },
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

/** One application: the wizard while it is a draft (or being changed), its status once submitted. */
export function ApplicationPage({ id }: { id: string }) {
  const { ref, error: refError } = useReference();
  const { path, query } = useLocation();
  const [app, setApp] = useState<ExporterApplication | null>(null);
  const [error, setError] = useState<unknown>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const reload = useCallback(async () => {
    try {
      setApp(await api<ExporterApplication>('GET', `/api/applications/${encodeURIComponent(id)}`));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => {
    setApp(null);
    void reload();
  }, [reload]);
  const status = app?.status;
  const previous = useRef<string | undefined>(undefined);
  useEffect(() => {
    // A status change (submitted, answered, decided) is news: move the focus to the title, which says it.
    if (previous.current && status && previous.current !== status) heading.current?.focus();
    previous.current = status;
  }, [status]);
  if (refError) return <ErrorMessage error={refError} />;
  if (error && !app) return <ErrorMessage error={error} />;
  if (!app || !ref) return <p className="muted">Loading…</p>;
  const editing = app.status === 'draft' || (app.editable && query.get('edit') === '1');
  const type = ref.licence_types.find((t) => t.id === app.licence_type);
  return (
    <section className="lic-page">
      <p className="lic-crumbs">
        <AppLink to="/applications">Applications</AppLink> ›
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {app.reference ?? 'Draft application'} <Status value={app.status} />
      </h1>
      <p className="muted">
        {app.content.title ? <strong>{app.content.title}</strong> : 'untitled'} · {type?.name ?? app.licence_type}
        {app.kind !== 'new' ? ` · ${words(app.kind)}` : ''} · {app.authority ? `to ${app.authority.name}` : 'no authority chosen'}
        {app.submitted_at ? ` · submitted ${fmtTime(app.submitted_at)}` : ''}
      </p>
      <ErrorMessage error={error} />
      {editing ? (
        <>
          {app.status !== 'draft' && (
            <p className="cls-callout warn">
              You are changing an application under review while a question is open. The authority re-runs its checks when you answer.{' '}
              <button type="button" className="link" onClick={() => navigate(path)}>
                Back to the status
              </button>
            </p>
          )}
          <ApplicationWizard app={app} ref_={ref} onChange={setApp} reload={reload} />
        </>
      ) : (
        <ApplicationStatus app={app} ref_={ref} onChange={setApp} onEdit={() => navigate(`${path}?edit=1`)} />
      )}
    </section>
  );
}
