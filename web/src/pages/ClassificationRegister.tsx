/**
 * The organisation's item register: every item with its latest recorded
 * classification (flagged when made under a rule set no longer in force), and
 * per item its specification, "record classification" and the history of
 * recorded classifications — each a decisive event of the transparency log,
 * shown with its receipt once the log has integrated it.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type Session } from '../api';
import { DataTable } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { ReceiptBadge } from '../components/ReceiptBadge';
import { AppLink } from '../components/AppLink';
import { navigate } from '../router';
import { fieldErrors, ItemForm } from './ClassificationForm';
import { ClassificationResultView, DestinationTable } from './ClassificationResult';
import { CountrySelect, fmtTime, StatusBadge, useItemSchema, type Classification, type Item, type ItemListEntry, type Json, type RecordedClassification } from './ClassificationShared';

function ItemLink({ id, children }: { id: string; children: string }) {
  const to = `/classification?view=item&id=${encodeURIComponent(id)}`;
  return (
    <AppLink to={to}>
      {children}
    </AppLink>
  );
}

function Outdated() {
  return (
    <span className="cls-badge warn" title="Made under a rule set that is no longer in force: record a new classification">
      ⚠ outdated rules
    </span>
  );
}

export function ItemRegister() {
  const [items, setItems] = useState<ItemListEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ items: ItemListEntry[] }>('GET', '/api/items')
      .then((r) => setItems(r.items))
      .catch(setError);
  }, []);
  return (
    <>
      <p className="muted">Your organisation’s items. Add one from “Classify an item” with “Save to item register”.</p>
      <ErrorMessage error={error} />
      <DataTable
        caption="Item register"
        rows={items ?? []}
        rowKey={(i) => i.id}
        empty={items === null ? 'Loading…' : 'No items yet.'}
        columns={[
          { key: 'name', header: 'Item', value: (i) => i.name, render: (i) => <ItemLink id={i.id}>{i.name}</ItemLink> },
          { key: 'kind', header: 'Kind', value: (i) => i.kind, render: (i) => i.kind.replace(/_/g, ' ') },
          { key: 'revision', header: 'Rev.', value: (i) => i.revision },
          {
            key: 'status',
            header: 'Latest classification',
            value: (i) => i.latest_classification?.status ?? '',
            render: (i) =>
              i.latest_classification ? (
                <>
                  <StatusBadge status={i.latest_classification.status} /> {i.latest_classification.controlled_by.join(', ')}{' '}
                  {i.latest_classification.item_revision !== i.revision && <span className="cls-badge warn">earlier revision</span>} {i.latest_classification.outdated && <Outdated />}
                </>
              ) : (
                <span className="muted">not recorded</span>
              ),
          },
          { key: 'updated', header: 'Updated (UTC)', value: (i) => i.updated_at, render: (i) => fmtTime(i.updated_at) },
        ]}
      />
    </>
  );
}

/** A recorded classification: its answers, destination, receipt, and the trace rebuilt from the stored specification. */
function RecordView({ record }: { record: RecordedClassification }) {
  const [detail, setDetail] = useState<{ classification: Classification | null; trace: string } | null>(null);
  const [receipt, setReceipt] = useState<{ receipt: string; key: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setDetail(null);
    api<{ classification: Classification | null; trace: string }>('GET', `/api/classifications/${record.id}`).then(setDetail).catch(setError);
  }, [record.id]);
  useEffect(() => {
    const index = record.log?.leaf_index;
    if (index === null || index === undefined) return;
    let live = true;
    void Promise.all([fetch(`/log/receipt/${index}`), fetch('/log/key')])
      .then(async ([r, k]) => (r.ok && k.ok ? { receipt: await r.text(), key: (await k.text()).trim() } : null))
      .then((x) => live && setReceipt(x))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [record.log?.leaf_index]);
  return (
    <section className="card cls-record" aria-labelledby={`rec-${record.id}`}>
      <h3 id={`rec-${record.id}`}>
        Classification of {fmtTime(record.classified_at)} <StatusBadge status={record.status} /> {record.outdated && <Outdated />}
      </h3>
      <dl className="cls-meta">
        <dt>Item revision</dt>
        <dd>{record.item_revision}</dd>
        <dt>Rule sets</dt>
        <dd className="small">
          {record.rule_sets.map((r) => (
            <span key={r.id} className="cls-ruleset" title={`sha256 ${r.sha256}`}>
              {r.id} {r.version}
            </span>
          ))}
        </dd>
        {record.outdated && (
          <>
            <dt>No longer in force</dt>
            <dd>
              {record.outdated_rule_sets.map((o) => `${o.id} ${o.recorded_version} (now ${o.current_version ?? 'not loaded'})`).join('; ')}
            </dd>
          </>
        )}
        {record.note && (
          <>
            <dt>Note</dt>
            <dd>{record.note}</dd>
          </>
        )}
        <dt>Transparency log</dt>
        <dd>
          {receipt ? (
            <ReceiptBadge receipt={receipt.receipt} verifierKey={receipt.key} />
          ) : record.log?.leaf_index != null ? (
            `entry ${record.log.leaf_index}`
          ) : (
            <span className="muted">queued for the log (commitment {record.log?.commitment.slice(0, 12)}…)</span>
          )}
        </dd>
      </dl>
      {record.destination && <DestinationTable regimes={record.destination.regimes} caption={`Licence requirement for ${record.destination.name}, as recorded`} />}
      <ErrorMessage error={error} />
      {detail?.trace === 'unavailable' && <p className="cls-callout warn">A rule set this classification used is no longer loaded, so its trace cannot be rebuilt; the answers above are as recorded.</p>}
      {detail?.trace === 'rebuilt_differs' && <p className="cls-callout warn">Classifying the stored specification again under the same rule sets now gives other answers: the evaluation changed since. Below is today’s trace.</p>}
      {detail?.classification && (
        <details className="cls-notes">
          <summary>Show the full result with traces</summary>
          <ClassificationResultView c={detail.classification} />
        </details>
      )}
    </section>
  );
}

