/**
 * Risk assessment: a score built from the standard indicators — application
 * domain, technical complexity, production scale, due-diligence evidence,
 * destination, party history and red flags — where every point has a line
 * saying what was observed, how many points it gave and where the rule and
 * the fact come from. Weights and thresholds are configuration
 * (data/risk-config.json), and each assessment records the configuration
 * version and digest it was computed with. Never an opaque number.
 */
import type { DueDiligence, ItemClassificationSummary, ProductionVolume } from './model.js';
import type { RedFlagResult } from './red-flags.js';
import { destinationGroupsOf, licensingReference, type RiskConfig, type Versioned } from './reference.js';

export interface RiskInput {
  domains: string[];
  items: Array<{ id: string; name: string; kind: string; classification: ItemClassificationSummary | null; quantity: number | null; unit: string | null }>;
  production_volume: ProductionVolume | undefined;
  due_diligence: DueDiligence;
  document_types: string[];
  destinations: string[];
  /** Earlier decisions of the same authority naming a party of the same name and country. */
  party_history: Array<{ party_id: string; name: string; prior_refusals: string[]; prior_approvals: string[] }>;
  screening: Array<{ party_id: string; name: string; status: 'clear' | 'potential_match' | 'strong_match' | 'unavailable' }>;
  red_flags: RedFlagResult[];
  /** Case flags (pre-checks), for the countersigning rules. */
  flags: string[];
}

export type RiskIndicator = 'application_domain' | 'technical_complexity' | 'production_scale' | 'due_diligence' | 'destination' | 'party_history' | 'red_flags';

export interface RiskContribution {
  indicator: RiskIndicator;
  points: number;
  /** What was observed in the case. */
  observed: string;
  /** Where the rule and its weight come from. */
  source: string;
  /** The application fields the observation is about. */
  fields: string[];
}

export interface RiskAssessment {
  config_version: string;
  config_sha256: string;
  score: number;
  band: string;
  /** Points per indicator (sum of its contributions). */
  by_indicator: Record<RiskIndicator, number>;
  contributions: RiskContribution[];
  countersignatures_required: number;
  countersign_reasons: string[];
}

const cfgSource = (cfg: Versioned<RiskConfig>, path: string) => `risk-config.json ${cfg.version} ${path}`;

