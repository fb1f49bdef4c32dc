/**
 * Demo licensing data for a fresh instance (the composition root's seed calls
 * `seedLicensingDemo`): what a visitor needs to see each side of the work —
 * a draft with its live checklist, a submitted application waiting in the
 * registration queue, and an approved case with an active licence and some
 * use recorded. Items are real specifications classified by the shipped rule
 * sets; parties and documents are invented and say so.
 */
import type { Services } from '../app/services.js';
import { recordAudit } from '../audit/trail.js';
import type { OrganisationKind, Role } from '../identity/permissions.js';
import { FabgateError } from '../shared/errors.js';
import type { ApplicationContent, PartyInput } from './model.js';
import { addDocument, addItem, addParty, createApplication, loadApplication } from './store/applications.js';
import { clearFlag, proposeDecision, takeTransition } from './store/cases.js';
import type { Db, LicensingActor } from './store/common.js';
import { depleteLicence } from './store/licences.js';

/** A laser PBF machine with co-axial melt-pool monitoring and closed-loop control: controlled by US 2B910 and EU 2B510. */
export const DEMO_MACHINE_SPEC = {
  kind: 'am_machine',
  name: 'Aurora PBF-LB M400',
  machine: {
    process: 'powder_bed_fusion',
    output_material_class: ['metal'],
    consolidation_sources: ['laser'],
    process_atmosphere: ['inert_gas'],
    in_process_monitoring: [{ sensor_type: 'imaging_camera', configuration: 'co-axial', peak_response_wavelength: { value: 1100, unit: 'nm' } }],
    closed_loop_control: { present: true, modifies: ['consolidation_source_parameters'], uses_feedback_from_qualifying_monitoring: true },
    is_additive_manufacturing: true,
    solidification_mode: 'equiaxed',
    designed_for_superalloys: false,
    has_additive_capability_and_any_of: [],
    material_removal_by: [],
    specially_designed_for_firearms_production: false,
    feedstock_class: ['metal_powder'],
    meets_national_safety_standards_for_explosive_munitions_environments: false,
    ultrasonic_extruder_count: 0,
  },
} as const;

/** Ti-6Al-4V powder for the machine. */
export const DEMO_POWDER_SPEC = {
  kind: 'metal_powder',
  name: 'Ti-6Al-4V Grade 23 powder, 15-45 µm',
  material: { form: 'powder', composition: { Ti_wt_pct: 89.6, Al_wt_pct: 6, V_wt_pct: 4, Fe_wt_pct: 0.25, O_wt_pct: 0.13 } },
} as const;

/** A small valid PDF (one empty page) with a title: stands in for a scanned end-use statement. */
export function demoPdf(title: string): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>', `<< /Title (${title.replace(/[()\\]/g, '')}) >>`];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

/** The due-diligence evidence of a careful exporter (demo cases, the spine test). */
export const DEMO_DUE_DILIGENCE: ApplicationContent['due_diligence'] = {
  re_export_undertaking: true,
  accepts_post_shipment_verification: true,
  declined_installation_or_training: false,
  site_visit_done: true,
  references_checked: true,
  beneficial_owners_screened: true,
  end_use_statement_elements: { end_user_identified: true, end_use_stated: true, items_and_quantities: true, no_re_export_commitment: true, signed_and_dated: true },
};

function endUser(name: string, country: string, address: string, extra: Partial<PartyInput> = {}): PartyInput[] {
  const base = { name, country, address, type: 'organisation' as const, address_type: 'industrial_site', sub_type: 'commercial', business_type: 'manufacturer', registration_number: `${country}-DEMO-0001`, website: 'https://example.com', established_year: 2008, ...extra };
  return [
    { role: 'consignee', ...base },
    { role: 'end_user', ...base },
  ];
}

export interface LicensingDemoOrgs {
  /** The exporter organisation (id or name). */
  exporter: string;
  /** The licensing authority (id or name). */
  authority: string;
}

export interface LicensingDemoResult {
  draft: string;
  submitted: string;
  approved: string;
  licence: string;
}

async function person(db: Db, organisationId: string, roles: Role[]): Promise<LicensingActor> {
  const u = await db
    .selectFrom('users')
    .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
    .select(['users.id', 'users.role', 'organisations.kind'])
    .where('users.organisation_id', '=', organisationId)
    .where('users.role', 'in', roles)
    .where('users.disabled_at', 'is', null)
    .orderBy('users.email')
    .executeTakeFirst();
  if (!u) throw new FabgateError('LICENSING_DEMO_USERS_MISSING', `the demo needs a ${roles.join(' or ')} in organisation ${organisationId}`, 'invalid_input');
  return { type: 'user', id: u.id, userId: u.id, organisationId, kind: u.kind as OrganisationKind, role: u.role as Role };
}

async function org(db: Db, idOrName: string, kind: OrganisationKind): Promise<string> {
  const o = await db.selectFrom('organisations').select(['id', 'kind']).where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
  if (!o || o.kind !== kind) throw new FabgateError('LICENSING_DEMO_ORGANISATION_MISSING', `no ${kind} organisation '${idOrName}'`, 'invalid_input');
  return o.id;
}

/**
 * Seed the licensing demo in one transaction; null when the exporter already
 * has applications (the seed runs once). Needs an applicant (or compliance
 * officer) in the exporter, and a licensing officer and a supervisor in the
 * authority.
 */