export function ItemDetail({ id, session }: { id: string; session: Session }) {
  const { schema } = useItemSchema();
  const [item, setItem] = useState<Item | null>(null);
  const [history, setHistory] = useState<RecordedClassification[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<Json | null>(null);
  const [editError, setEditError] = useState<unknown>(null);
  const [destination, setDestination] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  const [recorded, setRecorded] = useState<Classification | null>(null);

  const load = useCallback(async () => {
    try {
      const [i, h] = await Promise.all([api<Item>('GET', `/api/items/${encodeURIComponent(id)}`), api<{ classifications: RecordedClassification[] }>('GET', `/api/items/${encodeURIComponent(id)}/classifications`)]);
      setItem(i);
      setHistory(h.classifications);
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => {
    void load();
  }, [load]);

  async function record(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ record: RecordedClassification; classification: Classification }>('POST', `/api/items/${encodeURIComponent(id)}/classifications`, {
        ...(destination ? { destination } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setRecorded(r.classification);
      setShown(r.record.id);
      setNote('');
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function saveEdit(e: FormEvent) {
    e.preventDefault();
    if (!item || !editing) return;
    setEditError(null);
    try {
      setItem(await api<Item>('PUT', `/api/items/${encodeURIComponent(id)}`, { spec: editing, revision: item.revision }));
      setEditing(null);
      await load();
    } catch (err) {
      setEditError(err);
    }
  }

  async function remove() {
    setError(null);
    try {
      await api('DELETE', `/api/items/${encodeURIComponent(id)}`);
      navigate('/classification?view=register');
    } catch (err) {
      setError(err);
    }
  }

  if (error && !item) return <ErrorMessage error={error} />;
  if (!item || !history) return <p className="muted">Loading…</p>;
  const canWrite = session.permissions.includes('items:write');
  const canClassify = session.permissions.includes('classification:run');
  const current = history.find((h) => h.id === shown);
  return (
    <div className="cls-item">
      <h2>{item.name}</h2>
      <dl className="cls-meta">
        <dt>Kind</dt>
        <dd>{item.kind.replace(/_/g, ' ')}</dd>
        <dt>Revision</dt>
        <dd>
          {item.revision} (updated {fmtTime(item.updated_at)})
        </dd>
        <dt>Specification SHA-256</dt>
        <dd>
          <code className="wrap">{item.spec_sha256}</code>
        </dd>
      </dl>

      {editing && schema ? (
        <form onSubmit={saveEdit} aria-label="Edit the specification" noValidate>
          <ItemForm schema={schema} value={editing} onChange={setEditing} errors={editError instanceof ApiError ? fieldErrors(editError.details) : {}} />
          <ErrorMessage error={editError} />
          <div className="cls-actions">
            <button type="submit">Save revision {item.revision + 1}</button>
            <button type="button" className="secondary" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <details className="cls-notes">
          <summary>Specification</summary>
          <pre className="cls-json">{JSON.stringify(item.spec, null, 2)}</pre>
        </details>
      )}
      {!editing && (
        <div className="cls-actions">
          {canWrite && (
            <button type="button" className="secondary" onClick={() => setEditing(structuredClone(item.spec))}>
              Edit specification
            </button>
          )}
          {canWrite && history.length === 0 && (
            <button type="button" className="secondary" onClick={() => void remove()}>
              Remove item
            </button>
          )}
        </div>
      )}

      {canClassify && (
        <form onSubmit={record} className="card cls-record-form" aria-labelledby="record-heading">
          <h3 id="record-heading">Record a classification</h3>
          <p className="muted small">
            Classifies revision {item.revision} under the rule sets in force and records the answer with their versions. The record is committed to the transparency log and cannot be changed afterwards.
          </p>
          <div className="cls-actions">
            <CountrySelect value={destination} onChange={setDestination} label="Destination (optional)" />
            <label className="stack">
              Note (optional)
              <input type="text" value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
            </label>
            <button type="submit" disabled={busy}>
              {busy ? 'Recording…' : 'Record classification'}
            </button>
          </div>
        </form>
      )}
      <ErrorMessage error={error} />

      <h3>History</h3>
      <DataTable
        caption="Recorded classifications"
        rows={history}
        rowKey={(h) => h.id}
        empty="No classification recorded yet."
        columns={[
          { key: 'at', header: 'Classified (UTC)', value: (h) => h.classified_at, render: (h) => fmtTime(h.classified_at) },
          { key: 'rev', header: 'Rev.', value: (h) => h.item_revision },
          { key: 'status', header: 'Status', value: (h) => h.status, render: (h) => <StatusBadge status={h.status} /> },
          { key: 'by', header: 'Controlled by', value: (h) => h.controlled_by.join(', ') },
          { key: 'dest', header: 'Destination', value: (h) => h.destination?.code ?? '' },
          { key: 'rules', header: 'Rule sets', value: (h) => (h.outdated ? 'outdated' : 'current'), render: (h) => (h.outdated ? <Outdated /> : <span className="muted">in force</span>) },
          { key: 'log', header: 'Log entry', value: (h) => h.log?.leaf_index ?? -1, render: (h) => (h.log?.leaf_index != null ? String(h.log.leaf_index) : <span className="muted">queued</span>) },
          {
            key: 'show',
            header: 'Details',
            value: () => null,
            render: (h) => (
              <button type="button" className="secondary" aria-pressed={shown === h.id} onClick={() => (setShown(shown === h.id ? null : h.id), setRecorded(null))}>
                {shown === h.id ? 'Hide' : 'Show'}
              </button>
            ),
          },
        ]}
      />
      {current && <RecordView key={current.id} record={current} />}
      {recorded && !current && <ClassificationResultView c={recorded} />}
    </div>
  );
}
