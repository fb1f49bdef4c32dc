/**
 * Working-day calendars: weekends, public holidays computed from rules (fixed
 * dates with substitute days, Easter offsets, n-th weekdays) plus one-off
 * moves and extra days, and the daily cut-off in the authority's time zone.
 * Dates are ISO `YYYY-MM-DD` strings in the calendar's local time.
 */
import { FabgateError } from '../shared/errors.js';
import type { CalendarDef } from './reference.js';

/** Day of the week of a date, 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** The date `n` days after `date` (n may be negative). */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

const ymd = (y: number, m: number, d: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/**
 * Easter Sunday of a Gregorian year: the anonymous algorithm published by
 * Meeus/Jones/Butcher (Meeus, Astronomical Algorithms, ch. 8).
 */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

/** The n-th (1-based; -1 = last) given weekday of a month. */
function nthWeekday(year: number, month: number, wd: number, nth: number): string {
  if (nth > 0) {
    const first = ymd(year, month, 1);
    const offset = (wd - weekday(first) + 7) % 7;
    return addDays(first, offset + 7 * (nth - 1));
  }
  const last = addDays(month === 12 ? ymd(year + 1, 1, 1) : ymd(year, month + 1, 1), -1);
  return addDays(last, -((weekday(last) - wd + 7) % 7));
}

const holidayCache = new Map<string, Map<string, string>>();

/** The public holidays of a calendar in one year: date → name. */
export function holidaysOf(cal: CalendarDef, year: number): ReadonlyMap<string, string> {
  const key = `${cal.id}:${year}`;
  const hit = holidayCache.get(key);
  if (hit) return hit;
  const weekend = new Set(cal.weekend);
  const out = new Map<string, string>();
  const substitutes: Array<{ date: string; name: string; rule: 'next_free_weekday' | 'nearest_weekday' }> = [];
  for (const r of cal.rules) {
    if ('fixed' in r) {
      if (r.from_year !== undefined && year < r.from_year) continue;
      const date = `${year}-${r.fixed}`;
      if (weekend.has(weekday(date)) && r.if_weekend) substitutes.push({ date, name: r.name, rule: r.if_weekend });
      else out.set(date, r.name);
    } else if ('easter' in r) {
      out.set(addDays(easterSunday(year), r.easter), r.name);
    } else {
      out.set(nthWeekday(year, r.month, r.weekday, r.nth), r.name);
    }
  }
  // Substitute days after every date-bound holiday is placed, in calendar order,
  // so Christmas on a Saturday takes Monday and Boxing Day then takes Tuesday.
  substitutes.sort((a, b) => a.date.localeCompare(b.date));
  for (const s of substitutes) {
    let d = s.date;
    if (s.rule === 'nearest_weekday') {
      // 5 U.S.C. 6103(b): Saturday → the Friday before, Sunday → the Monday after.
      d = addDays(d, weekday(d) === 6 ? -1 : 1);
    } else {
      do d = addDays(d, 1);
      while (weekend.has(weekday(d)) || out.has(d));
    }
    out.set(d, `${s.name} (substitute day)`);
  }
  for (const mv of cal.moved) {
    if (mv.from.startsWith(`${year}-`)) out.delete(mv.from);
    if (mv.to.startsWith(`${year}-`)) out.set(mv.to, mv.name);
  }
  for (const x of cal.extra) if (x.date.startsWith(`${year}-`)) out.set(x.date, x.name);
  holidayCache.set(key, out);
  return out;
}

const nextDayCache = new Map<string, string>();

/** The day after `date`, memoised: clocks walk the same days on every view of every case. */
export function nextDay(date: string): string {
  let n = nextDayCache.get(date);
  if (n === undefined) {
    n = addDays(date, 1);
    if (nextDayCache.size > 200_000) nextDayCache.clear();
    nextDayCache.set(date, n);
  }
  return n;
}

const workingCache = new Map<string, boolean>();

/** true when `date` is neither a weekend day nor a public holiday of the calendar (memoised per calendar and date). */
export function isWorkingDay(cal: CalendarDef, date: string): boolean {
  const key = `${cal.id}:${date}`;
  let w = workingCache.get(key);
  if (w === undefined) {
    w = computeWorkingDay(cal, date);
    if (workingCache.size > 200_000) workingCache.clear();
    workingCache.set(key, w);
  }
  return w;
}

function computeWorkingDay(cal: CalendarDef, date: string): boolean {
  if (cal.weekend.includes(weekday(date))) return false;
  const year = Number(date.slice(0, 4));
  // A holiday observed on the Friday before can fall in the previous year (1 January on a Saturday).
  return !holidaysOf(cal, year).has(date) && !holidaysOf(cal, year + 1).has(date);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    } catch {
      throw new FabgateError('LICENSING_CALENDAR_TIME_ZONE', `unknown time zone '${timeZone}'`, 'internal');
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function localParts(timeZone: string, t: number): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour!, min: p.minute!, s: p.second! };
}

/** The local calendar date of an instant in the calendar's time zone. */
export function localDate(cal: CalendarDef, instant: Date | string): string {
  const p = localParts(cal.time_zone, new Date(instant).getTime());
  return ymd(p.y, p.m, p.d);
}

/** Minutes the zone is ahead of UTC at instant t. */
function offsetMinutes(timeZone: string, t: number): number {
  const p = localParts(timeZone, t);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  return Math.round((asUtc - Math.floor(t / 1000) * 1000) / 60000);
}

const cutoffCache = new Map<string, number>();

/** The instant of the daily cut-off (e.g. 18:00 local) on a local date. */
export function cutoffInstant(cal: CalendarDef, date: string): Date {
  const key = `${cal.id}:${date}`;
  let t = cutoffCache.get(key);
  if (t === undefined) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const [hh, mm] = cal.cutoff.split(':').map(Number) as [number, number];
    const guess = Date.UTC(y, m - 1, d, hh, mm);
    const first = guess - offsetMinutes(cal.time_zone, guess) * 60000;
    // A second pass settles the offset when a DST change lies between guess and answer.
    t = guess - offsetMinutes(cal.time_zone, first) * 60000;
    if (cutoffCache.size > 100_000) cutoffCache.clear();
    cutoffCache.set(key, t);
  }
  return new Date(t);
}

/** The number of working days strictly after `from` up to and including `to` (dates). */
export function workingDaysBetween(cal: CalendarDef, from: string, to: string): number {
  let n = 0;
  for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (isWorkingDay(cal, d)) n++;
  return n;
}

/** The date `n` working days after `date` (n ≥ 0; 0 gives `date` itself). */
export function addWorkingDays(cal: CalendarDef, date: string, n: number): string {
  let d = date;
  for (let left = n; left > 0; ) {
    d = addDays(d, 1);
    if (isWorkingDay(cal, d)) left--;
  }
  return d;
}
