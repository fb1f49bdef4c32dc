/**
 * Test fixtures: a realistic individual-licence application from a German
 * maker of metal laser powder-bed fusion machines to a US aerospace end user,
 * built on the real classification engine so its items are classified under
 * the shipped rule sets. Party names are invented (they are inputs, not
 * reference data); the listed names used for screening come from the real UN
 * consolidated list (see screening.ts).
 */
import { DEMO_MACHINE_SPEC, DEMO_POWDER_SPEC } from '../demo.js';
import type { ApplicationContent, ApplicationItem, ApplicationParty, ApplicationSnapshot, PartyScreening } from '../model.js';
import { sha256Hex } from '../../shared/ids.js';
import { canonicalJson } from '../../ledger/core/canonical-json.js';

/** The demo's specifications: a laser PBF machine controlled by US 2B910 and EU 2B510, and Ti-6Al-4V powder. */
export const MACHINE_SPEC = DEMO_MACHINE_SPEC;
export const POWDER_SPEC = DEMO_POWDER_SPEC;

export const NOW = new Date('2026-03-02T09:00:00.000Z');

export const CLEAR: PartyScreening = { status: 'clear', list_version: 'test-list-v1', screened_at: NOW.toISOString(), matches: [] };

export function completeContent(): ApplicationContent {
  return {
    title: 'M400 machine and powder for Wichita aerostructures',
    destinations: ['US'],
    end_use: {
      text: 'Serial production of titanium brackets and ducting for civil airliner fuselage sections at the end user’s Wichita plant, qualified to AS9100.',
      domains: ['aerospace'],
    },
    production_volume: { parts_per_year: 4000, feedstock_kg_per_year: 900, machines_installed: 3 },
    commercial: { payment_terms: 'letter_of_credit', delivery_terms: 'DAP Wichita, KS', delivery_date: '2026-06-30' },
    due_diligence: {
      re_export_undertaking: true,
      accepts_post_shipment_verification: true,
      declined_installation_or_training: false,
      site_visit_done: true,
      references_checked: true,
      beneficial_owners_screened: true,
      end_use_statement_elements: { end_user_identified: true, end_use_stated: true, items_and_quantities: true, no_re_export_commitment: true, signed_and_dated: true },
    },
    declaration: { accepted: true, name: 'Hanna Berger' },
  };
}

export function item(id: string, spec: unknown, over: Partial<ApplicationItem> = {}): ApplicationItem {
  const s = spec as { kind: string; name: string };
  return {
    id,
    position: 0,
    spec,
    spec_sha256: sha256Hex(canonicalJson(spec)),
    kind: s.kind,
    name: s.name,
    quantity: 1,
    unit: 'pieces',
    value: { amount: 850000, currency: 'EUR' },
    classification: null,
    origin_id: null,
    ...over,
  };
}

export function party(id: string, over: Partial<ApplicationParty> & Pick<ApplicationParty, 'role' | 'name'>): ApplicationParty {
  return {
    id,
    type: 'organisation',
    country: 'US',
    address: '3801 S Oliver St, Wichita, KS 67210',
    address_type: 'industrial_site',
    sub_type: 'commercial',
    business_type: 'manufacturer',
    email: 'export.compliance@wichita-aero.example',
    website: 'https://wichita-aero.example',
    registration_number: 'KS-5511-2009',
    established_year: 2009,
    screening: CLEAR,
    origin_id: null,
    ...over,
  };
}

/** A complete application (items unclassified: classify them with the engine in the test). */
export function completeApplication(over: Partial<ApplicationSnapshot> = {}): ApplicationSnapshot {
  return {
    id: 'app_test',
    licence_type: 'individual',
    kind: 'new',
    authority_id: 'org_authority',
    content: completeContent(),
    items: [item('itm_machine', MACHINE_SPEC), item('itm_powder', POWDER_SPEC, { quantity: 400, unit: 'kg', value: { amount: 120000, currency: 'EUR' }, position: 1 })],
    parties: [
      party('pty_consignee', { role: 'consignee', name: 'Wichita Aero Structures LLC' }),
      party('pty_end_user', { role: 'end_user', name: 'Wichita Aero Structures LLC' }),
      party('pty_purchaser', { role: 'purchaser', name: 'Wichita Aero Structures LLC' }),
    ],
    documents: [{ id: 'doc_eus', doc_type: 'end_use_statement', filename: 'end-use-statement.pdf', media_type: 'application/pdf', size: 48213, sha256: 'a'.repeat(64), uploaded_at: NOW.toISOString(), party_id: 'pty_end_user' }],
    ...over,
  };
}
