/**
 * The rule sets: the versions in force with their effective, review and sunset
 * dates (flagged once a review or sunset date has passed), every known version,
 * and the difference between two versions with the items and recorded
 * classifications it would change. Authorities with `rules:manage` upload new
 * versions here for comparison.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, type Session } from '../api';
import { DataTable } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { fmtTime, StatusBadge } from './ClassificationShared';

interface RuleSetStatus {
  id: string;
  regime: string;
  title: string;
  version: string;
  sha256: string;
  status: string;
  effective_date: string;
  review_date: string;
  sunset_date: string | null;
  state: 'current' | 'not_yet_effective' | 'review_overdue' | 'sunset_passed';
  flagged: boolean;
  message: string;
  entries: number;
  open_questions: string[];
}
interface Version {
  id: string;
  rule_set_id: string;
  version: string;
  sha256: string;
  shipped: boolean;
  uploaded_at: string | null;
  note: string | null;
  entries: number;
}
interface Change {
  key: string;
  old_status: string;
  new_status: string;
}
interface Diff {
  from: { version: string; sha256: string };
  to: { version: string; sha256: string };
  diff: { metadata: Array<{ what: string; old?: unknown; new?: unknown }>; added: string[]; removed: string[]; changed: Array<{ key: string; changes: Array<{ what: string; old?: unknown; new?: unknown }> }> };
  impact: { items: Array<{ item_id: string; name: string; changes: Change[] }>; items_checked: number; recorded: Array<{ classification_id: string; item_name: string; classified_at: string; changes: Change[] }>; recorded_checked: number; recorded_under_other_versions: number } | null;
}

const STATE_LABEL: Record<RuleSetStatus['state'], string> = {
  current: 'current',
  not_yet_effective: 'not yet effective',
  review_overdue: '⚠ review overdue',
  sunset_passed: '⚠ sunset passed',
};

const changes = (cs: Change[]) => cs.map((c) => `${c.key}: ${c.old_status.replace(/_/g, ' ')} → ${c.new_status.replace(/_/g, ' ')}`).join('; ');

function DiffView({ d }: { d: Diff }) {
  return (
    <section aria-labelledby="diff-heading" className="card">
      <h3 id="diff-heading">
        {d.from.version} → {d.to.version}
      </h3>
      {d.diff.metadata.length > 0 && (
        <ul>
          {d.diff.metadata.map((m) => (
            <li key={m.what}>
              <strong>{m.what}</strong>: {JSON.stringify(m.old)?.slice(0, 120)} → {JSON.stringify(m.new)?.slice(0, 120)}
            </li>
          ))}
        </ul>
      )}
      <p>
        {d.diff.added.length} entries added{d.diff.added.length ? `: ${d.diff.added.join(', ')}` : ''}; {d.diff.removed.length} removed
        {d.diff.removed.length ? `: ${d.diff.removed.join(', ')}` : ''}; {d.diff.changed.length} changed.
      </p>
      {d.diff.changed.map((c) => (
        <details key={c.key} className="cls-notes" open>
          <summary>
            <code>{c.key}</code>: {c.changes.length} change{c.changes.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {c.changes.map((ch, i) => (
              <li key={i}>
                {ch.what}
                {ch.old !== undefined && ch.new !== undefined && (
                  <>
                    : <code>{JSON.stringify(ch.old).slice(0, 200)}</code> → <code>{JSON.stringify(ch.new).slice(0, 200)}</code>
                  </>
                )}
              </li>
            ))}
          </ul>
        </details>
      ))}
      <h4>What it would change for your organisation</h4>
      {d.impact === null ? (
        <p className="muted">Reading your items needs the items:read permission.</p>
      ) : (
        <>
          <p>
            {d.impact.items.length} of {d.impact.items_checked} items would be classified differently; {d.impact.recorded.length} of {d.impact.recorded_checked} latest recorded classifications made under{' '}
            {d.from.version} would change
            {d.impact.recorded_under_other_versions ? ` (${d.impact.recorded_under_other_versions} were made under other versions)` : ''}.
          </p>
          {d.impact.items.length > 0 && (
            <ul>
              {d.impact.items.map((i) => (
                <li key={i.item_id}>
                  <strong>{i.name}</strong>: {changes(i.changes)}
                </li>
              ))}
            </ul>
          )}
          {d.impact.recorded.length > 0 && (
            <ul>
              {d.impact.recorded.map((r) => (
                <li key={r.classification_id}>
                  recorded classification of <strong>{r.item_name}</strong> ({fmtTime(r.classified_at)}): {changes(r.changes)}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

export function RuleSets({ session }: { session: Session }) {
  const [data, setData] = useState<{ date: string; rule_sets: RuleSetStatus[]; versions: Version[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [ruleSet, setRuleSet] = useState('us-ear');
  const [from, setFrom] = useState('current');
  const [to, setTo] = useState('');
  const [diff, setDiff] = useState<Diff | null>(null);
  const [upload, setUpload] = useState('');
  const [note, setNote] = useState('');
  const [uploaded, setUploaded] = useState<string | null>(null);
  const ids = { rs: useId(), from: useId(), to: useId() };

  const load = () =>
    api<{ date: string; rule_sets: RuleSetStatus[]; versions: Version[] }>('GET', '/api/rules')
      .then(setData)
      .catch(setError);
  useEffect(() => {
    void load();
  }, []);

  async function runDiff(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      setDiff(await api<Diff>('GET', `/api/rules/diff?rule_set=${encodeURIComponent(ruleSet)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`));
    } catch (err) {
      setError(err);
    }
  }

  async function send(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setUploaded(null);
    try {
      const v = await api<Version>('POST', '/api/rules', { rule_set: JSON.parse(upload) as unknown, ...(note ? { note } : {}) });
      setUploaded(`${v.rule_set_id} ${v.version} stored (sha256 ${v.sha256.slice(0, 12)}…)`);
      setUpload('');
      await load();
    } catch (err) {
      setError(err);
    }
  }

  if (!data) return error ? <ErrorMessage error={error} /> : <p className="muted">Loading…</p>;
  const versions = data.versions.filter((v) => v.rule_set_id === ruleSet);
  const flagged = data.rule_sets.filter((r) => r.flagged);
  return (
    <>
      <p className="muted">Rule sets in force on {data.date}. A classification records the versions it used; a new version can be compared with the one in force before it ships.</p>
      {flagged.length > 0 && (
        <p className="cls-callout warn" role="alert">
          {flagged.length} rule set{flagged.length === 1 ? ' is' : 's are'} past a review or sunset date: {flagged.map((r) => `${r.id} (${r.message})`).join('; ')}.
        </p>
      )}
      <DataTable
        caption="Rule sets in force"
        rows={data.rule_sets}
        rowKey={(r) => r.id}
        columns={[
          { key: 'id', header: 'Rule set', value: (r) => r.id, render: (r) => <span title={r.title}>{r.id}</span> },
          { key: 'regime', header: 'Regime', value: (r) => r.regime },
          { key: 'version', header: 'Version', value: (r) => r.version, render: (r) => <code title={`sha256 ${r.sha256}`}>{r.version}</code> },
          { key: 'status', header: 'Legal status', value: (r) => r.status },
          { key: 'effective', header: 'Effective', value: (r) => r.effective_date },
          { key: 'review', header: 'Review by', value: (r) => r.review_date },
          { key: 'sunset', header: 'Sunset', value: (r) => r.sunset_date ?? '' },
          {
            key: 'state',
            header: 'State',
            value: (r) => r.state,
            render: (r) => <StatusBadge status={r.flagged ? 'needs_review' : r.state === 'current' ? 'not_controlled' : 'needs_information'} label={STATE_LABEL[r.state]} />,
          },
          { key: 'entries', header: 'Entries', value: (r) => r.entries },
        ]}
      />
      <details className="cls-notes">
        <summary>Open questions the sources leave</summary>
        {data.rule_sets.map((r) => (
          <div key={r.id}>
            <h4>{r.id}</h4>
            <ul>
              {r.open_questions.map((q, i) => (
                <li key={i}>{q}</li>
              ))}
            </ul>
          </div>
        ))}
      </details>

      <h2>Compare versions</h2>
      <form onSubmit={runDiff} className="cls-actions" aria-label="Compare rule-set versions">
        <label className="stack" htmlFor={ids.rs}>
          Rule set
          <select id={ids.rs} value={ruleSet} onChange={(e) => (setRuleSet(e.target.value), setTo(''), setFrom('current'))}>
            {data.rule_sets.map((r) => (
              <option key={r.id} value={r.id}>
                {r.id}
              </option>
            ))}
          </select>
        </label>
        <label className="stack" htmlFor={ids.from}>
          From
          <select id={ids.from} value={from} onChange={(e) => setFrom(e.target.value)}>
            <option value="current">in force</option>
            {versions
              .filter((v) => !v.shipped)
              .map((v) => (
                <option key={v.sha256} value={v.sha256}>
                  {v.version}
                </option>
              ))}
          </select>
        </label>
        <label className="stack" htmlFor={ids.to}>
          To
          <select id={ids.to} value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="">— choose —</option>
            {versions.map((v) => (
              <option key={v.sha256} value={v.shipped ? 'current' : v.sha256}>
                {v.version}
                {v.shipped ? ' (in force)' : ` (uploaded ${v.uploaded_at?.slice(0, 10)})`}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!to}>
          Compare
        </button>
      </form>
      {versions.filter((v) => !v.shipped).length === 0 && <p className="muted small">No other version of {ruleSet} is stored yet.</p>}
      <ErrorMessage error={error} />
      {diff && <DiffView d={diff} />}

      {session.permissions.includes('rules:manage') && (
        <form onSubmit={send} className="card" aria-labelledby="upload-heading">
          <h2 id="upload-heading">Store a new version</h2>
          <p className="muted small">Paste a rule-set document (schema at <a href="/api/schemas/ruleset">/api/schemas/ruleset</a>). It is validated and compiled, then kept for comparison; it does not classify anything.</p>
          <label className="stack">
            Rule set (JSON)
            <textarea rows={8} value={upload} onChange={(e) => setUpload(e.target.value)} />
          </label>
          <label className="stack">
            Note
            <input type="text" value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button type="submit" disabled={!upload.trim()}>
            Store version
          </button>
          {uploaded && <p role="status">{uploaded}</p>}
        </form>
      )}
    </>
  );
}
