import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWorkingDays, cutoffInstant, easterSunday, holidaysOf, isWorkingDay, localDate, workingDaysBetween } from './calendar.js';
import { authorityProfile, licensingReference, type CalendarDef, type SlaTarget } from './reference.js';
import { clockView, nextClockState, timeline, type ClockEvent } from './sla.js';

const cal = (id: string): CalendarDef => licensingReference().calendars.data.calendars.find((c) => c.id === id)!;
const DE = cal('DE-federal');
const GB = cal('GB-EAW');
const US = cal('US-federal');
const T20: SlaTarget = { id: 'T20', days: 20, day_type: 'working', source: 'test' };
const ev = (kind: ClockEvent['kind'], at: string): ClockEvent => ({ kind, at });

describe('calendars', () => {
  it('computes Easter Sunday (Meeus/Jones/Butcher) for known years', () => {
    expect(['2000', '2024', '2025', '2026', '2027', '2038'].map((y) => easterSunday(Number(y)))).toEqual(['2000-04-23', '2024-03-31', '2025-04-20', '2026-04-05', '2027-03-28', '2038-04-25']);
  });

  it('gives the England and Wales bank holidays published on gov.uk, substitute days included', () => {
    expect([...holidaysOf(GB, 2026).keys()].sort()).toEqual(['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-28']);
    // Christmas on a Saturday, Boxing Day on a Sunday: Monday and Tuesday.
    expect([...holidaysOf(GB, 2021).keys()].filter((d) => d >= '2021-12-01')).toEqual(['2021-12-27', '2021-12-28']);
    // Christmas on a Sunday: Boxing Day Monday keeps its day, Christmas moves to Tuesday; the Jubilee moves and adds days.
    const y2022 = holidaysOf(GB, 2022);
    expect(y2022.has('2022-12-26') && y2022.has('2022-12-27') && !y2022.has('2022-12-25')).toBe(true);
    expect(y2022.has('2022-06-02') && y2022.has('2022-06-03') && !y2022.has('2022-05-30')).toBe(true);
  });

  it('gives the nine nationwide German holidays without substitutes', () => {
    expect([...holidaysOf(DE, 2026).keys()].sort()).toEqual(['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-05-14', '2026-05-25', '2026-10-03', '2026-12-25', '2026-12-26']);
    expect(isWorkingDay(DE, '2026-10-05')).toBe(true); // 3 October 2026 is a Saturday: no day off
  });

  it('observes US federal holidays on the nearest weekday, across the year boundary', () => {
    expect(isWorkingDay(US, '2021-12-31')).toBe(false); // New Year's Day 2022 fell on a Saturday
    expect(isWorkingDay(US, '2026-07-03')).toBe(false); // 4 July 2026 is a Saturday
    expect(isWorkingDay(US, '2020-06-19')).toBe(true); // Juneteenth only from 2021
  });

  it('places the cut-off in local time across daylight saving changes', () => {
    expect(cutoffInstant(DE, '2026-03-27').toISOString()).toBe('2026-03-27T17:00:00.000Z'); // CET
    expect(cutoffInstant(DE, '2026-03-30').toISOString()).toBe('2026-03-30T16:00:00.000Z'); // CEST
    expect(cutoffInstant(US, '2026-11-02').toISOString()).toBe('2026-11-02T23:00:00.000Z'); // EST
    expect(localDate(DE, '2026-03-02T23:30:00Z')).toBe('2026-03-03');
  });

  it('counts and adds working days over weekends and holidays', () => {
    expect(workingDaysBetween(DE, '2026-04-02', '2026-04-07')).toBe(1); // Good Friday, weekend, Easter Monday
    expect(addWorkingDays(GB, '2026-12-24', 1)).toBe('2026-12-29');
    expect(addWorkingDays(DE, '2026-03-02', 0)).toBe('2026-03-02');
  });
});

