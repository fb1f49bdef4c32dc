/**
 * SLA clocks as events. A clock is a list of start / pause / resume / stop
 * events; everything shown — days used, days left, the due date, overdue —
 * is computed from those events, the authority's calendar and the target, at
 * the moment of reading. Nothing has to run at night for a clock to be right.
 *
 * Counting follows LITE's SLA counter (licensing-process.json UK-SLA-RULES):
 * a day counts when the clock ran up to that day's cut-off (18:00 local:
 * started before it, not paused or stopped before it)
 * and, for working-day targets, the day is a working day. So a question asked
 * in the morning and answered the next afternoon costs the applicant's days,
 * not the authority's; a case received after the cut-off starts counting the
 * next working day. As in LITE (`sla_remaining_days`), a case is overdue when
 * more days have been counted than the target allows: the last day to decide
 * is the (target + 1)-th counted day, before its cut-off.
 */
import { FabgateError } from '../shared/errors.js';
import { cutoffInstant, isWorkingDay, localDate, nextDay } from './calendar.js';
import type { CalendarDef, SlaTarget } from './reference.js';

export type ClockEventKind = 'start' | 'pause' | 'resume' | 'stop';
export type ClockState = 'not_started' | 'running' | 'paused' | 'stopped';

export interface ClockEvent {
  kind: ClockEventKind;
  /** ISO-8601 instant. */
  at: string;
  reason?: string | null;
}

/** What a clock event may follow: the events of a clock form a strict sequence. */
const NEXT: Record<ClockState, Partial<Record<ClockEventKind, ClockState>>> = {
  not_started: { start: 'running' },
  running: { pause: 'paused', stop: 'stopped' },
  paused: { resume: 'running', stop: 'stopped' },
  stopped: {},
};

/** The state after an event, or LICENSING_CLOCK_SEQUENCE when the event cannot follow (e.g. resume a running clock). */
export function nextClockState(state: ClockState, kind: ClockEventKind): ClockState {
  const next = NEXT[state][kind];
  if (!next) throw new FabgateError('LICENSING_CLOCK_SEQUENCE', `a ${state} clock cannot ${kind}`, 'conflict', { state, event: kind });
  return next;
}

interface Timeline {
  state: ClockState;
  started_at: string | null;
  stopped_at: string | null;
  paused_since: string | null;
  /** Running intervals, ms since epoch, `to` null while running. */
  running: Array<{ from: number; to: number | null }>;
  pauses: Array<{ from: string; to: string | null; reason: string | null }>;
}

/** Fold the events (in order) into running intervals and pauses. Throws LICENSING_CLOCK_SEQUENCE on an impossible sequence. */
export function timeline(events: readonly ClockEvent[]): Timeline {
  const t: Timeline = { state: 'not_started', started_at: null, stopped_at: null, paused_since: null, running: [], pauses: [] };
  for (const e of events) {
    const at = Date.parse(e.at);
    if (Number.isNaN(at)) throw new FabgateError('LICENSING_CLOCK_SEQUENCE', `clock event at '${e.at}' is not a time`, 'internal');
    const was = t.state;
    t.state = nextClockState(was, e.kind);
    if (e.kind === 'start') {
      t.started_at = e.at;
      t.running.push({ from: at, to: null });
    } else if (e.kind === 'pause') {
      t.running.at(-1)!.to = at;
      t.paused_since = e.at;
      t.pauses.push({ from: e.at, to: null, reason: e.reason ?? null });
    } else if (e.kind === 'resume') {
      t.pauses.at(-1)!.to = e.at;
      t.paused_since = null;
      t.running.push({ from: at, to: null });
    } else {
      if (was === 'running') t.running.at(-1)!.to = at;
      if (was === 'paused') t.pauses.at(-1)!.to = e.at;
      t.paused_since = null;
      t.stopped_at = e.at;
    }
  }
  return t;
}

function counts(cal: CalendarDef, dayType: 'working' | 'calendar', date: string): boolean {
  return dayType === 'calendar' || isWorkingDay(cal, date);
}

/** The clock ran up to instant t: started before it, not stopped or paused before it. */
function runningAt(running: Timeline['running'], t: number): boolean {
  for (const r of running) if (t > r.from && (r.to === null || t <= r.to)) return true;
  return false;
}

