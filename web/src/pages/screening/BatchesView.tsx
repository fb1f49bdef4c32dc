/** Screen many parties at once: upload a JSON-lines file, watch it run, read and download the results. */
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { fmtTime, Status, useAction } from '../licensing/shared';
import { ListLabel, Score, ViewLink } from './shared';
import type { BatchResultLine, Job } from './types';

const EXAMPLE = '{"id": "C-1001", "name": "Kontsern Sirius", "country": "RU", "type": "organisation"}';
const resultsUrl = (id: string) => `/api/screening/batches/${encodeURIComponent(id)}/results`;
const finished = (j: Job) => j.state === 'done' || j.state === 'failed' || j.state === 'superseded';

/** Names by id from the file as uploaded, so the results read with names (the results carry ids only). */
const namesOf = (text: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    try {
      const p = JSON.parse(line) as { id?: unknown; name?: unknown };
      if (typeof p.id === 'string' && typeof p.name === 'string') out.set(p.id, p.name);
    } catch {
      // the server names the bad line
    }
  }
  return out;
};
const knownNames = new Map<string, Map<string, string>>();

export function BatchesView({ id: openId }: { id?: string | undefined }) {
  const [batches, setBatches] = useState<Job[] | null>(null);
  const [listError, setListError] = useState<unknown>(null);
  const [file, setFile] = useState<File | null>(null);
  const [threshold, setThreshold] = useState('');
  const [current, setCurrent] = useState<Job | null>(null);
  const upload = useAction();
  const fid = useId();

  const reload = useCallback(() => {
    api<{ batches: Job[] }>('GET', '/api/screening/batches')
      .then((r) => setBatches(r.batches))
      .catch(setListError);
  }, []);
  useEffect(reload, [reload]);

  // Open a batch named in the address (a reload keeps it).
  useEffect(() => {
    if (!openId) return;
    api<Job>('GET', `/api/screening/batches/${encodeURIComponent(openId)}`)
      .then(setCurrent)
      .catch(setListError);
  }, [openId]);

  // Follow a running batch until it finishes.
  useEffect(() => {
    if (!current || finished(current)) return;
    const t = setTimeout(() => {
      api<Job>('GET', `/api/screening/batches/${encodeURIComponent(current.id)}`)
        .then((j) => {
          setCurrent(j);
          if (finished(j)) reload();
        })
        .catch(setListError);
    }, 700);
    return () => clearTimeout(t);
  }, [current, reload]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.set('file', file, file.name);
    if (threshold.trim()) form.set('threshold', threshold.trim());
    const text = await file.text();
    const job = await upload.run(() => api<Job>('POST', '/api/screening/batches', form));
    if (job) {
      knownNames.set(job.id, namesOf(text));
      setCurrent(job);
      reload();
    }
  }

  return (
    <>
      <form className="card scr-upload" aria-label="Upload a batch" onSubmit={(e) => void submit(e)}>
        <h2>Upload a batch</h2>
        <p className="muted">
          A JSON-lines file: one party per line, with <code>id</code> and <code>name</code>, and <code>country</code>, <code>type</code> (person, organisation, vessel, aircraft) and <code>dob</code> where you
          have them. For example:
        </p>
        <pre className="scr-example">{EXAMPLE}</pre>
        <div className="scr-upload-fields">
          <div className="lic-field">
            <label htmlFor={`${fid}-file`}>Parties file (JSON lines)</label>
            <input id={`${fid}-file`} type="file" accept=".jsonl,.ndjson,.json,.txt,application/x-ndjson" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </div>
          <div className="lic-field">
            <label htmlFor={`${fid}-threshold`}>Threshold (optional)</label>
            <input id={`${fid}-threshold`} type="number" min={0} max={1} step={0.01} placeholder="0.80" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
          </div>
          <button type="submit" disabled={upload.busy || !file}>{upload.busy ? 'Uploading…' : 'Screen the batch'}</button>
        </div>
        <ErrorMessage error={upload.error} />
      </form>

      {current && <BatchPanel job={current} />}

      <h2>Batches</h2>
      <ErrorMessage error={listError} />
      {batches === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <DataTable
          caption="Batches"
          rows={batches}
          rowKey={(b) => b.id}
          empty="No batch yet."
          columns={[
            { key: 'name', header: 'File', value: (b) => b.name ?? b.id, render: (b) => <ViewLink view="batches" params={{ id: b.id }}>{b.name ?? b.id}</ViewLink> },
            { key: 'created', header: 'Submitted', value: (b) => b.created_at, render: (b) => fmtTime(b.created_at) },
            { key: 'state', header: 'State', value: (b) => b.state, render: (b) => <Status value={b.state === 'done' ? 'clear' : b.state === 'failed' ? 'invalid' : 'received'} label={b.state} /> },
            { key: 'progress', header: 'Screened', value: (b) => b.done, render: (b) => `${b.done} of ${b.total}` },
            { key: 'matched', header: 'With matches', value: (b) => b.matched },
            { key: 'download', header: 'Results', value: () => null, render: (b) => (b.state === 'done' ? <a href={resultsUrl(b.id)} download>Download</a> : '—') },
          ]}
        />
      )}
    </>
  );
}

