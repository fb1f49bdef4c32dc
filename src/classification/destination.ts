/**
 * Destination check: given a classification and a destination country, the
 * licence requirement per regime, with the reasons and with what the rule data
 * does not know said out loud. Anything the data cannot decide is
 * `needs_review` with the reason, never a guess.
 *
 * - US EAR: Country Chart columns (15 CFR 738 Supp. 1) for the entry's reasons
 *   for control, the worldwide NS/RS controls of the 2024 "9x0" entries
 *   (742.4(a)(5), 742.6(a)(10)), licence review policy by Country Group, License
 *   Exceptions as listed (IEC eligibility is unknown), part 746 embargoes.
 * - EU 2021/821: Art. 3(1) authorisation for exports of Annex I items to third
 *   countries, intra-Union transfers free except Annex IV (Art. 11), Union
 *   general export authorisation EU001 (Annex II) where the data supports it.
 * - UK, national lists, proposals: as far as their data goes.
 */
import { FabgateError } from '../shared/errors.js';
import type { Engine, LoadedRuleSet } from './evaluate.js';
import type { Entry, Licensing } from './rules/ruleset-schema.js';
import type { Classification, EntryResult, EntryStatus } from './types.js';

export type DestinationStatus =
  | 'licence_required'
  | 'general_authorisation_available'
  | 'no_licence_required'
  | 'not_controlled'
  | 'needs_information'
  | 'needs_review'
  | 'not_applicable';

/** One line of the Country Chart (or rule) for one reason for control. */
export interface ChartRow {
  reason: string;
  rule: string;
  applies_to: string;
  /** true: licence required, false: not required, null: the rule data cannot say */
  licence_required: boolean | null;
  why: string;
}

export interface EntryDestination {
  key: string;
  classification: EntryStatus;
  licence: 'required' | 'not_required' | 'unknown' | 'general_authorisation_available';
  rows: ChartRow[];
  license_exceptions?: Array<{ exception: string; text: string; note?: string }>;
  review_policy?: Array<{ destinations: string; policy: string; confidence: string; applies: boolean | null }>;
  general_authorisations?: Array<{ id: string; available: boolean | null; why: string }>;
}

export interface RegimeDestination {
  regime: string;
  rule_set: string;
  status: DestinationStatus;
  reasons: string[];
  /** what the rule data does not know for this destination */
  unknowns: string[];
  entries: EntryDestination[];
}

