/**
 * The history of a case as a timeline: when, who, which step of the state
 * machine (from → to) and what it did. The authority sees every event and
 * which of them are internal; the exporter's history arrives already reduced
 * to its statuses by the server.
 */
export interface TimelineEvent {
  key: string;
  at: string;
  /** The step in words ("register: submitted → initial checks"), or the status reached. */
  title: string;
  summary: string;
  who?: string | null;
  internal?: boolean;
  /** A transition (state change) rather than an edit, note or other event. */
  transition?: boolean;
}

const when = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');

export function StateTimeline({ events, label = 'History' }: { events: TimelineEvent[]; label?: string }) {
  if (events.length === 0) return <p className="muted">Nothing has happened yet.</p>;
  return (
    <ol className="timeline" aria-label={label}>
      {events.map((e) => (
        <li key={e.key} className={`${e.transition ? 'tl-transition' : 'tl-event'}${e.internal ? ' tl-internal' : ''}`}>
          <time dateTime={e.at}>{when(e.at)}</time>
          <div className="tl-body">
            <strong>{e.title}</strong>
            {e.internal && <span className="lic-badge neutral tl-tag">internal</span>}
            {e.summary && e.summary !== e.title && <p>{e.summary}</p>}
            {e.who && <p className="muted small">by {e.who}</p>}
          </div>
        </li>
      ))}
    </ol>
  );
}