describe('SLA clocks', () => {
  it('counts a working day when the clock runs at its 18:00 cut-off, skipping the weekend', () => {
    const events = [ev('start', '2026-03-06T09:00:00Z')]; // Friday 10:00 in Berlin
    expect(clockView(events, T20, DE, new Date('2026-03-06T16:59:00Z')).days_used).toBe(0);
    expect(clockView(events, T20, DE, new Date('2026-03-06T17:00:00Z')).days_used).toBe(1);
    expect(clockView(events, T20, DE, new Date('2026-03-09T16:00:00Z')).days_used).toBe(1); // Monday afternoon
    expect(clockView(events, T20, DE, new Date('2026-03-09T18:00:00Z')).days_used).toBe(2);
  });

  it('skips public holidays (Easter in Germany)', () => {
    const v = clockView([ev('start', '2026-04-02T07:00:00Z')], T20, DE, new Date('2026-04-07T17:00:00Z'));
    expect(v.days_used).toBe(2); // Thursday 2 April and Tuesday 7 April
  });

  it('starts counting the next working day when a case arrives after the cut-off', () => {
    const v = clockView([ev('start', '2026-03-02T17:30:00Z')], T20, DE, new Date('2026-03-03T17:00:00Z'));
    expect(v.days_used).toBe(1);
  });

  it('does not count days on which the clock was paused at the cut-off', () => {
    const events = [ev('start', '2026-03-02T08:00:00Z'), ev('pause', '2026-03-03T09:00:00Z'), ev('resume', '2026-03-05T10:00:00Z')];
    const v = clockView(events, T20, DE, new Date('2026-03-06T18:00:00Z'));
    expect(v.days_used).toBe(3); // Monday, Thursday, Friday
    expect(v.pauses).toEqual([{ from: '2026-03-03T09:00:00Z', to: '2026-03-05T10:00:00Z', reason: null }]);
    const paused = clockView(events.slice(0, 2), T20, DE, new Date('2026-03-06T18:00:00Z'));
    expect(paused.state).toBe('paused');
    expect(paused.days_used).toBe(1);
    expect(paused.due_date).toBeNull();
  });

  it('projects the last day to decide and turns overdue after its cut-off (20 working days, LITE counting)', () => {
    const events = [ev('start', '2026-03-02T08:00:00Z')];
    const v = clockView(events, T20, DE, new Date('2026-03-02T09:00:00Z'));
    expect(v.due_date).toBe('2026-03-30'); // the 21st counted day: 4 full weeks, then Monday
    expect(v.due_at).toBe('2026-03-30T16:00:00.000Z'); // 18:00 CEST
    expect(clockView(events, T20, DE, new Date('2026-03-30T15:59:59Z'))).toMatchObject({ days_used: 20, days_left: 0, overdue: false });
    expect(clockView(events, T20, DE, new Date('2026-03-30T16:00:00Z'))).toMatchObject({ days_used: 21, days_left: -1, overdue: true, due_date: '2026-03-30' });
    // Over Easter the same target ends two working days later.
    expect(clockView([ev('start', '2026-03-23T08:00:00Z')], T20, DE, new Date('2026-03-23T09:00:00Z')).due_date).toBe('2026-04-22');
  });

  it('freezes the days used when the clock stops and says whether the target was met', () => {
    const events = [ev('start', '2026-03-02T08:00:00Z'), ev('stop', '2026-03-04T10:00:00Z')];
    const v = clockView(events, T20, DE, new Date('2026-06-01T12:00:00Z'));
    expect(v).toMatchObject({ state: 'stopped', days_used: 2, met: true, due_date: null, overdue: false });
  });

  it('counts calendar days for US targets, weekends included, with the 9-day step and the 30 days from referral', () => {
    const target = authorityProfile('US').targets.individual!;
    const events = [ev('start', '2026-03-06T14:00:00Z')]; // Friday 09:00 in New York
    const v = clockView(events, target, US, new Date('2026-03-16T23:30:00Z'), { referral_at: '2026-03-13T15:00:00Z' });
    expect(v.target).toMatchObject({ id: 'US-90', days: 90, day_type: 'calendar' });
    expect(v.days_used).toBe(11); // 6 to 16 March
    expect(v.milestones.find((m) => m.id === 'US-9')).toMatchObject({ days_used: 11, overdue: true });
    expect(v.milestones.find((m) => m.id === 'US-30')).toMatchObject({ days_used: 4, overdue: false, due_date: '2026-04-12' });
  });

  it('runs an appeal on its own clock: the case clock stays frozen, the appeal counts from zero', () => {
    const profile = authorityProfile('GB');
    const caseClock = [ev('start', '2026-03-02T09:00:00Z'), ev('pause', '2026-03-10T09:00:00Z'), ev('resume', '2026-03-16T09:00:00Z'), ev('stop', '2026-03-24T12:00:00Z')];
    const appealClock = [ev('start', '2026-04-01T10:00:00Z')];
    const now = new Date('2026-04-08T18:30:00Z');
    const c = clockView(caseClock, profile.targets.individual!, GB, now);
    const a = clockView(appealClock, profile.appeal_target, GB, now);
    // 2-6 and 9 March, paused 10-16 March (resumed before the cut-off of the 16th), 16-20 and 23 March; stopped before the 24th's cut-off.
    expect(c).toMatchObject({ state: 'stopped', days_used: 12, met: true });
    // 1, 2 April; Good Friday 3 April and Easter Monday 6 April are bank holidays; 7, 8 April.
    expect(a).toMatchObject({ state: 'running', days_used: 4, days_left: 26, target: { id: 'UK-APPEAL-HIST-30' } });
    expect(a.due_date).toBe(addWorkingDays(GB, '2026-04-08', 27));
  });

  it('refuses impossible event sequences', () => {
    expect(() => nextClockState('running', 'resume')).toThrow(expect.objectContaining({ code: 'LICENSING_CLOCK_SEQUENCE' }));
    expect(() => timeline([ev('pause', '2026-03-02T09:00:00Z')])).toThrow(expect.objectContaining({ code: 'LICENSING_CLOCK_SEQUENCE' }));
    expect(() => timeline([ev('start', '2026-03-02T09:00:00Z'), ev('stop', '2026-03-03T09:00:00Z'), ev('start', '2026-03-04T09:00:00Z')])).toThrow(
      expect.objectContaining({ code: 'LICENSING_CLOCK_SEQUENCE' }),
    );
  });

  it('never counts more with a pause than without, and never goes backwards in time (property)', () => {
    const start = Date.parse('2026-01-05T08:00:00Z');
    const day = 86_400_000;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 * day }), fc.integer({ min: 0, max: 60 * day }), fc.integer({ min: 0, max: 30 * day }), fc.integer({ min: 1, max: 90 * day }), (p, len, later, now) => {
        const pauseAt = start + p;
        const resumeAt = pauseAt + len;
        const tNow = new Date(start + now);
        const plain = clockView([ev('start', new Date(start).toISOString())], T20, GB, tNow);
        const paused = clockView(
          [ev('start', new Date(start).toISOString()), ev('pause', new Date(pauseAt).toISOString()), ev('resume', new Date(resumeAt).toISOString())].filter((e) => Date.parse(e.at) <= tNow.getTime()),
          T20,
          GB,
          tNow,
        );
        const afterwards = clockView([ev('start', new Date(start).toISOString())], T20, GB, new Date(tNow.getTime() + later));
        expect(paused.days_used).toBeLessThanOrEqual(plain.days_used);
        expect(afterwards.days_used).toBeGreaterThanOrEqual(plain.days_used);
        expect(plain.days_used).toBeLessThanOrEqual(Math.ceil(now / day) + 1);
      }),
      { numRuns: 150 },
    );
  });
});