export interface DestinationAssessment {
  destination: { code: string; name: string; assessed_as?: string };
  regimes: RegimeDestination[];
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** Validate an ISO 3166-1 alpha-2 code (case-insensitive). Throws CLASSIFICATION_COUNTRY_UNKNOWN. */
export function normaliseCountry(code: string): { code: string; name: string } {
  const upper = code.trim().toUpperCase();
  const name = /^[A-Z]{2}$/.test(upper) ? regionNames.of(upper) : undefined;
  // ICU also names a few non-country regions with two letters (EU, UN, EZ, QO): they are not destinations.
  if (!name || ['EU', 'EZ', 'UN', 'QO', 'ZZ'].includes(upper)) {
    throw new FabgateError('CLASSIFICATION_COUNTRY_UNKNOWN', `"${code}" is not an ISO 3166-1 alpha-2 country code`, 'invalid_input', { code });
  }
  return { code: upper, name };
}

// ------------------------------------------------------------------ US EAR

type UsLicensing = Extract<Licensing, { kind: 'us-ear' }>;

const COLUMN = /^(NS|RS|MT|NP|CB|AT|FC|CC|CW|EI|SL|SI|UN)\s+Column\s+(\d)/i;

function usRow(row: NonNullable<Entry['country_chart']>[number], dest: string, lic: UsLicensing): ChartRow {
  const base = { reason: row.reason, rule: row.rule, applies_to: row.applies_to };
  if (/^worldwide/i.test(row.rule)) {
    return { ...base, licence_required: true, why: `${row.reason}: worldwide control (${row.rule.replace(/^Worldwide control;\s*/i, '')}): a licence is required for every destination.` };
  }
  const m = COLUMN.exec(row.rule);
  if (m) {
    const column = `${m[1]!.toUpperCase()}${m[2]}`;
    const free = lic.country_chart_no_license_required[column];
    if (free) {
      const required = !free.includes(dest);
      return {
        ...base,
        licence_required: required,
        why: required
          ? `${column}: the Country Chart marks ${dest} (only ${free.join(', ')} need no licence for ${column}).`
          : `${column}: ${dest} is one of the destinations the Country Chart leaves unmarked.`,
      };
    }
    if (column === 'AT1') {
      const e1 = lic.country_groups['E:1']?.members ?? [];
      const required = e1.includes(dest);
      return {
        ...base,
        licence_required: required ? true : false,
        // The AT1 column is not in the rule data; anti-terrorism controls (15 CFR 742.8 Iran, 742.9 Syria,
        // 742.19 North Korea) are those of Country Group E:1, so Fabgate reads AT1 as E:1 and says so.
        why: required
          ? `AT1: ${dest} is in Country Group E:1 (anti-terrorism controls, 15 CFR 742.8, 742.9, 742.19).`
          : `AT1: read as the Country Group E:1 destinations (${e1.join(', ')}) of the anti-terrorism controls (15 CFR 742.8, 742.9, 742.19); ${dest} is not one. The AT column itself is not in the rule data.`,
      };
    }
    return { ...base, licence_required: null, why: `${column}: the destinations of this Country Chart column are not in the rule data.` };
  }
  return { ...base, licence_required: null, why: `${row.reason}: "${row.rule}" is not resolved by the rule data.` };
}

/** Rows that apply to the whole entry (not only to some paragraphs) decide alone. */
const unconditional = (applies: string) => /^(entire entry|same$)/i.test(applies.trim());

function usEntry(res: EntryResult, entry: Entry, dest: string, lic: UsLicensing): EntryDestination {
  const rows = (entry.country_chart ?? []).map((row) => usRow(row, dest, lic));
  let licence: EntryDestination['licence'];
  if (rows.some((r) => r.licence_required === true && unconditional(r.applies_to))) licence = 'required';
  else if (rows.length > 0 && rows.every((r) => r.licence_required === false)) licence = 'not_required';
  else licence = 'unknown';
  const out: EntryDestination = { key: res.key, classification: res.status, licence, rows };
  if (entry.license_exceptions) {
    out.license_exceptions = Object.entries(entry.license_exceptions).map(([exception, text]) => ({
      exception,
      text,
      ...(exception === 'IEC' ? { note: 'Which destinations are eligible for License Exception IEC (15 CFR 740.24) is not in the rule data.' } : {}),
    }));
  }
  const dl = entry.destination_logic as { license_review_policy?: Array<{ destinations: string; policy: string; confidence: string }> } | undefined;
  if (dl?.license_review_policy) {
    const groupsOf = (text: string) => [...text.matchAll(/([A-E]:\d)/g)].map((m) => m[1]!);
    const inGroup = (g: string) => lic.country_groups[g]?.members.includes(dest) ?? false;
    let matched = false;
    out.review_policy = dl.license_review_policy.map((p) => {
      const groups = groupsOf(p.destinations);
      let applies: boolean | null;
      if (groups.length > 0) applies = groups.some(inGroup);
      else if (/all other/i.test(p.destinations)) applies = !matched;
      else applies = null;
      if (applies) matched = true;
      return { ...p, applies };
    });
  }
  return out;
}

function assessUs(c: Classification, set: LoadedRuleSet, entries: Map<string, Entry>, dest: string): RegimeDestination {
  const lic = set.ruleSet.licensing as UsLicensing;
  const assessedAs = lic.treated_as[dest] ?? dest;
  const mine = c.results.filter((r) => entries.has(r.key) && r.applicable);
  const out: RegimeDestination = { regime: set.ruleSet.regime, rule_set: set.ruleSet.id, status: 'not_controlled', reasons: [], unknowns: [], entries: [] };
  if (dest === 'US') {
    out.status = 'not_applicable';
    out.reasons.push('The destination is the United States itself: no export.');
    return out;
  }
  if (assessedAs !== dest) out.reasons.push(`${dest} is treated as ${assessedAs} under the EAR.`);
  if (lic.embargoed.includes(assessedAs)) {
    out.status = 'needs_review';
    out.reasons.push(`${assessedAs} is embargoed (Country Group E:1/E:2): 15 CFR part 746 governs, not the Country Chart; even items not on the CCL (EAR99) may need a licence.`);
    out.unknowns.push('Part 746 embargo rules are not in the rule data.');
    return out;
  }
  const controlled = mine.filter((r) => r.status === 'controlled' && r.role === 'control_entry');
  for (const r of controlled) out.entries.push(usEntry(r, entries.get(r.key)!, assessedAs, lic));
  const scope = mine.filter((r) => r.status === 'controlled' && r.role === 'scope_rule');
  for (const r of scope) out.reasons.push(`${r.key}: ${r.effect ?? 'applies'}`);
  finish(out, mine, (e) => e.licence);
  for (const e of out.entries) {
    for (const row of e.rows) if (row.licence_required === null) out.unknowns.push(`${e.key} ${row.reason}: ${row.why}`);
    for (const x of e.license_exceptions ?? []) if (x.note) out.unknowns.push(`${e.key}: ${x.note}`);
    for (const p of e.review_policy ?? []) if (p.applies) out.reasons.push(`${e.key}: licence review policy for ${p.destinations}: ${p.policy} (${p.confidence}).`);
  }
  return out;
}

// ------------------------------------------------------------------ EU

type EuLicensing = Extract<Licensing, { kind: 'eu-dual-use' }>;

function assessEu(c: Classification, set: LoadedRuleSet, entries: Map<string, Entry>, dest: string): RegimeDestination {
  const lic = set.ruleSet.licensing as EuLicensing;
  const mine = c.results.filter((r) => entries.has(r.key) && r.applicable);
  const out: RegimeDestination = { regime: set.ruleSet.regime, rule_set: set.ruleSet.id, status: 'not_controlled', reasons: [], unknowns: [], entries: [] };
  const controlled = mine.filter((r) => r.status === 'controlled');
  const intraEu = lic.member_states.includes(dest);
  for (const r of controlled) {
    if (intraEu) {
      const inAnnexIv = lic.annex_iv_entries === null ? null : lic.annex_iv_entries.includes(r.key);
      out.entries.push({
        key: r.key,
        classification: r.status,
        licence: inAnnexIv === null ? 'unknown' : inAnnexIv ? 'required' : 'not_required',
        rows: [
          {
            reason: 'intra-Union transfer',
            rule: 'Reg. (EU) 2021/821 Art. 11 and Annex IV',
            applies_to: 'Annex IV items only',
            licence_required: inAnnexIv,
            why:
              inAnnexIv === null
                ? `${dest} is an EU Member State: a transfer needs an authorisation only if ${r.key} is listed in Annex IV, which the rule data does not record.`
                : inAnnexIv
                  ? `${r.key} is listed in Annex IV: an intra-Union transfer needs an authorisation.`
                  : `${r.key} is not in Annex IV: the intra-Union transfer is free.`,
          },
        ],
      });
      continue;
    }
    const gas = lic.general_authorisations.map((ga) => {
      if (!ga.destinations.includes(dest)) return { id: ga.id, available: false, why: `${dest} is not a destination of ${ga.id}.` };
      if (ga.entries_known_eligible.includes(r.key)) return { id: ga.id, available: true, why: `${dest} is a destination of ${ga.id} and ${r.key} is not excluded by Annex II (per the source data, to be verified).` };
      return { id: ga.id, available: null, why: `${dest} is a destination of ${ga.id}, but whether Annex II excludes ${r.key} is not in the rule data.` };
    });
    const available = gas.find((g) => g.available === true);
    out.entries.push({
      key: r.key,
      classification: r.status,
      licence: available ? 'general_authorisation_available' : 'required',
      rows: [
        {
          reason: 'export of an Annex I item',
          rule: 'Reg. (EU) 2021/821 Art. 3(1)',
          applies_to: 'entire entry',
          licence_required: true,
          why: `${dest} is outside the EU customs territory: an authorisation is required${available ? `, and ${available.id} can be used (subject to its conditions and the Member State's registration)` : ''}.`,
        },
      ],
      general_authorisations: gas,
    });
  }
  finish(out, mine, (e) => e.licence);
  for (const e of out.entries) {
    for (const row of e.rows) if (row.licence_required === null) out.unknowns.push(`${e.key}: ${row.why}`);
    for (const g of e.general_authorisations ?? []) if (g.available === null) out.unknowns.push(`${e.key}: ${g.why}`);
  }
  out.reasons.push(...lic.notes.filter((n) => /Art\. 4/.test(n)));
  return out;
}

// ------------------------------------------------------------------ UK, national lists, reference lists, proposals

function assessOther(c: Classification, set: LoadedRuleSet, entries: Map<string, Entry>, dest: string): RegimeDestination {
  const lic = set.ruleSet.licensing;
  const mine = c.results.filter((r) => entries.has(r.key) && r.applicable);
  const out: RegimeDestination = { regime: set.ruleSet.regime, rule_set: set.ruleSet.id, status: 'not_controlled', reasons: [], unknowns: [], entries: [] };
  const touched = mine.filter((r) => r.status === 'controlled' || r.status === 'needs_review');
  const row = (r: EntryResult, licence_required: boolean | null, rule: string, why: string): EntryDestination => ({
    key: r.key,
    classification: r.status,
    licence: licence_required === null ? 'unknown' : licence_required ? 'required' : 'not_required',
    rows: [{ reason: 'list entry', rule, applies_to: 'entire entry', licence_required, why }],
  });
  switch (lic.kind) {
    case 'all-destinations': {
      if (dest === 'GB') {
        out.status = 'not_applicable';
        out.reasons.push('The destination is the United Kingdom itself: no export.');
        return out;
      }
      for (const r of touched) {
        out.entries.push(row(r, true, lic.notes[0] ?? 'all destinations', `A licence is required for every destination${r.status === 'needs_review' ? ' if the entry applies (its classification needs review)' : ''}.`));
      }
      out.reasons.push(...lic.notes.slice(1));
      break;
    }
    case 'national': {
      if (dest === lic.exporting_state) {
        out.status = 'not_applicable';
        out.reasons.push(`The destination is the exporting state (${dest}) itself.`);
        return out;
      }
      const free = lic.free_destinations.includes(dest);
      for (const r of touched) {
        out.entries.push(row(r, !free, lic.notes[0] ?? 'national list', free ? `${dest} is another EU Member State: the national list controls exports outside the EU.` : `${dest} is outside the EU: a licence is required.`));
      }
      break;
    }
    case 'reference':
      out.status = 'not_applicable';
      out.reasons.push(...lic.notes);
      return out;
    default:
      for (const r of touched) out.entries.push(row(r, null, 'unknown', `Licence requirements for this entry are not known: ${lic.notes.join(' ')}`));
      out.unknowns.push(...lic.notes);
  }
  finish(out, mine, (e) => e.licence);
  return out;
}

/**
 * Regime status from its entries: a licence is required if any controlled entry
 * needs one; the classification's own open questions come next, because they
 * could add a requirement.
 */
function finish(out: RegimeDestination, mine: EntryResult[], licence: (e: EntryDestination) => EntryDestination['licence']): void {
  const decided = out.entries.filter((e) => e.classification === 'controlled');
  const undecided = out.entries.filter((e) => e.classification !== 'controlled');
  const info = mine.filter((r) => r.status === 'needs_information').map((r) => r.key);
  const review = mine.filter((r) => r.status === 'needs_review').map((r) => r.key);
  let status: DestinationStatus;
  if (decided.some((e) => licence(e) === 'required')) status = 'licence_required';
  else if (decided.some((e) => licence(e) === 'unknown')) status = 'needs_review';
  else if (info.length > 0) status = 'needs_information';
  else if (review.length > 0 || undecided.length > 0) status = 'needs_review';
  else if (decided.length > 0 && decided.every((e) => licence(e) === 'general_authorisation_available' || licence(e) === 'not_required')) {
    status = decided.some((e) => licence(e) === 'general_authorisation_available') ? 'general_authorisation_available' : 'no_licence_required';
  } else status = 'not_controlled';
  out.status = status;
  for (const e of out.entries) for (const r of e.rows) if (r.licence_required !== null) out.reasons.push(`${e.key}: ${r.why}`);
  if (info.length > 0) out.reasons.push(`Classification incomplete for ${info.join(', ')}: supply the missing parameters; they could add a licence requirement.`);
  if (review.length > 0) out.reasons.push(`Classification needs an officer's review for ${review.join(', ')}.`);
  if (status === 'not_controlled') out.reasons.push('No entry of this regime controls the item; catch-all controls (end use, end user, embargoes) still apply.');
}

/** The licence requirement for `destination` under every regime the classification used. */
export function assessDestination(c: Classification, destination: string, engine: Engine): DestinationAssessment {
  const { code, name } = normaliseCountry(destination);
  const regimes: RegimeDestination[] = [];
  for (const ref of c.rule_sets) {
    const set = engine.ruleSets.find((s) => s.ruleSet.id === ref.id);
    if (!set) continue;
    const entries = new Map(set.ruleSet.entries.map((e) => [e.key, e]));
    switch (set.ruleSet.licensing.kind) {
      case 'us-ear':
        regimes.push(assessUs(c, set, entries, code));
        break;
      case 'eu-dual-use':
        regimes.push(assessEu(c, set, entries, code));
        break;
      default:
        regimes.push(assessOther(c, set, entries, code));
    }
  }
  const us = engine.ruleSets.find((s) => s.ruleSet.licensing.kind === 'us-ear')?.ruleSet.licensing as UsLicensing | undefined;
  const assessedAs = us?.treated_as[code];
  return { destination: { code, name, ...(assessedAs ? { assessed_as: assessedAs } : {}) }, regimes };
}
