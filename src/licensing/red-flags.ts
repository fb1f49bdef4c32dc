/**
 * Red flags (data/red-flags.json, from compliance/red-flags.json) evaluated
 * against an application. Each flag names a test in the data; the tests are
 * pure functions here that say whether the flag is raised and which fields of
 * the application raised it. Flags only a person can see (the buyer's manner,
 * packaging, IP addresses) are `declared`: raised when the exporter records
 * them in `due_diligence.observed_red_flags`, otherwise not evaluable.
 */
import { FabgateError } from '../shared/errors.js';
import type { ApplicationParty, ApplicationSnapshot, PartyScreening } from './model.js';
import { destinationGroupsOf, licensingReference, type RedFlagDef } from './reference.js';

export type RedFlagStatus = 'raised' | 'not_raised' | 'not_evaluable';

export interface RedFlagResult {
  id: string;
  category: string;
  summary: string;
  evaluation: 'automatic' | 'declared';
  status: RedFlagStatus;
  /** The application fields that raised the flag (JSON paths). */
  fields: string[];
  detail: string;
}

export interface RedFlagContext {
  now: Date;
  /** Fresh screening results by party id (pre-checks); the party's own result otherwise. */
  screening?: ReadonlyMap<string, PartyScreening>;
}

type Outcome = { status: RedFlagStatus; fields?: string[]; detail: string };
type Params = Record<string, unknown>;
type Test = (app: ApplicationSnapshot, p: Params, ctx: RedFlagContext, flag: RedFlagDef) => Outcome;

const raised = (detail: string, fields: string[]): Outcome => ({ status: 'raised', fields, detail });
const notRaised = (detail: string): Outcome => ({ status: 'not_raised', detail });
const notEvaluable = (detail: string): Outcome => ({ status: 'not_evaluable', detail });
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const pf = (p: ApplicationParty, field: string) => `parties[${p.id}].${field}`;
const inRoles = (app: ApplicationSnapshot, roles: string[]) => app.parties.filter((p) => roles.length === 0 || roles.includes(p.role));
const words = (s: string) => s.trim().split(/\s+/).filter(Boolean).length;

/** Quantity of an item in kilograms, when its unit is a mass. */
const kilograms = (q: number | null, unit: string | null): number | null => (q === null ? null : unit === 'kg' ? q : unit === 'g' ? q / 1000 : null);

/** Test each party in the roles against a predicate; raise with the fields of those that match. */
function partyTest(app: ApplicationSnapshot, roles: string[], match: (p: ApplicationParty) => Hit | null, none: string): Outcome {
  const hits = inRoles(app, roles)
    .map((p) => ({ p, hit: match(p) }))
    .filter((h): h is { p: ApplicationParty; hit: Hit } => h.hit !== null);
  if (hits.length === 0) return notRaised(none);
  return raised(hits.map((h) => `${h.p.name} (${h.p.role.replace(/_/g, ' ')}): ${h.hit.why}`).join('; '), hits.map((h) => pf(h.p, h.hit.field)));
}

/** Which field of a party raised a flag, and why. */
interface Hit {
  field: string;
  why: string;
}
const hit = (field: string, why: string): Hit => ({ field, why });

