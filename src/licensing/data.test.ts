/**
 * The shipped licensing data against its sources in the reference data: when
 * a source changes, or a derived value drifts from it, this fails.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../shared/test-support/shared-data.js';
import { authorityProfile, licensingReference } from './reference.js';

const read = (...p: string[]) => JSON.parse(readFileSync(sharedData(...p), 'utf8'));
const process = read('compliance', 'licensing-process.json');
const timeline = (id: string) => process.timelines.find((t: { id: string }) => t.id === id);
const ref = licensingReference();

describe('licensing data provenance', () => {
  it('copies the red flags verbatim from compliance/red-flags.json', () => {
    const source = read('compliance', 'red-flags.json') as Array<{ id: string; indicator_category: string; text_summary: string; suggested_check: string; source: string }>;
    expect(ref.redFlags.data.flags.map((f) => [f.id, f.category, f.summary, f.suggested_check, f.source])).toEqual(source.map((f) => [f.id, f.indicator_category, f.text_summary, f.suggested_check, f.source]));
  });

  it('maps every EAR country group of control-lists/us-ear-country-groups.json to ISO codes', () => {
    const source = read('control-lists', 'us-ear-country-groups.json');
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    const ALIASES: Record<string, string> = { 'Czech Republic': 'CZ', 'Korea, South': 'KR', Burma: 'MM', 'China (PRC)': 'CN', 'Korea, North': 'KP', Macau: 'MO', 'Congo (Democratic Republic of)': 'CD', 'South Sudan, Republic of': 'SS' };
    expect(ref.destinationGroups.version).toBe(source.ecfr_issue_date);
    for (const [group, members] of Object.entries(source.country_groups as Record<string, string[]>)) {
      const ours = ref.destinationGroups.data.groups[group]!;
      expect(ours.label).toBe(source.country_group_labels[group]);
      expect(ours.members.map((c) => names.of(c))).toEqual(members.map((n) => (ALIASES[n] ? names.of(ALIASES[n]!) : n)));
    }
  });

  it('takes licence-type timelines and validity from licensing-process.json', () => {
    const individual = ref.licenceTypes.data.types.find((t) => t.id === 'individual')!;
    expect(individual.appeal_window_days).toBe(timeline('UK-APPEAL-28').days);
    expect(individual.intent_response_days).toBe(timeline('US-INTENT-20').days);
    expect(individual.query_response_working_days).toBe(timeline('UK-ECJU-QUERY-20').days);
    const lite = (licence: string) => process.validity_periods.find((v: { licence: string }) => v.licence === licence).default_months;
    expect(individual.default_validity_months).toBe(lite('Permanent standard licence (LITE default)'));
    expect(ref.licenceTypes.data.types.find((t) => t.id === 'global')!.max_validity_months).toBe(lite('Permanent open licence (LITE default)'));
    const eu001 = process.licence_types.eu_dual_use.items.find((i: { name: string }) => i.name === 'EU001').scope as string;
    const covered = ref.licenceTypes.data.types.find((t) => t.id === 'general_registration')!.destinations.allowed!;
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    for (const c of covered) expect(eu001, c).toContain(c === 'LI' ? 'Liechtenstein' : c === 'CH' ? 'Switzerland' : names.of(c)!);
  });

  it('takes every published SLA target from the timelines, with its day type', () => {
    for (const p of ref.authorityProfiles.data.profiles) {
      for (const t of [...Object.values(p.targets), p.appeal_target]) {
        const sourced = [t, ...(t.milestones ?? [])].filter((x) => !x.id.startsWith('FABGATE-'));
        for (const x of sourced) {
          const id = x.id === 'UK-TARGET-SIEL-60' ? 'UK-TARGET-SIEL' : x.id;
          const src = timeline(id);
          expect(src, x.id).toBeDefined();
          expect([src.days, ...(Array.isArray(src.days) ? src.days : [])], x.id).toContainEqual(x.days);
          expect(src.day_type, x.id).toBe(x.day_type);
        }
      }
    }
    expect(authorityProfile('GB').targets.individual!.days).toBe(timeline('UK-SLA-STD-20').days);
    expect(authorityProfile('FR').country).toBe('*');
  });

  it('starts from the proposed state machine: every proposed edge is in the table', () => {
    const proposal = process.proposed_state_machine;
    const ours = ref.machine.data;
    const nonTerminal = ours.states.filter((s) => !s.terminal).map((s) => s.id);
    const edges = new Set(ours.transitions.flatMap((t) => t.from.flatMap((f) => (typeof t.to === 'string' ? [t.to] : t.to.map((b) => b.state)).map((to) => `${f}->${to === '$previous' ? 'previous_state' : to}`))));
    const missing: string[] = [];
    for (const t of proposal.application_transitions as Array<{ from: string | string[]; to: string | string[] }>) {
      const froms = t.from === 'any non-terminal' ? nonTerminal : ([] as string[]).concat(t.from);
      for (const f of froms) for (const to of ([] as string[]).concat(t.to)) if (!edges.has(`${f}->${to}`)) missing.push(`${f}->${to}`);
    }
    // Each omission is a documented deviation: withdrawing a decided case or an appeal would erase a decision,
    // and a refusal always passes through the intent-to-refuse step.
    expect(missing.sort()).toEqual([
      'countersign_1->decided_refused',
      'countersign_2->decided_refused',
      'decided_approved->withdrawn',
      'decided_refused->withdrawn',
      'final_review->decided_refused',
      'under_appeal->withdrawn',
    ]);
    expect(ours.deviations.some((d) => d.startsWith('withdraw:'))).toBe(true);
    expect(ours.deviations.some((d) => d.startsWith('refuse:'))).toBe(true);
    expect(proposal.application_states.map((s: { id: string }) => s.id).sort()).toEqual(ours.states.map((s) => s.id).sort());
  });
});
