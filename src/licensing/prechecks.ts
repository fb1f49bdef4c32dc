/**
 * Automated pre-checks, run when a case is submitted and again whenever its
 * inputs change: classification of every item, screening of every party, the
 * red flags, and the destination rules (EAR country groups, and the licence
 * requirement per regime where the classifier can tell). The result is
 * attached to the case with the versions it ran against and the digest of
 * the inputs, so a stale result is visible as such.
 */
import { canonicalJson } from '../ledger/core/canonical-json.js';
import { sha256Hex } from '../shared/ids.js';
import { countryName } from './countries.js';
import type { ApplicationSnapshot, ItemClassificationSummary, PartyScreening, RuleSetStamp } from './model.js';
import { evaluateRedFlags, type RedFlagResult } from './red-flags.js';
import { destinationGroupsOf, licensingReference } from './reference.js';
import type { DestinationFinding, ItemClassifier, PartyScreener, SeamContext } from './seams.js';

export interface ItemPrecheck {
  item_id: string;
  name: string;
  kind: string;
  status: ItemClassificationSummary['status'];
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  /** The authority's classification differs from the one the applicant submitted. */
  differs_from_application: boolean;
  /** Amendments: an unchanged item keeps its earlier result. */
  carried_over: boolean;
  error?: { code: string; message: string };
}

export interface PartyPrecheck {
  party_id: string;
  name: string;
  role: string;
  country: string;
  status: PartyScreening['status'];
  list_version: string | null;
  matches: PartyScreening['matches'];
  carried_over: boolean;
  reason?: string;
}

export interface DestinationPrecheck {
  country: string;
  name: string;
  groups: Array<{ id: string; label: string }>;
  embargoed: boolean;
  /** Per item: the licence requirement per regime (when the classifier can tell). */
  findings: Array<{ item_id: string } & DestinationFinding>;
}

export interface PrecheckResult {
  ran_at: string;
  inputs_sha256: string;
  versions: { rule_sets: RuleSetStamp[]; list_version: string | null; red_flags: string; destination_groups: string };
  classification: ItemPrecheck[];
  screening: PartyPrecheck[];
  red_flags: RedFlagResult[];
  destinations: DestinationPrecheck[];
  /** Case flags derived from the results (routing, countersigning and blocking read these). */
  flags: string[];
}

/**
 * The digest of everything the applicant supplies: when it changes, the
 * pre-checks are stale. Screening and classification results are not inputs.
 */
export function applicationInputsDigest(app: ApplicationSnapshot): string {
  return sha256Hex(
    canonicalJson({
      licence_type: app.licence_type,
      content: app.content,
      items: app.items.map((i) => ({ id: i.id, spec: i.spec_sha256, quantity: i.quantity, unit: i.unit, value: i.value })),
      parties: app.parties.map(({ screening: _s, origin_id: _o, ...p }) => p),
      documents: app.documents.map((d) => ({ type: d.doc_type, sha256: d.sha256 })),
    }),
  );
}

const EMBARGO_GROUPS = ['E:1', 'E:2'];

/** The flags a pre-check result carries. Pure. */
export function precheckFlags(r: Omit<PrecheckResult, 'flags'>, kind: ApplicationSnapshot['kind']): string[] {
  const flags = new Set<string>();
  for (const c of r.classification) {
    if (c.status === 'controlled') flags.add('classification_controlled');
    if (c.status === 'needs_review') flags.add('classification_needs_review');
    if (c.status === 'needs_information') flags.add('classification_needs_information');
    if (c.status === 'invalid') flags.add('classification_invalid');
    if (c.differs_from_application) flags.add('classification_differs');
  }
  for (const s of r.screening) if (s.status !== 'clear') flags.add(`screening_${s.status}`);
  for (const d of r.destinations) {
    const g = d.groups.map((x) => x.id);
    if (g.some((x) => EMBARGO_GROUPS.includes(x))) flags.add('embargoed_destination');
    if (g.includes('D:5')) flags.add('arms_embargoed_destination');
    if (g.includes('D:1')) flags.add('national_security_destination');
  }
  const findings = r.destinations.flatMap((d) => d.findings.flatMap((f) => f.regimes));
  if (findings.length > 0 && findings.every((f) => ['no_licence_required', 'not_controlled', 'not_applicable'].includes(f.status))) flags.add('no_licence_required_indicated');
  for (const f of r.red_flags) if (f.status === 'raised') flags.add(`red_flag:${f.id}`);
  if (kind !== 'new') flags.add('amendment');
  return [...flags].sort();
}