/** The dates counted so far: the clock ran at their cut-off, which lies after `anchor` and not after `until`. */
export function countedDays(tl: Timeline, cal: CalendarDef, dayType: 'working' | 'calendar', anchor: number, until: number): string[] {
  const out: string[] = [];
  if (!tl.running.length || until < anchor) return out;
  const last = localDate(cal, new Date(until));
  for (let d = localDate(cal, new Date(anchor)); d <= last; d = nextDay(d)) {
    if (!counts(cal, dayType, d)) continue;
    const c = cutoffInstant(cal, d).getTime();
    if (c <= anchor || c > until) continue;
    if (runningAt(tl.running, c)) out.push(d);
  }
  return out;
}

/** The n-th counted day from `after` on, assuming the clock runs without pause. */
function projectDay(cal: CalendarDef, dayType: 'working' | 'calendar', after: number, n: number): string {
  let d = localDate(cal, new Date(after));
  let left = n;
  for (;;) {
    if (counts(cal, dayType, d) && cutoffInstant(cal, d).getTime() > after && --left === 0) return d;
    d = nextDay(d);
  }
}

export interface ClockView {
  state: ClockState;
  calendar: string;
  target: { id: string; days: number; day_type: 'working' | 'calendar'; source: string };
  days_used: number;
  /** target − used; negative when overdue. */
  days_left: number;
  overdue: boolean;
  /** The last day to decide (local date), while the clock runs; null when paused, stopped or not started. */
  due_date: string | null;
  /** The cut-off on the due date: from this instant on the case is overdue. */
  due_at: string | null;
  started_at: string | null;
  stopped_at: string | null;
  paused_since: string | null;
  pauses: Array<{ from: string; to: string | null; reason: string | null }>;
  /** Stopped clocks: whether the work finished within the target. */
  met: boolean | null;
  milestones: Array<{ id: string; step: string; days: number; day_type: 'working' | 'calendar'; from: 'start' | 'referral'; days_used: number | null; due_date: string | null; overdue: boolean | null }>;
}

/**
 * The live view of a clock at `now`. `anchors.referral_at` is when the case was
 * referred (for milestones counted from referral, such as the US 30 days).
 */
export function clockView(events: readonly ClockEvent[], target: SlaTarget, cal: CalendarDef, now: Date, anchors: { referral_at?: string | null } = {}): ClockView {
  const tl = timeline(events);
  const nowMs = now.getTime();
  const until = tl.stopped_at ? Math.min(Date.parse(tl.stopped_at), nowMs) : nowMs;
  const start = tl.started_at ? Date.parse(tl.started_at) : null;
  const used = start === null ? [] : countedDays(tl, cal, target.day_type, start, until);
  const daysUsed = used.length;
  let dueDate: string | null = null;
  if (tl.state === 'running') {
    // The last day to decide is the (target + 1)-th counted day (see the header).
    dueDate = daysUsed > target.days ? used[target.days]! : projectDay(cal, target.day_type, until, target.days + 1 - daysUsed);
  }
  const milestones = (target.milestones ?? []).map((m) => {
    const anchorIso = m.from === 'start' ? tl.started_at : (anchors.referral_at ?? null);
    if (!anchorIso) return { ...m, days_used: null, due_date: null, overdue: null };
    const anchor = Date.parse(anchorIso);
    const u = countedDays(tl, cal, m.day_type, anchor, until);
    const due = tl.state === 'running' ? (u.length > m.days ? u[m.days]! : projectDay(cal, m.day_type, until, m.days + 1 - u.length)) : null;
    return { ...m, days_used: u.length, due_date: due, overdue: u.length > m.days };
  });
  return {
    state: tl.state,
    calendar: cal.id,
    target: { id: target.id, days: target.days, day_type: target.day_type, source: target.source },
    days_used: daysUsed,
    days_left: target.days - daysUsed,
    overdue: tl.state !== 'not_started' && daysUsed > target.days,
    due_date: dueDate,
    due_at: dueDate ? cutoffInstant(cal, dueDate).toISOString() : null,
    started_at: tl.started_at,
    stopped_at: tl.stopped_at,
    paused_since: tl.paused_since,
    pauses: tl.pauses,
    met: tl.state === 'stopped' ? daysUsed <= target.days : null,
    milestones,
  };
}
