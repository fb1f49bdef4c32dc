/**
 * The lists screened against: the active version of each (source date, counts,
 * content hash, its entry in the transparency log), every loaded version, the
 * difference between two versions of one list, and — for list administrators
 * only — loading a new version and going back to an earlier one.
 */
import { useCallback, useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { api, type Session } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { fmtTime, Status, useAction, words } from '../licensing/shared';
import { can, listName, ListLabel } from './shared';
import type { EntitySummary, Job, ListDiff, ListVersion } from './types';

const FORMATS = ['auto', 'ofac-xml', 'ofac-csv', 'csl', 'un', 'eu', 'uk', 'ftm', 'bis-dpl', 'dod-1260h'];
const short = (hash: string) => `${hash.slice(0, 12)}…`;
const n = (x: number) => x.toLocaleString('en-GB');
const versionLabel = (v: ListVersion) => `${v.active ? 'active: ' : ''}${v.source_date ? `of ${v.source_date}, ` : ''}loaded ${fmtTime(v.loaded_at)} · ${n(v.entities)} entities · ${v.content_hash.slice(0, 8)}`;

function Hash({ value }: { value: string }) {
  return (
    <code className="wrap" title={value}>
      {value}
    </code>
  );
}

function ActiveList({ v }: { v: ListVersion }) {
  const types = Object.entries(v.counts.by_type).filter(([, c]) => c > 0);
  return (
    <article className="card scr-list" aria-label={listName(v.list)}>
      <h3>{listName(v.list)}</h3>
      <p className="muted small">
        <code>{v.list}</code> · {v.format}
      </p>
      <dl className="lic-meta">
        <dt>Source date</dt>
        <dd>{v.source_date ?? <span className="muted">not stated in the file</span>}</dd>
        <dt>Entities</dt>
        <dd>
          {n(v.entities)} <span className="muted small">({types.map(([t, c]) => (t === 'unknown' ? `${n(c)} of unstated type` : `${n(c)} ${words(t)}${c === 1 ? '' : 's'}`)).join(', ')})</span>
        </dd>
        <dt>Names</dt>
        <dd>
          {n(v.counts.names)} <span className="muted small">({n(v.counts.aliases)} aliases)</span>
        </dd>
        <dt>Content hash</dt>
        <dd><Hash value={v.content_hash} /></dd>
        <dt>Active since</dt>
        <dd>{fmtTime(v.activated_at)}</dd>
        <dt>Log</dt>
        <dd>{v.log ? (v.log.leaf_index != null ? `entry ${v.log.leaf_index}` : 'pending integration') : '—'}</dd>
      </dl>
      <details>
        <summary>Files ({v.files.length})</summary>
        <ul className="scr-plain small">
          {v.files.map((f) => (
            <li key={f.name}>
              {f.name} {f.role && <span className="muted">({f.role})</span>}: {n(f.records)} records, <code title={f.sha256}>{short(f.sha256)}</code>
            </li>
          ))}
        </ul>
      </details>
    </article>
  );
}

export function ListsView({ session }: { session: Session }) {
  const [versions, setVersions] = useState<ListVersion[] | null>(null);
  const [generation, setGeneration] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const manage = can(session, 'lists:manage');
  const activate = useAction();

  const reload = useCallback(() => {
    Promise.all([api<{ versions: ListVersion[] }>('GET', '/api/lists/versions'), api<{ generation: number }>('GET', '/api/lists')])
      .then(([v, l]) => {
        setVersions(v.versions);
        setGeneration(l.generation);
      })
      .catch(setError);
  }, []);
  useEffect(reload, [reload]);

  const active = (versions ?? []).filter((v) => v.active);
  return (
    <>
      <h2>Active lists</h2>
      <p className="muted">Every screening runs against these versions{generation !== null ? ` (generation ${generation})` : ''}. Each activation is recorded in the transparency log.</p>
      <ErrorMessage error={error} />
      {versions === null ? (
        <p className="muted">Loading…</p>
      ) : active.length === 0 ? (
        <p className="cls-callout warn">No list is loaded: screening finds nothing until one is.</p>
      ) : (
        <div className="lic-cards">
          {active.map((v) => (
            <ActiveList key={v.id} v={v} />
          ))}
        </div>
      )}
      {manage && (
        <UploadList
          onLoaded={(msg) => {
            setNotice(msg);
            reload();
          }}
        />
      )}
      {notice && (
        <p role="status" className="cls-callout ok">
          {notice}
        </p>
      )}
      <h2>All versions</h2>
      <ErrorMessage error={activate.error} />
      {versions && (
        <DataTable
          caption="List versions"
          rows={versions}
          rowKey={(v) => v.id}
          columns={[
            { key: 'list', header: 'List', value: (v) => v.list, render: (v) => <ListLabel list={v.list} /> },
            { key: 'loaded', header: 'Loaded', value: (v) => v.loaded_at, render: (v) => fmtTime(v.loaded_at) },
            { key: 'source', header: 'Source date', value: (v) => v.source_date ?? '' , render: (v) => v.source_date ?? '—' },
            { key: 'entities', header: 'Entities', value: (v) => v.entities, render: (v) => n(v.entities) },
            { key: 'hash', header: 'Content hash', value: (v) => v.content_hash, render: (v) => <code title={v.content_hash}>{short(v.content_hash)}</code> },
            {
              key: 'state',
              header: 'State',
              value: (v) => (v.active ? 'active' : 'inactive'),
              render: (v) =>
                v.active ? (
                  <Status value="active" />
                ) : manage ? (
                  <button
                    type="button"
                    className="secondary"
                    disabled={activate.busy}
                    aria-label={`Activate ${listName(v.list)} of ${fmtTime(v.loaded_at)}`}
                    onClick={() =>
                      void activate.run(() => api<{ rescreen_job: string | null }>('POST', `/api/lists/versions/${encodeURIComponent(v.id)}/activate`)).then((r) => {
                        if (r) {
                          setNotice(`${listName(v.list)} of ${fmtTime(v.loaded_at)} is active again; stored parties are being re-screened.`);
                          reload();
                        }
                      })
                    }
                  >
                    Activate
                  </button>
                ) : (
                  <Status value="expired" label="inactive" />
                ),
            },
          ]}
        />
      )}
      {versions && <DiffPanel versions={versions} />}
      {manage && <Rescreens />}
    </>
  );
}

function UploadList({ onLoaded }: { onLoaded: (msg: string) => void }) {
  const [files, setFiles] = useState<File[]>([]);
  const [format, setFormat] = useState('auto');
  const { busy, error, run } = useAction();
  const id = useId();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    form.set('format', format);
    const r = await run(() => api<{ loads: Array<{ version: ListVersion; created: boolean; activated: boolean }> }>('POST', '/api/lists/versions', form));
    if (r) {
      onLoaded(
        r.loads
          .map((l) => `${listName(l.version.list)}: ${l.created ? `loaded ${n(l.version.entities)} entities` : 'this exact file was loaded before'}${l.activated ? ', now active' : ''}.`)
          .join(' '),
      );
    }
  }
  return (
    <details className="lic-section">
      <summary>Load a new list version</summary>
      <form className="scr-form" aria-label="Load a list version" onSubmit={(e) => void submit(e)}>
        <p className="muted scr-wide">
          One file per list, or OFAC's CSV parts (primary, alt, add, comments) together. The new version becomes active once completely loaded and every stored party is re-screened.
        </p>
        <div className="lic-field">
          <label htmlFor={`${id}-files`}>List files</label>
          <input id={`${id}-files`} type="file" multiple required onChange={(e) => setFiles(Array.from(e.target.files ?? []))} />
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-format`}>Format</label>
          <select id={`${id}-format`} value={format} onChange={(e) => setFormat(e.target.value)}>
            {FORMATS.map((f) => (
              <option key={f} value={f}>
                {f === 'auto' ? 'detect from the content' : f}
              </option>
            ))}
          </select>
        </div>
        <div className="scr-form-actions">
          <button type="submit" disabled={busy || files.length === 0}>{busy ? 'Loading…' : 'Load'}</button>
        </div>
        <ErrorMessage error={error} />
      </form>
    </details>
  );
}

function EntityList({ rows, caption }: { rows: EntitySummary[]; caption: string }) {
  return (
    <DataTable
      caption={caption}
      rows={rows}
      rowKey={(e) => e.entity_id}
      pageSize={10}
      empty="None."
      columns={[
        { key: 'id', header: 'Entity', value: (e) => e.entity_id, render: (e) => <code>{e.entity_id}</code> },
        { key: 'name', header: 'Name', value: (e) => e.name },
        { key: 'type', header: 'Type', value: (e) => e.type },
        { key: 'programmes', header: 'Programmes', value: (e) => e.programmes.join(', ') },
      ]}
    />
  );
}

/** One value of a changed field in words: addresses, aliases and identifiers as the list writes them. */
function show(v: unknown): string {
  if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) return '—';
  if (Array.isArray(v)) return v.map(show).join('; ');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.text === 'string') return o.country && !o.text.includes(String(o.country)) ? `${o.text} (${String(o.country)})` : o.text;
    if (typeof o.name === 'string') return o.quality === 'weak' ? `${o.name} (weak)` : o.name;
    if (typeof o.type === 'string' && typeof o.value === 'string') return `${o.type}: ${o.value}`;
    return JSON.stringify(v);
  }
  return String(v);
}

function VersionSelect({ id, label, versions, value, onChange }: { id: string; label: string; versions: ListVersion[]; value: string; onChange: (id: string) => void }) {
  return (
    <div className="lic-field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {versions.map((v) => (
          <option key={v.id} value={v.id}>{versionLabel(v)}</option>
        ))}
      </select>
    </div>
  );
}

function DiffPanel({ versions }: { versions: ListVersion[] }) {
  const lists = useMemo(() => [...new Set(versions.map((v) => v.list))], [versions]);
  const [list, setList] = useState(lists[0] ?? '');
  const of = versions.filter((v) => v.list === list);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [diff, setDiff] = useState<ListDiff | null>(null);
  const { busy, error, run } = useAction();
  const id = useId();
  // versions are newest first: compare the one before with the newest by default
  useEffect(() => {
    const vs = versions.filter((v) => v.list === list);
    setTo(vs[0]?.id ?? '');
    setFrom(vs[1]?.id ?? '');
    setDiff(null);
  }, [list, versions]);

  async function compare(e: FormEvent) {
    e.preventDefault();
    const d = await run(() => api<ListDiff>('GET', `/api/lists/versions/${encodeURIComponent(from)}/diff/${encodeURIComponent(to)}`));
    if (d) setDiff(d);
  }
  return (
    <section aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Compare two versions</h2>
      <form className="scr-form scr-compare card" aria-label="Compare two versions" onSubmit={(e) => void compare(e)}>
        <div className="lic-field">
          <label htmlFor={`${id}-list`}>List</label>
          <select id={`${id}-list`} value={list} onChange={(e) => setList(e.target.value)}>
            {lists.map((l) => (
              <option key={l} value={l}>
                {listName(l)}
              </option>
            ))}
          </select>
        </div>
        {of.length < 2 ? (
          <p className="muted scr-wide">Only one version of this list is loaded: there is nothing to compare yet.</p>
        ) : (
          <>
            <VersionSelect id={`${id}-from`} label="From" versions={of} value={from} onChange={setFrom} />
            <VersionSelect id={`${id}-to`} label="To" versions={of} value={to} onChange={setTo} />
            <div className="scr-form-actions">
              <button type="submit" disabled={busy || !from || !to || from === to}>{busy ? 'Comparing…' : 'Compare'}</button>
            </div>
          </>
        )}
        <ErrorMessage error={error} />
      </form>
      {diff && (
        <div className="scr-diff">
          <p role="status">
            <strong>{n(diff.counts.added)}</strong> added, <strong>{n(diff.counts.removed)}</strong> removed, <strong>{n(diff.counts.changed)}</strong> changed, {n(diff.counts.unchanged)} unchanged.
            {diff.truncated && <span className="muted"> Only the first entities of each kind are listed.</span>}
          </p>
          <h3>Added</h3>
          <EntityList rows={diff.added} caption="Added entities" />
          <h3>Removed</h3>
          <EntityList rows={diff.removed} caption="Removed entities" />
          <h3>Changed</h3>
          <DataTable
            caption="Changed entities"
            rows={diff.changed}
            rowKey={(e) => e.entity_id}
            pageSize={10}
            empty="None."
            columns={[
              { key: 'id', header: 'Entity', value: (e) => e.entity_id, render: (e) => <code>{e.entity_id}</code> },
              { key: 'name', header: 'Name', value: (e) => e.name },
              {
                key: 'fields',
                header: 'What changed',
                value: (e) => e.fields.join(', '),
                render: (e) => (
                  <ul className="scr-plain small">
                    {e.fields.map((f) => (
                      <li key={f}>
                        <strong>{words(f)}</strong>: <del>{show(e.before[f])}</del> → <ins>{show(e.after[f])}</ins>
                      </li>
                    ))}
                  </ul>
                ),
              },
            ]}
          />
        </div>
      )}
    </section>
  );
}

function Rescreens() {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ jobs: Job[] }>('GET', '/api/lists/rescreens')
      .then((r) => setJobs(r.jobs))
      .catch(setError);
  }, []);
  return (
    <section aria-labelledby="scr-rescreens">
      <h2 id="scr-rescreens">Re-screenings after activations</h2>
      <ErrorMessage error={error} />
      {jobs && (
        <DataTable
          caption="Re-screenings"
          rows={jobs}
          rowKey={(j) => j.id}
          empty="None yet."
          columns={[
            { key: 'created', header: 'Started', value: (j) => j.created_at, render: (j) => fmtTime(j.created_at) },
            { key: 'state', header: 'State', value: (j) => j.state, render: (j) => words(j.state) },
            { key: 'progress', header: 'Parties screened', value: (j) => j.done, render: (j) => `${n(j.done)} of ${n(j.total)}` },
            { key: 'alerts', header: 'Alerts raised', value: (j) => j.matched },
          ]}
        />
      )}
    </section>
  );
}
