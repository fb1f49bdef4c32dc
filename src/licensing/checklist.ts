/**
 * The completeness checklist of an application, computed live from the
 * application and its licence type: what is missing, what is inconsistent
 * (a party screened against an older list version, an item classified under
 * an outdated rule set, an end user outside the destinations), and warnings
 * that do not block. Submission is refused until no entry is missing or
 * inconsistent (state machine guard `checklist_clear`).
 */
import type { ApplicationSnapshot, RuleSetStamp } from './model.js';
import { CURRENCIES } from './model.js';
import { isCountryCode } from './countries.js';
import { licensingReference, type LicenceType } from './reference.js';

export type ChecklistStatus = 'ok' | 'missing' | 'inconsistent' | 'warning';

export interface ChecklistEntry {
  /** Stable id of the check, e.g. `parties.role.end_user` or `items.<item id>.rule_sets`. */
  id: string;
  section: 'authority' | 'items' | 'destinations' | 'parties' | 'end_use' | 'production_volume' | 'documents' | 'due_diligence' | 'declaration' | 'validity' | 'commercial' | 'amendment';
  status: ChecklistStatus;
  message: string;
  /** The application fields the entry is about (JSON paths). */
  fields: string[];
}

export interface Checklist {
  clear: boolean;
  missing: number;
  inconsistent: number;
  warnings: number;
  entries: ChecklistEntry[];
}

export interface ChecklistContext {
  /** The rule sets the classifier uses now. */
  ruleSets: RuleSetStamp[];
  /** The list version screening uses now; null when no list is loaded. */
  listVersion: string | null;
  /** Licence amendments: quantity already used per licence item (origin id), and whether anything changed. */
  amendment?: { used: ReadonlyMap<string, number>; changes: number };
}

const MIN_END_USE_CHARS = 30;

/** Compare stamps by regime: which rule sets differ from the ones in force. */
function outdatedRuleSets(used: RuleSetStamp[], current: RuleSetStamp[]): Array<{ regime: string; used: string; current: string | null }> {
  const now = new Map(current.map((r) => [r.regime, r]));
  const out: Array<{ regime: string; used: string; current: string | null }> = [];
  for (const u of used) {
    const c = now.get(u.regime);
    if (!c || c.sha256 !== u.sha256) out.push({ regime: u.regime, used: `${u.id} ${u.version}`, current: c ? `${c.id} ${c.version}` : null });
  }
  for (const c of current) if (!used.some((u) => u.regime === c.regime)) out.push({ regime: c.regime, used: '(not used)', current: `${c.id} ${c.version}` });
  return out;
}

