import { useEffect, useState } from 'react';
import { DataTable } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { ReceiptBadge } from '../components/ReceiptBadge';

interface Entry {
  index: string;
  event_type: string;
  time: string;
  record_type: string;
  record_id: string;
  commitment: string;
}

async function text(path: string): Promise<string> {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.text();
}

/** The public transparency log: its checkpoint, its key, its latest entries, and receipts verified here. */
export function LogPage() {
  const [checkpoint, setCheckpoint] = useState<string | null>(null);
  const [key, setKey] = useState('');
  const [entries, setEntries] = useState<Entry[]>([]);
  const [receipts, setReceipts] = useState<Record<string, string>>({});
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    (async () => {
      const k = (await text('/log/key')).trim();
      setKey(k);
      const cp = await fetch('/log/checkpoint');
      if (cp.status === 404) return setCheckpoint('');
      const note = await cp.text();
      setCheckpoint(note);
      const size = Number(note.split('\n')[1]);
      const from = Math.max(0, size - 50);
      const rows = await Promise.all(Array.from({ length: size - from }, (_, i) => fetch(`/log/entries/${size - 1 - i}`).then((r) => r.json() as Promise<Entry>)));
      setEntries(rows);
    })().catch(setError);
  }, []);

  const size = checkpoint ? checkpoint.split('\n')[1] : '0';
  return (
    <section>
      <h1>Transparency log</h1>
      <p className="muted">
        Every decision, licence, print ticket and print record is committed here (RFC 9162 Merkle tree, C2SP signed checkpoints and tiles).
        Anyone can verify it with <code>fabgate log verify-remote</code>; receipts below are verified in your browser against the log key.
      </p>
      <ErrorMessage error={error} />
      <div className="cards">
        <div className="card">
          <h2>Latest checkpoint</h2>
          {checkpoint === null ? <p>Loading…</p> : checkpoint === '' ? <p>The log is empty.</p> : <pre data-testid="checkpoint">{checkpoint}</pre>}
        </div>
        <div className="card">
          <h2>Verifier key</h2>
          <code className="wrap" data-testid="verifier-key">{key}</code>
        </div>
      </div>
      <h2>Latest entries ({size} in all)</h2>
      <DataTable
        caption="Log entries"
        rows={entries}
        rowKey={(e) => e.index}
        columns={[
          { key: 'index', header: '#', value: (e) => Number(e.index) },
          { key: 'time', header: 'Time (UTC)', value: (e) => e.time },
          { key: 'event', header: 'Event', value: (e) => e.event_type, render: (e) => <code>{e.event_type}</code> },
          { key: 'record', header: 'Record', value: (e) => `${e.record_type} ${e.record_id}` },
          {
            key: 'receipt',
            header: 'Receipt',
            value: () => null,
            render: (e) =>
              receipts[e.index] ? (
                <ReceiptBadge receipt={receipts[e.index]!} verifierKey={key} />
              ) : (
                <button type="button" className="secondary" onClick={() => void text(`/log/receipt/${e.index}`).then((r) => setReceipts((m) => ({ ...m, [e.index]: r }))).catch(setError)}>
                  Verify
                </button>
              ),
          },
        ]}
      />
      <h2>Verify a receipt</h2>
      <label className="stack">
        <span>Paste a <code>.tlog-proof</code> receipt</span>
        <textarea rows={8} value={pasted} onChange={(e) => setPasted(e.target.value)} />
      </label>
      {pasted.trim() && key && <ReceiptBadge receipt={pasted.trim() + '\n'} verifierKey={key} />}
    </section>
  );
}