export async function seedLicensingDemo(services: Services, orgs: LicensingDemoOrgs): Promise<LicensingDemoResult | null> {
  const { clock } = services;
  return services.database.db.transaction().execute(async (db) => {
    const exporterId = await org(db, orgs.exporter, 'exporter');
    const authorityId = await org(db, orgs.authority, 'authority');
    if (await db.selectFrom('licensing_applications').select('id').where('organisation_id', '=', exporterId).limit(1).executeTakeFirst()) return null;
    const applicant = await person(db, exporterId, ['compliance_officer', 'applicant']);
    const officer = await person(db, authorityId, ['licensing_officer']);
    const supervisor = await person(db, authorityId, ['supervisor']);
    const reload = (id: string) => loadApplication(db, id, { side: 'system' });

    async function application(type: string, content: ApplicationContent, parties: PartyInput[], withItems: boolean, withDocument: boolean): Promise<string> {
      const row = await createApplication(db, clock, applicant, exporterId, { licence_type: type, authority_id: authorityId, content });
      if (withItems) {
        await addItem(db, clock, applicant, await reload(row.id), { spec: DEMO_MACHINE_SPEC, quantity: 2, unit: 'pieces', value: { amount: 1_700_000, currency: 'EUR' } });
        await addItem(db, clock, applicant, await reload(row.id), { spec: DEMO_POWDER_SPEC, quantity: 400, unit: 'kg', value: { amount: 120_000, currency: 'EUR' } });
      }
      for (const p of parties) await addParty(db, clock, applicant, await reload(row.id), p);
      if (withDocument) {
        await addDocument(db, clock, applicant, await reload(row.id), { doc_type: 'end_use_statement', filename: 'end-use-statement-DEMO.pdf', bytes: demoPdf('DEMO end-use statement (invented for the demo)') });
      }
      return row.id;
    }

    const civil = (city: string): ApplicationContent['end_use'] => ({
      text: `Serial production of titanium brackets and ducting for civil airliner fuselage sections at the end user’s ${city} plant, qualified to AS9100.`,
      domains: ['aerospace'],
    });

    /* a draft with open checklist entries: the wizard's starting point */
    const draft = await application('global', { title: 'DEMO: open licence for powder to aerospace customers', destinations: ['CA', 'JP'] }, [], false, false);

    /* a submitted application waiting in the registration queue */
    const submitted = await application(
      'individual',
      {
        title: 'DEMO: two M400 machines for Wichita',
        destinations: ['US'],
        end_use: civil('Wichita'),
        production_volume: { parts_per_year: 6000, feedstock_kg_per_year: 1200, machines_installed: 4 },
        commercial: { payment_terms: 'letter_of_credit', delivery_terms: 'DAP Wichita, KS', delivery_date: '2026-09-30' },
        due_diligence: DEMO_DUE_DILIGENCE,
        declaration: { accepted: true, name: 'Demo applicant' },
      },
      endUser('DEMO Wichita Aero Structures LLC (invented)', 'US', '3801 S Oliver St, Wichita, KS 67210'),
      true,
      true,
    );
    await takeTransition(db, clock, applicant, await reload(submitted), 'submit');

    /* an approved case with an active licence and one shipment recorded */
    const approved = await application(
      'individual',
      {
        title: 'DEMO: M400 machines for Montréal',
        destinations: ['CA'],
        end_use: civil('Montréal'),
        production_volume: { parts_per_year: 3000, feedstock_kg_per_year: 800, machines_installed: 2 },
        commercial: { payment_terms: 'invoice_with_credit', delivery_terms: 'DAP Montréal, QC', delivery_date: '2026-06-30' },
        due_diligence: DEMO_DUE_DILIGENCE,
        declaration: { accepted: true, name: 'Demo applicant' },
      },
      endUser('DEMO Laurentian Aerostructures Inc. (invented)', 'CA', '2000 Rue Demo, Montréal, QC'),
      true,
      true,
    );
    await takeTransition(db, clock, applicant, await reload(approved), 'submit');
    await takeTransition(db, clock, officer, await reload(approved), 'register');
    await takeTransition(db, clock, officer, await reload(approved), 'begin_review');
    await takeTransition(db, clock, officer, await reload(approved), 'to_final_review');
    const flags = JSON.parse((await reload(approved)).flags) as string[];
    if (flags.includes('screening_unavailable')) {
      await clearFlag(db, clock, officer, await reload(approved), 'screening_unavailable', 'DEMO: this instance has no screening list loaded; the flag is cleared so the demo can show an issued licence.');
    }
    await proposeDecision(db, clock, officer, await reload(approved), {
      kind: 'approve',
      reasons: 'DEMO: civil aerospace end use by a verified end user; end-use statement complete.',
      conditions: [{ id: 'no_re_export' }, { id: 'usage_reporting' }, { id: 'print_ticket_only' }],
    });
    let row = await reload(approved);
    if (row.countersignatures_required > 0) {
      await takeTransition(db, clock, officer, row, 'request_countersign');
      await takeTransition(db, clock, supervisor, await reload(approved), 'countersign', { reasons: 'DEMO countersignature' });
      row = await reload(approved);
      if (row.state === 'countersign_2') throw new FabgateError('LICENSING_DEMO_UNEXPECTED', 'the demo case needs a second countersignature', 'internal');
    }
    row = await takeTransition(db, clock, officer, row, 'approve');
    const machine = await db.selectFrom('licensing_licence_items').select('id').where('licence_id', '=', row.licence_id!).where('kind', '=', 'am_machine').executeTakeFirstOrThrow();
    await depleteLicence(db, { licenceId: row.licence_id!, itemRef: machine.id, quantity: 1, reason: 'shipment', reference: 'DEMO-AWB-0001', actor: applicant, at: clock.now() });
    await recordAudit(db, { actor: { type: 'system', id: null, organisationId: null }, action: 'licensing.demo_seeded', at: clock.now() });
    return { draft, submitted, approved, licence: row.licence_id! };
  });
}
