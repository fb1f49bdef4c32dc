/**
 * An SLA clock as a bar against its target: days used of the target, days
 * left, the due date, and why it is not moving (paused while the applicant
 * answers, stopped at the decision). The bar is an ARIA meter whose text
 * says everything the colours and widths show.
 */
export interface SlaClockData {
  state: 'not_started' | 'running' | 'paused' | 'stopped';
  target: { id: string; days: number; day_type: 'working' | 'calendar'; source: string };
  days_used: number;
  days_left: number;
  overdue: boolean;
  due_date: string | null;
  started_at: string | null;
  stopped_at: string | null;
  paused_since: string | null;
  pauses: Array<{ from: string; to: string | null; reason: string | null }>;
  met: boolean | null;
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');

function stateText(c: SlaClockData, pausedWhy: string): string {
  switch (c.state) {
    case 'not_started':
      return 'Not started';
    case 'running':
      return c.overdue ? 'Running — overdue' : 'Running';
    case 'paused':
      return `Paused since ${day(c.paused_since)} ${pausedWhy}`;
    case 'stopped':
      return c.met === null ? 'Stopped' : c.met ? `Stopped on ${day(c.stopped_at)}: within the target` : `Stopped on ${day(c.stopped_at)}: the target was missed`;
  }
}

/**
 * `title` names the clock ("Case clock", "Appeal clock"); `pausedWhy` says who
 * the pause waits for, in the reader's words.
 */
export function SlaClockBar({ clock, title = 'Case clock', pausedWhy = 'while waiting for the applicant' }: { clock: SlaClockData; title?: string; pausedWhy?: string }) {
  const unit = clock.target.day_type === 'working' ? 'working days' : 'days';
  const target = Math.max(1, clock.target.days);
  const used = clock.days_used;
  // The bar spans the target, or the days used when they run past it.
  const span = Math.max(target, used);
  const usedPct = Math.min(100, (Math.min(used, target) / span) * 100);
  const overPct = used > target ? ((used - target) / span) * 100 : 0;
  const tone = clock.overdue ? 'overdue' : clock.state === 'paused' ? 'paused' : clock.state === 'stopped' ? (clock.met === false ? 'overdue' : 'stopped') : 'running';
  // A stopped clock has nothing left: it says how long the work took.
  const left = clock.state === 'stopped' ? (clock.met === false ? `${used - clock.target.days} over the target` : 'within the target') : clock.days_left >= 0 ? `${clock.days_left} left` : `${-clock.days_left} over the target`;
  const text = `${title}: ${used} of ${clock.target.days} ${unit} used, ${left}. ${stateText(clock, pausedWhy)}.${clock.due_date ? ` Due ${clock.due_date}.` : ''}`;
  return (
    <div className={`sla sla-${tone}`}>
      <div className="sla-head">
        <strong>{title}</strong>
        <span className="sla-state">{stateText(clock, pausedWhy)}</span>
      </div>
      <div className="sla-track" role="meter" aria-label={title} aria-valuemin={0} aria-valuemax={span} aria-valuenow={used} aria-valuetext={text}>
        <div className="sla-used" style={{ width: `${usedPct}%` }} />
        {overPct > 0 && <div className="sla-over" style={{ width: `${overPct}%` }} />}
        {used > target && <div className="sla-target-mark" style={{ left: `${(target / span) * 100}%` }} aria-hidden="true" />}
      </div>
      <p className="sla-figures">
        <span data-testid="sla-days">
          <strong>{used}</strong> of {clock.target.days} {unit} used · <strong>{left}</strong>
        </span>
        {clock.due_date && <span> · due {clock.due_date}</span>}
        <span className="muted small"> · target {clock.target.id}</span>
      </p>
      {clock.pauses.length > 0 && (
        <details className="sla-pauses">
          <summary>
            {clock.pauses.length} pause{clock.pauses.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {clock.pauses.map((p, i) => (
              <li key={i}>
                {day(p.from)} – {p.to ? day(p.to) : 'now'}
                {p.reason ? `: ${p.reason.replace(/_/g, ' ')}` : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
      <p className="muted small sla-source">{clock.target.source}</p>
    </div>
  );
}