/** Compute the checklist of an application against its licence type. Pure. */
export function completenessChecklist(type: LicenceType, app: ApplicationSnapshot, ctx: ChecklistContext): Checklist {
  const entries: ChecklistEntry[] = [];
  const add = (e: ChecklistEntry) => entries.push(e);
  const okIf = (cond: boolean, e: Omit<ChecklistEntry, 'status'> & { status: Exclude<ChecklistStatus, 'ok'>; okMessage: string }) => {
    const { okMessage, ...rest } = e;
    add(cond ? { ...rest, status: 'ok', message: okMessage } : rest);
  };
  const sections = new Set(type.required_sections);
  const c = app.content;
  const vocab = licensingReference().vocabularies.data;

  okIf(app.authority_id !== null, {
    id: 'authority',
    section: 'authority',
    status: 'missing',
    message: 'Choose the licensing authority the application goes to.',
    okMessage: 'Authority chosen.',
    fields: ['authority_id'],
  });

  /* items */
  okIf(app.items.length > 0, { id: 'items.present', section: 'items', status: 'missing', message: 'Add at least one item.', okMessage: `${app.items.length} item(s).`, fields: ['items'] });
  for (const it of app.items) {
    const f = `items[${it.id}]`;
    if (type.quantities === 'required') {
      okIf(it.quantity !== null && it.quantity > 0 && it.unit !== null, {
        id: `items.${it.id}.quantity`,
        section: 'items',
        status: 'missing',
        message: `Give the quantity and unit of “${it.name}”.`,
        okMessage: `Quantity of “${it.name}” given.`,
        fields: [`${f}.quantity`, `${f}.unit`],
      });
    }
    if (type.quantities === 'none' && it.quantity !== null) {
      add({ id: `items.${it.id}.quantity`, section: 'items', status: 'warning', message: `A ${type.name} carries no quantities; the quantity of “${it.name}” is ignored.`, fields: [`${f}.quantity`] });
    }
    if (type.values === 'required') {
      const v = it.value;
      if (!v) add({ id: `items.${it.id}.value`, section: 'items', status: 'missing', message: `Give the value of “${it.name}”.`, fields: [`${f}.value`] });
      else if (!CURRENCIES.has(v.currency)) add({ id: `items.${it.id}.value`, section: 'items', status: 'inconsistent', message: `“${v.currency}” is not an ISO 4217 currency.`, fields: [`${f}.value.currency`] });
      else add({ id: `items.${it.id}.value`, section: 'items', status: 'ok', message: `Value of “${it.name}” given.`, fields: [`${f}.value`] });
    }
    const cl = it.classification;
    if (!cl) {
      add({ id: `items.${it.id}.classification`, section: 'items', status: 'missing', message: `“${it.name}” has not been classified.`, fields: [`${f}.classification`] });
    } else if (cl.status === 'invalid') {
      add({
        id: `items.${it.id}.classification`,
        section: 'items',
        status: 'inconsistent',
        message: `The item specification of “${it.name}” cannot be classified: ${cl.error?.message ?? 'invalid'}.`,
        fields: [`${f}.spec`],
      });
    } else {
      const outdated = outdatedRuleSets(cl.rule_sets, ctx.ruleSets);
      if (outdated.length) {
        add({
          id: `items.${it.id}.rule_sets`,
          section: 'items',
          status: 'inconsistent',
          message: `“${it.name}” was classified under an outdated rule set (${outdated.map((o) => `${o.regime}: ${o.used} → ${o.current ?? 'withdrawn'}`).join('; ')}); classify it again.`,
          fields: [`${f}.classification.rule_sets`],
        });
      } else {
        add({ id: `items.${it.id}.classification`, section: 'items', status: 'ok', message: `“${it.name}” classified under the rule sets in force.`, fields: [`${f}.classification`] });
      }
      if (cl.status === 'needs_information') {
        add({
          id: `items.${it.id}.needs_information`,
          section: 'items',
          status: 'warning',
          message: `The classification of “${it.name}” stays open until more parameters are given (${cl.needs_information.join(', ')}).`,
          fields: [`${f}.spec`],
        });
      }
    }
    if (ctx.amendment && it.origin_id) {
      const used = ctx.amendment.used.get(it.origin_id) ?? 0;
      if (it.quantity !== null && it.quantity < used) {
        add({
          id: `items.${it.id}.below_used`,
          section: 'amendment',
          status: 'inconsistent',
          message: `“${it.name}”: ${used} have already been used under the licence; the quantity cannot go below that.`,
          fields: [`${f}.quantity`],
        });
      }
    }
  }

  /* destinations */
  const dests = c.destinations ?? [];
  if (sections.has('destinations')) {
    if (dests.length < Math.max(1, type.destinations.min)) {
      add({ id: 'destinations.count', section: 'destinations', status: 'missing', message: 'Name the destination country.', fields: ['content.destinations'] });
    } else if (dests.length > type.destinations.max) {
      add({ id: 'destinations.count', section: 'destinations', status: 'inconsistent', message: `A ${type.name} covers at most ${type.destinations.max} destination(s).`, fields: ['content.destinations'] });
    } else {
      add({ id: 'destinations.count', section: 'destinations', status: 'ok', message: `${dests.length} destination(s).`, fields: ['content.destinations'] });
    }
    dests.forEach((d, i) => {
      if (!isCountryCode(d)) add({ id: `destinations.${d}`, section: 'destinations', status: 'inconsistent', message: `“${d}” is not an ISO 3166-1 country code.`, fields: [`content.destinations[${i}]`] });
      else if (type.destinations.allowed && !type.destinations.allowed.includes(d)) {
        add({
          id: `destinations.${d}`,
          section: 'destinations',
          status: 'inconsistent',
          message: `${d} is not covered by ${type.name} (covers ${type.destinations.allowed.join(', ')}).`,
          fields: [`content.destinations[${i}]`],
        });
      }
    });
    if (new Set(dests).size !== dests.length) add({ id: 'destinations.duplicates', section: 'destinations', status: 'inconsistent', message: 'A destination is listed twice.', fields: ['content.destinations'] });
  }

  /* parties */
  if (sections.has('parties')) {
    for (const role of type.required_party_roles) {
      const n = app.parties.filter((p) => p.role === role).length;
      const name = vocab.party_roles.find((r) => r.id === role)?.name ?? role;
      okIf(n > 0, { id: `parties.role.${role}`, section: 'parties', status: 'missing', message: `Add the ${name.toLowerCase()}.`, okMessage: `${name} given.`, fields: ['parties'] });
    }
    for (const role of type.single_party_roles) {
      if (app.parties.filter((p) => p.role === role).length > 1) {
        add({ id: `parties.role.${role}.single`, section: 'parties', status: 'inconsistent', message: `A ${type.name} names one ${role.replace(/_/g, ' ')}.`, fields: ['parties'] });
      }
    }
  }
  for (const p of app.parties) {
    const f = `parties[${p.id}]`;
    if ((p.role === 'end_user' || p.role === 'consignee' || p.role === 'ultimate_end_user') && dests.length && !dests.includes(p.country)) {
      add({
        id: `parties.${p.id}.country`,
        section: 'parties',
        status: 'inconsistent',
        message: `The ${p.role.replace(/_/g, ' ')} “${p.name}” is in ${p.country}, which is not a destination of this application (${dests.join(', ')}).`,
        fields: [`${f}.country`, 'content.destinations'],
      });
    }
    if ((p.role === 'end_user' || p.role === 'consignee') && !p.address) {
      add({ id: `parties.${p.id}.address`, section: 'parties', status: 'missing', message: `Give the address of “${p.name}”.`, fields: [`${f}.address`] });
    }
    const s = p.screening;
    if (ctx.listVersion === null) {
      add({
        id: `parties.${p.id}.screening`,
        section: 'parties',
        status: 'warning',
        message: `“${p.name}” could not be screened: no screening list is loaded. The authority's pre-checks will show it.`,
        fields: [`${f}.screening`],
      });
    } else if (!s || s.status === 'unavailable') {
      add({ id: `parties.${p.id}.screening`, section: 'parties', status: 'missing', message: `Screen “${p.name}”.`, fields: [`${f}.screening`] });
    } else if (s.list_version !== ctx.listVersion) {
      add({
        id: `parties.${p.id}.screening`,
        section: 'parties',
        status: 'inconsistent',
        message: `“${p.name}” was screened against list version ${s.list_version}; screen again against ${ctx.listVersion}.`,
        fields: [`${f}.screening.list_version`],
      });
    } else {
      add({
        id: `parties.${p.id}.screening`,
        section: 'parties',
        status: s.status === 'clear' ? 'ok' : 'warning',
        message: s.status === 'clear' ? `“${p.name}” screened: no match.` : `“${p.name}” resembles a listed party (${s.matches[0]?.matched_name ?? '?'}); the authority will review the match.`,
        fields: [`${f}.screening`],
      });
    }
  }

  /* end use */
  if (sections.has('end_use')) {
    okIf((c.end_use?.text?.trim().length ?? 0) >= MIN_END_USE_CHARS, {
      id: 'end_use.text',
      section: 'end_use',
      status: 'missing',
      message: `Describe the end use in your words (at least ${MIN_END_USE_CHARS} characters).`,
      okMessage: 'End use described.',
      fields: ['content.end_use.text'],
    });
    okIf((c.end_use?.domains?.length ?? 0) > 0, {
      id: 'end_use.domains',
      section: 'end_use',
      status: 'missing',
      message: 'Choose the application domain(s) of the end use.',
      okMessage: 'Application domain(s) chosen.',
      fields: ['content.end_use.domains'],
    });
  }

  /* production volume */
  if (sections.has('production_volume')) {
    const pv = c.production_volume;
    okIf(pv?.parts_per_year !== undefined || pv?.feedstock_kg_per_year !== undefined, {
      id: 'production_volume',
      section: 'production_volume',
      status: 'missing',
      message: 'Give the end user’s annual production volume (parts per year or feedstock per year).',
      okMessage: 'Production volume given.',
      fields: ['content.production_volume'],
    });
  }

  /* documents */
  if (sections.has('documents')) {
    for (const dt of type.required_documents) {
      const name = vocab.document_types.find((d) => d.id === dt)?.name ?? dt;
      okIf(app.documents.some((d) => d.doc_type === dt), {
        id: `documents.${dt}`,
        section: 'documents',
        status: 'missing',
        message: `Upload the ${name.toLowerCase()}.`,
        okMessage: `${name} uploaded.`,
        fields: ['documents'],
      });
    }
  }

  /* due diligence */
  if (sections.has('due_diligence')) {
    const dd = c.due_diligence ?? {};
    for (const q of type.required_due_diligence) {
      const question = vocab.due_diligence_questions.find((x) => x.id === q)!;
      if (question.type === 'elements') {
        const el = dd.end_use_statement_elements ?? {};
        const unanswered = vocab.end_use_statement_elements.filter((e) => (el as Record<string, boolean | undefined>)[e.id] === undefined).map((e) => e.id);
        okIf(unanswered.length === 0, {
          id: `due_diligence.${q}`,
          section: 'due_diligence',
          status: 'missing',
          message: `Say which core elements the end-use statement contains (${unanswered.join(', ')} unanswered).`,
          okMessage: 'End-use statement elements answered.',
          fields: [`content.due_diligence.${q}`],
        });
      } else {
        const v = (dd as Record<string, unknown>)[q];
        okIf(typeof v === 'boolean', {
          id: `due_diligence.${q}`,
          section: 'due_diligence',
          status: 'missing',
          message: question.question,
          okMessage: `Answered: ${question.question}`,
          fields: [`content.due_diligence.${q}`],
        });
        if (q === 'icp_in_place' && v === false) {
          add({
            id: 'due_diligence.icp_in_place.required',
            section: 'due_diligence',
            status: 'inconsistent',
            message: `A ${type.name} requires an internal compliance programme.`,
            fields: ['content.due_diligence.icp_in_place'],
          });
        }
      }
    }
  }

  /* declaration */
  okIf(c.declaration?.accepted === true && c.declaration.name.trim().length > 0, {
    id: 'declaration',
    section: 'declaration',
    status: 'missing',
    message: 'Sign the declaration that the application is true and complete.',
    okMessage: `Declaration signed by ${c.declaration?.name ?? ''}.`,
    fields: ['content.declaration'],
  });

  /* validity */
  if (c.requested_validity_months !== undefined) {
    const max = type.max_validity_months;
    if (max === null) add({ id: 'validity', section: 'validity', status: 'warning', message: `A ${type.name} does not expire; the requested validity is ignored.`, fields: ['content.requested_validity_months'] });
    else if (c.requested_validity_months > max) {
      add({ id: 'validity', section: 'validity', status: 'inconsistent', message: `A ${type.name} is valid for at most ${max} months.`, fields: ['content.requested_validity_months'] });
    }
  }

  /* commercial */
  const payer = c.commercial?.payer_party_id;
  if (payer && !app.parties.some((p) => p.id === payer)) {
    add({ id: 'commercial.payer', section: 'commercial', status: 'inconsistent', message: 'The payer is not one of the parties of the application.', fields: ['content.commercial.payer_party_id'] });
  }

  /* amendment */
  if (ctx.amendment && ctx.amendment.changes === 0) {
    add({ id: 'amendment.changes', section: 'amendment', status: 'inconsistent', message: 'The amendment changes nothing in the licence.', fields: [] });
  }

  const missing = entries.filter((e) => e.status === 'missing').length;
  const inconsistent = entries.filter((e) => e.status === 'inconsistent').length;
  return { clear: missing === 0 && inconsistent === 0, missing, inconsistent, warnings: entries.filter((e) => e.status === 'warning').length, entries };
}