/** Assess the risk of a case. Pure: the same input and configuration always give the same assessment. */
export function assessRisk(input: RiskInput, cfg: Versioned<RiskConfig> = licensingReference().risk): RiskAssessment {
  const c = cfg.data.indicators;
  const out: RiskContribution[] = [];
  const add = (indicator: RiskIndicator, points: number, observed: string, source: string, fields: string[] = []) => out.push({ indicator, points, observed, source, fields });

  /* application domain: the most sensitive declared domain */
  if (input.domains.length === 0) add('application_domain', c.application_domain.missing, 'no application domain declared', cfgSource(cfg, 'indicators.application_domain.missing'), ['content.end_use.domains']);
  else {
    const ranked = input.domains.map((d) => ({ d, w: c.application_domain.weights[d] ?? c.application_domain.missing })).sort((a, b) => b.w - a.w);
    const top = ranked[0]!;
    add('application_domain', top.w, `declared domains: ${input.domains.join(', ')}; the most sensitive is ${top.d}`, cfgSource(cfg, `indicators.application_domain.weights.${top.d}`), ['content.end_use.domains']);
  }

  /* technical complexity: controlled entries, open entries, item kind */
  const controlled = new Set(input.items.flatMap((i) => i.classification?.controlled_by ?? []));
  const open = new Set(input.items.flatMap((i) => [...(i.classification?.needs_information ?? []), ...(i.classification?.needs_review ?? [])]));
  if (controlled.size) {
    add(
      'technical_complexity',
      Math.min(c.technical_complexity.controlled_cap, controlled.size * c.technical_complexity.per_controlled_entry),
      `controlled by ${[...controlled].join(', ')}`,
      `${cfgSource(cfg, 'indicators.technical_complexity.per_controlled_entry')}; classification of the items (rule sets ${[...new Set(input.items.flatMap((i) => i.classification?.rule_sets.map((r) => `${r.id} ${r.version}`) ?? []))].join(', ')})`,
      input.items.map((i) => `items[${i.id}].classification`),
    );
  }
  if (open.size) {
    add(
      'technical_complexity',
      Math.min(c.technical_complexity.open_cap, open.size * c.technical_complexity.per_open_entry),
      `${open.size} entr${open.size === 1 ? 'y' : 'ies'} still open (needs information or review): ${[...open].join(', ')}`,
      cfgSource(cfg, 'indicators.technical_complexity.per_open_entry'),
      input.items.map((i) => `items[${i.id}].spec`),
    );
  }
  const kinds = input.items.map((i) => ({ i, w: c.technical_complexity.item_kind[i.kind] ?? 0 })).sort((a, b) => b.w - a.w);
  if (kinds.length && kinds[0]!.w !== 0) {
    add('technical_complexity', kinds[0]!.w, `most complex item kind: ${kinds[0]!.i.kind} (“${kinds[0]!.i.name}”)`, cfgSource(cfg, `indicators.technical_complexity.item_kind.${kinds[0]!.i.kind}`), [`items[${kinds[0]!.i.id}].spec.kind`]);
  }

  /* production scale */
  const pv = input.production_volume;
  if (pv?.parts_per_year === undefined) add('production_scale', c.production_scale.missing, 'annual production not declared', cfgSource(cfg, 'indicators.production_scale.missing'), ['content.production_volume']);
  else {
    const idx = c.production_scale.bands.findIndex((b) => b.up_to === null || pv.parts_per_year! <= b.up_to);
    const band = c.production_scale.bands[idx]!;
    add(
      'production_scale',
      band.points,
      `${pv.parts_per_year} parts per year (band ${band.up_to === null ? `over ${c.production_scale.bands[idx - 1]?.up_to ?? 0}` : `up to ${band.up_to}`})`,
      cfgSource(cfg, `indicators.production_scale.bands[${idx}]`),
      ['content.production_volume.parts_per_year'],
    );
  }

  /* due diligence evidence */
  for (const [id, w] of Object.entries(c.due_diligence.evidence)) {
    const present = id === 'end_use_statement_document' ? input.document_types.includes('end_use_statement') : (input.due_diligence as Record<string, unknown>)[id] === true;
    const label = id.replace(/_/g, ' ');
    add('due_diligence', present ? w.present : w.absent, present ? `evidence held: ${label}` : `evidence missing: ${label}`, cfgSource(cfg, `indicators.due_diligence.evidence.${id}.${present ? 'present' : 'absent'}`), [
      id === 'end_use_statement_document' ? 'documents' : `content.due_diligence.${id}`,
    ]);
  }

  /* destination: the most sensitive destination decides */
  const groupsSource = `destination-groups.json ${licensingReference().destinationGroups.version} (15 CFR 740 Supp. 1)`;
  let best: { d: string; points: number; observed: string; path: string } | null = null;
  for (const d of input.destinations) {
    const groups = destinationGroupsOf(d);
    const g = c.destination.groups.find((x) => groups.includes(x.group));
    const cand = g
      ? { d, points: g.points, observed: `${d} is in Country Group ${g.group} (${licensingReference().destinationGroups.data.groups[g.group]!.label})`, path: `indicators.destination.groups[${g.group}]` }
      : !groups.includes(c.destination.outside_group.group)
        ? { d, points: c.destination.outside_group.points, observed: `${d} is outside Country Group ${c.destination.outside_group.group}`, path: 'indicators.destination.outside_group' }
        : { d, points: 0, observed: `${d} is in Country Group ${c.destination.outside_group.group} and in no group of concern`, path: 'indicators.destination' };
    if (!best || cand.points > best.points) best = cand;
  }
  if (best) add('destination', best.points, best.observed, `${cfgSource(cfg, best.path)}; ${groupsSource}`, ['content.destinations']);

  /* party history and current screening */
  const ph = c.party_history;
  const refusals = input.party_history.flatMap((p) => p.prior_refusals.map((r) => ({ p, r })));
  const approvals = input.party_history.flatMap((p) => p.prior_approvals.map((r) => ({ p, r })));
  if (refusals.length) {
    add(
      'party_history',
      Math.min(ph.refusal_cap, refusals.length * ph.per_prior_refusal),
      `earlier refusals naming ${[...new Set(refusals.map((x) => x.p.name))].join(', ')}: ${refusals.map((x) => x.r).join(', ')}`,
      `${cfgSource(cfg, 'indicators.party_history.per_prior_refusal')}; decisions of this authority`,
      [...new Set(refusals.map((x) => `parties[${x.p.party_id}]`))],
    );
  }
  if (approvals.length) {
    add(
      'party_history',
      Math.max(ph.approval_cap, approvals.length * ph.per_prior_approval),
      `earlier approvals naming ${[...new Set(approvals.map((x) => x.p.name))].join(', ')}: ${approvals.map((x) => x.r).join(', ')}`,
      `${cfgSource(cfg, 'indicators.party_history.per_prior_approval')}; decisions of this authority`,
      [...new Set(approvals.map((x) => `parties[${x.p.party_id}]`))],
    );
  }
  for (const s of input.screening) {
    if (s.status === 'clear') continue;
    add('party_history', ph.screening[s.status], `screening of ${s.name}: ${s.status.replace(/_/g, ' ')}`, `${cfgSource(cfg, `indicators.party_history.screening.${s.status}`)}; screening pre-check`, [`parties[${s.party_id}].screening`]);
  }

  /* red flags */
  for (const f of input.red_flags.filter((x) => x.status === 'raised')) {
    const override = c.red_flags.overrides[f.id];
    const points = override ?? c.red_flags.category_points[f.category] ?? 0;
    add('red_flags', points, `${f.id}: ${f.detail}`, `${cfgSource(cfg, override !== undefined ? `indicators.red_flags.overrides.${f.id}` : `indicators.red_flags.category_points.${f.category}`)}; red-flags.json ${f.id}`, f.fields);
  }

  const score = out.reduce((s, x) => s + x.points, 0);
  const band = [...cfg.data.bands].sort((a, b) => b.min - a.min).find((b) => score >= b.min)!.id;
  const by_indicator = { application_domain: 0, technical_complexity: 0, production_scale: 0, due_diligence: 0, destination: 0, party_history: 0, red_flags: 0 } as Record<RiskIndicator, number>;
  for (const x of out) by_indicator[x.indicator] += x.points;

  const reasons: string[] = [];
  let required = cfg.data.countersignatures.by_band[band] ?? 0;
  if (required) reasons.push(`risk band ${band}: ${required}`);
  for (const flag of input.flags) {
    const n = cfg.data.countersignatures.by_flag[flag];
    if (n) {
      reasons.push(`flag ${flag}: ${n}`);
      required = Math.max(required, n);
    }
  }
  return { config_version: cfg.version, config_sha256: cfg.sha256, score, band, by_indicator, contributions: out, countersignatures_required: required, countersign_reasons: reasons };
}