export const RED_FLAG_TESTS: Record<string, Test> = {
  screening_near_match: (app, _p, ctx) => {
    const hits = app.parties
      .map((p) => ({ p, s: ctx.screening?.get(p.id) ?? p.screening }))
      .filter((x) => x.s && (x.s.status === 'potential_match' || x.s.status === 'strong_match'));
    if (hits.length === 0) return notRaised('no party resembles a listed party');
    return raised(
      hits.map((h) => `${h.p.name} resembles ${h.s!.matches[0]?.matched_name ?? 'a listed party'} (${h.s!.matches[0]?.list ?? '?'}, score ${h.s!.matches[0]?.score.toFixed(2) ?? '?'})`).join('; '),
      hits.map((h) => pf(h.p, 'screening')),
    );
  },
  end_use_vague: (app, p) => {
    const text = app.content.end_use?.text?.trim() ?? '';
    if (!text) return raised('no end use is given', ['content.end_use.text']);
    const min = num(p.min_words, 12);
    const generic = strings(p.generic_phrases);
    const norm = text.toLowerCase().replace(/[^\p{L}\p{N} ]/gu, ' ').replace(/\s+/g, ' ').trim();
    if (generic.includes(norm)) return raised(`the end use is only a generic phrase (“${text}”)`, ['content.end_use.text']);
    if (words(text) < min) return raised(`the end use is described in ${words(text)} words (fewer than ${min})`, ['content.end_use.text']);
    return notRaised('the end use is described specifically');
  },
  business_mismatch: (app, p) => {
    const sensitive = strings(p.sensitive_item_kinds);
    const kinds = app.items.filter((i) => sensitive.includes(i.kind));
    if (kinds.length === 0) return notRaised('no item of a sensitive kind');
    const unlikely = strings(p.unlikely_business_types);
    return partyTest(
      app,
      ['end_user', 'purchaser'],
      (x) => (x.business_type && unlikely.includes(x.business_type) ? hit('business_type', `a ${x.business_type.replace(/_/g, ' ')} buying ${kinds.map((k) => k.kind).join(', ')}`) : null),
      'the buyers’ business types fit the items',
    );
  },
  payment_terms: (app, p) => {
    const t = app.content.commercial?.payment_terms;
    if (!t) return notEvaluable('no payment terms given');
    return strings(p.terms).includes(t) ? raised(`payment terms: ${t.replace(/_/g, ' ')}`, ['content.commercial.payment_terms']) : notRaised(`payment terms: ${t.replace(/_/g, ' ')}`);
  },
  new_or_unverifiable_party: (app, p, ctx) => {
    const year = ctx.now.getUTCFullYear();
    const maxAge = num(p.max_age_years, 2);
    return partyTest(
      app,
      strings(p.roles),
      (x) => {
        if (x.established_year !== undefined && year - x.established_year < maxAge) return hit('established_year', `established ${x.established_year}: less than ${maxAge} years of business history`);
        if (x.type === 'organisation' && !x.registration_number) return hit('registration_number', 'no registration number: the business history cannot be verified');
        return null;
      },
      'the parties have a verifiable history',
    );
  },
  due_diligence_true: (app, p) => {
    const q = String(p.question);
    const v = (app.content.due_diligence as Record<string, unknown> | undefined)?.[q];
    if (v === undefined) return notEvaluable(`${q} not answered`);
    return v === true ? raised(`${q.replace(/_/g, ' ')}: yes`, [`content.due_diligence.${q}`]) : notRaised(`${q.replace(/_/g, ' ')}: no`);
  },
  due_diligence_false: (app, p) => {
    const q = String(p.question);
    const v = (app.content.due_diligence as Record<string, unknown> | undefined)?.[q];
    if (v === undefined) return notEvaluable(`${q} not answered`);
    return v === false ? raised(`${q.replace(/_/g, ' ')}: no`, [`content.due_diligence.${q}`]) : notRaised(`${q.replace(/_/g, ' ')}: yes`);
  },
  due_diligence_not_true: (app, p) => {
    const q = String(p.question);
    const v = (app.content.due_diligence as Record<string, unknown> | undefined)?.[q];
    if (v === undefined) return notEvaluable(`${q} not answered`);
    return v === true ? notRaised(`${q.replace(/_/g, ' ')}: yes`) : raised(`${q.replace(/_/g, ' ')}: no`, [`content.due_diligence.${q}`]);
  },
  vague_delivery: (app) => {
    const c = app.content.commercial;
    const fields: string[] = [];
    const why: string[] = [];
    if (!c?.delivery_terms && !c?.delivery_date) {
      fields.push('content.commercial.delivery_terms', 'content.commercial.delivery_date');
      why.push('neither delivery terms nor a delivery date are given');
    }
    for (const x of app.parties.filter((q) => q.role === 'consignee' && !q.address)) {
      fields.push(pf(x, 'address'));
      why.push(`the consignee ${x.name} has no address`);
    }
    return why.length ? raised(why.join('; '), fields) : notRaised('delivery terms and consignee address are given');
  },
  party_business_type: (app, p) => {
    const types = strings(p.business_types);
    return partyTest(app, strings(p.roles), (x) => (x.business_type && types.includes(x.business_type) ? hit('business_type', `a ${x.business_type.replace(/_/g, ' ')}`) : null), 'no party of these business types');
  },
  unresolved_red_flags: () => notEvaluable('evaluated after the other flags'),
  missing_document: (app, p) => {
    if (!strings(p.licence_types).includes(app.licence_type)) return notEvaluable(`not asked for a ${app.licence_type} application`);
    const dt = String(p.document_type);
    return app.documents.some((d) => d.doc_type === dt) ? notRaised(`${dt.replace(/_/g, ' ')} supplied`) : raised(`no ${dt.replace(/_/g, ' ')} was supplied`, ['documents']);
  },
  payer_not_a_party: (app) => {
    const c = app.content.commercial;
    if (c?.payer_party_id) {
      return app.parties.some((x) => x.id === c.payer_party_id) ? notRaised('the payer is a declared party') : raised('the payer is not one of the declared parties', ['content.commercial.payer_party_id']);
    }
    if (c?.payer_country) {
      const countries = new Set(app.parties.map((x) => x.country));
      return countries.has(c.payer_country)
        ? notRaised(`payment comes from ${c.payer_country}, the country of a declared party`)
        : raised(`payment comes from ${c.payer_country}, where no declared party is`, ['content.commercial.payer_country']);
    }
    return notEvaluable('the payer is not given');
  },
  webmail_contact: (app, p) => {
    const free = new Set(strings(p.free_mail_domains));
    return partyTest(
      app,
      [],
      (x) => {
        const domain = x.email?.split('@')[1]?.toLowerCase();
        return domain && free.has(domain) ? hit('email', `e-mail on the free-mail domain ${domain}`) : null;
      },
      'no party uses a free-mail address',
    );
  },
  party_address_type: (app, p) => {
    const types = strings(p.address_types);
    return partyTest(app, [], (x) => (x.address_type && types.includes(x.address_type) ? hit('address_type', `a ${x.address_type.replace(/_/g, ' ')}`) : null), 'no party at a residential or shared address');
  },
  party_without_web_presence: (app, p) =>
    partyTest(app, strings(p.roles), (x) => (x.type === 'organisation' && !x.website ? hit('website', 'no website: no online presence given') : null), 'the parties have an online presence'),
  transhipment_country: (app, p) => {
    const groups = strings(p.destination_groups);
    const finals = new Set(app.parties.filter((x) => x.role === 'end_user' || x.role === 'ultimate_end_user').map((x) => x.country));
    return partyTest(
      app,
      strings(p.roles),
      (x) => {
        if (finals.has(x.country)) return null;
        const groupsHit = destinationGroupsOf(x.country).filter((g) => groups.includes(g));
        return groupsHit.length ? hit('country', `${x.country} (Country Group ${groupsHit.join(', ')}) lies on the way to the end user`) : null;
      },
      'no intermediary in a diversion-risk country',
    );
  },
  intermediary_end_user: (app, p) => {
    const bt = strings(p.business_types);
    const at = strings(p.address_types);
    return partyTest(
      app,
      strings(p.roles),
      (x) =>
        x.business_type && bt.includes(x.business_type)
          ? hit('business_type', `a ${x.business_type.replace(/_/g, ' ')}`)
          : x.address_type && at.includes(x.address_type)
            ? hit('address_type', `located in a ${x.address_type.replace(/_/g, ' ')}`)
            : null,
      'the end user is not an intermediary',
    );
  },
  military_links_civil_use: (app, p) => {
    const military = strings(p.military_domains);
    const domains = app.content.end_use?.domains ?? [];
    if (domains.some((d) => military.includes(d))) return notRaised('the declared end use is military: no mismatch');
    const st = strings(p.sub_types);
    const bt = strings(p.business_types);
    return partyTest(
      app,
      strings(p.roles),
      (x) =>
        x.sub_type && st.includes(x.sub_type)
          ? hit('sub_type', `${x.sub_type} while the declared end use is civil`)
          : x.business_type && bt.includes(x.business_type)
            ? hit('business_type', `a ${x.business_type.replace(/_/g, ' ')} while the declared end use is civil`)
            : null,
      'no military link among the parties',
    );
  },
  quantity_beyond_volume: (app, p) => {
    const pv = app.content.production_volume;
    const factor = num(p.factor, 1.5);
    const hits: Array<{ id: string; why: string }> = [];
    for (const it of app.items) {
      if (it.quantity === null || it.unit !== 'pieces') continue;
      if (it.kind === 'printed_part' && pv?.parts_per_year !== undefined && it.quantity > factor * pv.parts_per_year) {
        hits.push({ id: it.id, why: `${it.quantity} × “${it.name}” against ${pv.parts_per_year} parts per year` });
      }
      if (it.kind === 'am_machine_component' && pv?.machines_installed !== undefined && it.quantity > factor * num(p.components_per_machine, 4) * Math.max(1, pv.machines_installed)) {
        hits.push({ id: it.id, why: `${it.quantity} × “${it.name}” for ${pv.machines_installed} installed machine(s)` });
      }
    }
    if (hits.length) return raised(hits.map((h) => h.why).join('; '), [...hits.map((h) => `items[${h.id}].quantity`), 'content.production_volume']);
    if (!pv) return notEvaluable('no production volume given');
    return notRaised('quantities fit the declared production');
  },
  feedstock_beyond_volume: (app, p) => {
    const kinds = strings(p.item_kinds);
    const feed = app.items.filter((i) => kinds.includes(i.kind));
    if (feed.length === 0) return notRaised('no feedstock ordered');
    const kg = feed.map((i) => kilograms(i.quantity, i.unit)).filter((x): x is number => x !== null);
    const per = app.content.production_volume?.feedstock_kg_per_year;
    if (per === undefined || kg.length === 0) return notEvaluable('feedstock quantity in kg or the annual feedstock consumption is not given');
    const total = kg.reduce((a, b) => a + b, 0);
    const factor = num(p.factor, 1.5);
    return total > factor * per
      ? raised(`${total} kg of feedstock ordered against ${per} kg consumed per year`, [...feed.map((i) => `items[${i.id}].quantity`), 'content.production_volume.feedstock_kg_per_year'])
      : notRaised(`${total} kg ordered, ${per} kg consumed per year`);
  },
  end_use_statement_incomplete: (app) => {
    const vocab = licensingReference().vocabularies.data;
    const el = (app.content.due_diligence?.end_use_statement_elements ?? {}) as Record<string, boolean | undefined>;
    const hasDoc = app.documents.some((d) => d.doc_type === 'end_use_statement');
    if (!hasDoc && Object.keys(el).length === 0) return notEvaluable('no end-use statement');
    const lacking = vocab.end_use_statement_elements.filter((e) => el[e.id] !== true);
    return lacking.length
      ? raised(`the end-use statement lacks: ${lacking.map((e) => e.name.toLowerCase()).join('; ')}`, lacking.map((e) => `content.due_diligence.end_use_statement_elements.${e.id}`))
      : notRaised('the end-use statement has every core element');
  },
  incomplete_party: (app, p) =>
    partyTest(
      app,
      strings(p.roles),
      (x) => (!x.address ? hit('address', 'no address') : x.type === 'organisation' && !x.registration_number && !x.website ? hit('registration_number', 'neither registration number nor website') : null),
      'the parties’ information is complete',
    ),
  declared: () => notEvaluable('only a person can observe this; not declared'),
};

