import { describe, expect, it } from 'vitest';
import { licensingReference } from './reference.js';
import { routeCase, type RoutingFacts } from './routing.js';

const facts = (over: Partial<RoutingFacts> = {}): RoutingFacts => ({
  state: 'initial_checks',
  case_type: 'individual',
  flags: [],
  destinations: ['US'],
  destination_groups: ['A:1', 'A:5'],
  item_entries: ['US-EAR:2B910', 'EU-2021/821:2B510'],
  risk_band: 'low',
  ...over,
});

describe('routing rules', () => {
  it('places a plain case in standard casework and explains why, with the rule-set version', () => {
    const r = routeCase(facts(), true);
    expect(r).toMatchObject({ queue: 'standard', rule_id: 'standard', rules_version: licensingReference().routing.version });
    expect(r.matched).toEqual([{ condition: 'case_type_in', expected: ['individual', 'global'], actual: ['individual'], held: true }]);
    expect(r.passed_over.map((p) => p.rule_id)).toEqual(['appeals', 'countersigning', 'intent-window', 'registration', 'screening-hits', 'embargoed', 'high-risk', 'general-registration', 'technology']);
    expect(r.summary).toBe('Rule standard (tier 10) placed the case in standard: case type in: individual.');
  });

  it('lets the lower tier win and says which values satisfied it', () => {
    const r = routeCase(facts({ flags: ['screening_potential_match', 'red_flag:BIS-RF-01'], destination_groups: ['D:1', 'D:5'], risk_band: 'high' }), true);
    expect(r.queue).toBe('screening-review');
    expect(r.matched[0]!.actual).toEqual(['screening_potential_match']);
    expect(routeCase(facts({ destination_groups: ['D:1', 'D:5'], risk_band: 'high' }), true).queue).toBe('embargo-and-sensitive-destinations');
    expect(routeCase(facts({ risk_band: 'critical' }), true).queue).toBe('high-risk');
  });

  it('routes technology by control-list entry pattern, registrations unless a flag excludes them, and states', () => {
    const tech = routeCase(facts({ item_entries: ['US-EAR:2E910'] }), true);
    expect(tech).toMatchObject({ queue: 'technology-transfer', matched: [{ condition: 'item_entry_any', actual: ['US-EAR:2E910'] }] });
    expect(routeCase(facts({ case_type: 'general_registration' }), true).queue).toBe('general-registrations');
    expect(routeCase(facts({ case_type: 'general_registration', flags: ['red_flag:BIS-KYC-02'] }), true).queue).toBe('standard');
    expect(routeCase(facts({ state: 'countersign_2' }), true).queue).toBe('countersigning');
    expect(routeCase(facts({ state: 'under_appeal', case_type: 'general_registration' }), true).queue).toBe('appeals');
  });

  it('takes a closed case out of every queue', () => {
    expect(routeCase(facts({ state: 'withdrawn' }), false)).toMatchObject({ queue: null, rule_id: null });
  });
});