const sameSummary = (a: ItemClassificationSummary | null, b: ItemClassificationSummary) =>
  !!a && a.status === b.status && canonicalJson([...a.controlled_by].sort()) === canonicalJson([...b.controlled_by].sort());

/** Run the pre-checks. `carriedOver` holds the item and party ids an amendment leaves unchanged. */
export async function runPrechecks(
  app: ApplicationSnapshot,
  deps: { classifier: ItemClassifier; screener: PartyScreener; now: Date; carriedOver?: { items: ReadonlySet<string>; parties: ReadonlySet<string> }; ctx?: SeamContext },
): Promise<PrecheckResult> {
  const { classifier, screener, now, ctx } = deps;
  const carried = deps.carriedOver ?? { items: new Set<string>(), parties: new Set<string>() };
  const ref = licensingReference();

  const classification: ItemPrecheck[] = [];
  for (const it of app.items) {
    const keep = carried.items.has(it.id) && it.classification;
    const s = keep ? it.classification! : await classifier.classify(it.spec, now, ctx);
    classification.push({
      item_id: it.id,
      name: it.name,
      kind: it.kind,
      status: s.status,
      controlled_by: s.controlled_by,
      needs_information: s.needs_information,
      needs_review: s.needs_review,
      differs_from_application: !keep && !sameSummary(it.classification, s),
      carried_over: !!keep,
      ...(s.error ? { error: s.error } : {}),
    });
  }

  const fresh = app.parties.filter((p) => !(carried.parties.has(p.id) && p.screening));
  const screened = await screener.screen(
    fresh.map((p) => ({ id: p.id, name: p.name, country: p.country, type: p.type, ...(p.date_of_birth ? { dob: p.date_of_birth } : {}) })),
    now,
    ctx,
  );
  const screening: PartyPrecheck[] = app.parties.map((p) => {
    const kept = !fresh.includes(p);
    const s = kept ? p.screening! : screened.get(p.id)!;
    return { party_id: p.id, name: p.name, role: p.role, country: p.country, status: s.status, list_version: s.list_version, matches: s.matches, carried_over: kept, ...(s.reason ? { reason: s.reason } : {}) };
  });

  const red_flags = evaluateRedFlags(app, { now, screening: screened });

  const destinations: DestinationPrecheck[] = [];
  for (const country of app.content.destinations ?? []) {
    const groups = destinationGroupsOf(country).map((id) => ({ id, label: ref.destinationGroups.data.groups[id]!.label }));
    const findings: DestinationPrecheck['findings'] = [];
    if (classifier.destination) {
      for (const it of app.items) {
        const f = await classifier.destination(it.spec, country, ctx);
        if (f) findings.push({ item_id: it.id, ...f });
      }
    }
    destinations.push({ country, name: countryName(country), groups, embargoed: groups.some((g) => EMBARGO_GROUPS.includes(g.id)), findings });
  }

  const base = {
    ran_at: now.toISOString(),
    inputs_sha256: applicationInputsDigest(app),
    versions: { rule_sets: await classifier.ruleSets(ctx), list_version: await screener.listVersion(ctx), red_flags: ref.redFlags.version, destination_groups: ref.destinationGroups.version },
    classification,
    screening,
    red_flags,
    destinations,
  };
  return { ...base, flags: precheckFlags(base, app.kind) };
}