/** Evaluate every red flag of the data against an application. Pure. */
export function evaluateRedFlags(app: ApplicationSnapshot, ctx: RedFlagContext, flags: RedFlagDef[] = licensingReference().redFlags.data.flags): RedFlagResult[] {
  const observed = new Map((app.content.due_diligence?.observed_red_flags ?? []).map((o, i) => [o.id, { note: o.note, i }]));
  const results = flags.map((f): RedFlagResult => {
    const test = RED_FLAG_TESTS[f.evaluation.test];
    if (!test) throw new FabgateError('LICENSING_DATA_INVALID', `red flag ${f.id} names test '${f.evaluation.test}', which is not implemented`, 'internal');
    let out = test(app, f.evaluation.params ?? {}, ctx, f);
    const declared = observed.get(f.id);
    if (declared && out.status !== 'raised') out = raised(`declared by the exporter: ${declared.note}`, [`content.due_diligence.observed_red_flags[${declared.i}]`]);
    return { id: f.id, category: f.category, summary: f.summary, evaluation: f.evaluation.kind, status: out.status, fields: out.fields ?? [], detail: out.detail };
  });
  // BIS KYC guidance (a)(2)-(a)(3): a raised flag needs a recorded follow-up; raising it without one is itself a flag.
  const resolved = new Set((app.content.due_diligence?.red_flag_resolutions ?? []).map((r) => r.flag_id));
  for (const r of results) {
    const f = flags.find((x) => x.id === r.id)!;
    if (f.evaluation.test !== 'unresolved_red_flags') continue;
    const open = results.filter((x) => x.status === 'raised' && x.id !== r.id && !resolved.has(x.id));
    if (open.length) Object.assign(r, { status: 'raised', fields: ['content.due_diligence.red_flag_resolutions'], detail: `no recorded follow-up for ${open.map((x) => x.id).join(', ')}` });
    else Object.assign(r, { status: 'not_raised', fields: [], detail: 'every raised flag has a recorded follow-up' });
  }
  return results;
}