/** One batch: progress while it runs, then its results and the download. */
function BatchPanel({ job }: { job: Job }) {
  const [results, setResults] = useState<BatchResultLine[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setResults(null);
    setError(null);
    if (job.state !== 'done') return;
    let live = true;
    fetch(resultsUrl(job.id), { credentials: 'same-origin' })
      .then(async (r) => {
        if (!r.ok) throw new ApiError(r.status, `HTTP_${r.status}`, r.statusText);
        const text = await r.text();
        const lines = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as BatchResultLine);
        if (live) setResults(lines);
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [job.id, job.state]);

  const names = knownNames.get(job.id);
  const label = job.name ?? job.id;
  return (
    <section className="card scr-batch" aria-labelledby="scr-batch-heading">
      <h2 id="scr-batch-heading">Batch {label}</h2>
      <div className="scr-progress">
        <label htmlFor="scr-batch-progress">Progress</label>
        <progress id="scr-batch-progress" max={Math.max(job.total, 1)} value={job.done} />
        <span role="status">
          {job.state === 'done'
            ? `Done: ${job.total} screened, ${job.matched} with matches.`
            : job.state === 'failed'
              ? `Failed: ${job.error?.message ?? 'the batch did not finish'}`
              : `${job.state === 'queued' ? 'Queued' : 'Running'}: ${job.done} of ${job.total} screened…`}
        </span>
      </div>
      {job.error && <ErrorMessage error={new ApiError(500, job.error.code, job.error.message)} />}
      {job.state === 'done' && (
        <p>
          <a className="tk-download" href={resultsUrl(job.id)} download>
            Download the results (JSON lines)
          </a>{' '}
          <span className="muted small">threshold {job.threshold.toFixed(2)} · screened {fmtTime(job.finished_at)}</span>
        </p>
      )}
      <ErrorMessage error={error} />
      {results && (
        <DataTable
          caption={`Results of ${label}`}
          rows={results}
          rowKey={(r) => r.id}
          pageSize={25}
          columns={[
            { key: 'id', header: 'Id', value: (r) => r.id, render: (r) => <code>{r.id}</code> },
            ...(names ? [{ key: 'name', header: 'Name', value: (r: BatchResultLine) => names.get(r.id) ?? '' }] : []),
            {
              key: 'result',
              header: 'Result',
              value: (r) => (r.matches.length ? `flagged ${r.matches.length}` : 'clear'),
              render: (r) => (r.matches.length ? <Status value="strong_match" label={`flagged (${r.matches.length})`} /> : <Status value="clear" />),
            },
            { key: 'score', header: 'Best score', value: (r) => r.matches[0]?.score ?? 0, render: (r) => (r.matches[0] ? <Score value={r.matches[0].score} /> : '—') },
            {
              key: 'best',
              header: 'Best match',
              value: (r) => r.matches[0]?.matched_name ?? '',
              render: (r) =>
                r.matches[0] ? (
                  <>
                    {r.matches[0].matched_name}
                    <br />
                    <span className="small muted">
                      <ListLabel list={r.matches[0].list} /> · entity <code>{r.matches[0].entity_id}</code> · {r.matches[0].explanation.name_kind} name
                    </span>
                  </>
                ) : (
                  '—'
                ),
            },
          ]}
        />
      )}
    </section>
  );
}
