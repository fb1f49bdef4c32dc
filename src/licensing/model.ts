/**
 * The licensing model: what an application holds, as the exporter writes it
 * and as the pure logic (checklist, red flags, risk, pre-checks, diff) reads
 * it. The zod schemas here validate request bodies at the HTTP boundary and
 * describe them in the OpenAPI document; the vocabularies come from the data.
 */
import { z } from '@hono/zod-openapi';
import { licensingReference } from './reference.js';

const vocab = licensingReference().vocabularies.data;
const ids = <T extends { id: string }>(xs: T[]) => xs.map((x) => x.id) as [string, ...string[]];
const values = (xs: string[]) => xs as [string, ...string[]];

export const PARTY_ROLES = ids(vocab.party_roles);
export const APPLICATION_DOMAINS = ids(vocab.application_domains);
export const DOCUMENT_TYPES = ids(vocab.document_types);
export const END_USE_ELEMENTS = ids(vocab.end_use_statement_elements);

/** ISO 3166-1 alpha-2, upper case. Whether the code names a country is checked by `normaliseCountryCode`. */
export const countryCode = z.string().regex(/^[A-Za-z]{2}$/).transform((s) => s.toUpperCase()).openapi({ example: 'US', description: 'ISO 3166-1 alpha-2 country code.' });

const text = (max: number) => z.string().trim().max(max);

/* ------------------------------------------------------------- content */

export const dueDiligenceSchema = z
  .strictObject({
    re_export_undertaking: z.boolean().optional(),
    accepts_post_shipment_verification: z.boolean().optional(),
    declined_installation_or_training: z.boolean().optional(),
    icp_in_place: z.boolean().optional(),
    site_visit_done: z.boolean().optional(),
    references_checked: z.boolean().optional(),
    beneficial_owners_screened: z.boolean().optional(),
    end_use_statement_elements: z.partialRecord(z.enum(END_USE_ELEMENTS), z.boolean()).optional().openapi({ description: 'Which core elements the end-use statement contains (WA-EUC-01).' }),
    observed_red_flags: z
      .array(z.strictObject({ id: z.string().max(40), note: text(2000) }))
      .max(50)
      .optional()
      .openapi({ description: 'Red flags you observed that no field shows (ids from the red-flag list).' }),
    red_flag_resolutions: z
      .array(z.strictObject({ flag_id: z.string().max(40), resolution: text(4000).min(1) }))
      .max(50)
      .optional()
      .openapi({ description: 'How each raised red flag was followed up (BIS KYC guidance: a raised flag needs an inquiry).' }),
    remarks: text(4000).optional().openapi({ description: 'Anything else the authority should know about the due diligence done.' }),
  })
  .openapi('DueDiligence');
export type DueDiligence = z.infer<typeof dueDiligenceSchema>;

export const productionVolumeSchema = z
  .strictObject({
    parts_per_year: z.number().int().min(0).max(1e9).optional(),
    feedstock_kg_per_year: z.number().min(0).max(1e9).optional(),
    machines_installed: z.number().int().min(0).max(1e6).optional(),
    remarks: text(2000).optional(),
  })
  .openapi('ProductionVolume');
export type ProductionVolume = z.infer<typeof productionVolumeSchema>;

export const commercialSchema = z
  .strictObject({
    payment_terms: z.enum(values(vocab.payment_terms)).optional(),
    payer_party_id: z.string().max(64).nullable().optional().openapi({ description: 'The party that pays, when it is one of the parties.' }),
    payer_country: countryCode.optional(),
    delivery_terms: text(500).optional().openapi({ description: 'Incoterm and place, e.g. "DAP Wichita, KS".' }),
    delivery_date: z.iso.date().optional(),
  })
  .openapi('Commercial');
export type Commercial = z.infer<typeof commercialSchema>;

export const contentSchema = z
  .strictObject({
    title: text(200).optional(),
    destinations: z.array(countryCode).max(60).optional(),
    end_use: z
      .strictObject({
        text: text(8000).optional().openapi({ description: 'The end use in your words.' }),
        domains: z.array(z.enum(APPLICATION_DOMAINS)).max(16).optional().openapi({ description: 'The end use in the controlled vocabulary of application domains.' }),
      })
      .optional(),
    production_volume: productionVolumeSchema.optional(),
    commercial: commercialSchema.optional(),
    due_diligence: dueDiligenceSchema.optional(),
    requested_validity_months: z.number().int().min(1).max(120).optional(),
    requested_valid_to: z.iso.date().optional().openapi({ description: 'Amendments of a licence: the new end of validity.' }),
    declaration: z
      .strictObject({ accepted: z.boolean(), name: text(200).min(1) })
      .optional()
      .openapi({ description: 'The exporter declares the application true and complete (name of the signatory).' }),
  })
  .openapi('ApplicationContent');
export type ApplicationContent = z.infer<typeof contentSchema>;

/* ------------------------------------------------------------- items */

export const valueSchema = z.strictObject({ amount: z.number().min(0).max(1e13), currency: z.string().regex(/^[A-Z]{3}$/) }).openapi('MonetaryValue');

export interface RuleSetStamp {
  id: string;
  regime: string;
  version: string;
  sha256: string;
}

/** What the application keeps of a classification: enough to show, compare and re-check, not the whole trace. */
export interface ItemClassificationSummary {
  status: 'controlled' | 'not_controlled' | 'needs_information' | 'needs_review' | 'invalid';
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  rule_sets: RuleSetStamp[];
  classified_at: string;
  /** For status invalid: why the spec could not be classified. */
  error?: { code: string; message: string };
}

export interface ApplicationItem {
  id: string;
  position: number;
  /** The item specification as stored (JSON), and its SHA-256. */
  spec: unknown;
  spec_sha256: string;
  kind: string;
  name: string;
  quantity: number | null;
  unit: string | null;
  value: { amount: number; currency: string } | null;
  classification: ItemClassificationSummary | null;
  /** Amendments: the licence item or earlier application item this one continues. */
  origin_id: string | null;
}

/* ------------------------------------------------------------- parties */

export const partyInputSchema = z
  .strictObject({
    role: z.enum(PARTY_ROLES),
    name: text(300).min(1),
    type: z.enum(['organisation', 'person']).default('organisation'),
    country: countryCode,
    address: text(1000).optional(),
    address_type: z.enum(values(vocab.address_types)).optional(),
    sub_type: z.enum(values(vocab.party_sub_types)).optional(),
    business_type: z.enum(values(vocab.business_types)).optional(),
    email: z.email().max(320).optional(),
    website: z.url().max(500).optional(),
    registration_number: text(100).optional(),
    established_year: z.number().int().min(1600).max(3000).optional(),
    date_of_birth: z.iso.date().optional().openapi({ description: 'Persons only: helps screening tell namesakes apart.' }),
  })
  .openapi('PartyInput');
export type PartyInput = z.infer<typeof partyInputSchema>;

export interface PartyScreening {
  status: 'clear' | 'potential_match' | 'strong_match' | 'unavailable';
  /** The list version screened against (null when no list was available). */
  list_version: string | null;
  screened_at: string;
  matches: Array<{ list: string; entity_id: string; matched_name: string; score: number }>;
  reason?: string;
}

export interface ApplicationParty extends Omit<PartyInput, 'type'> {
  id: string;
  type: 'organisation' | 'person';
  screening: PartyScreening | null;
  origin_id: string | null;
}

/* ------------------------------------------------------------- documents */

export interface ApplicationDocument {
  id: string;
  doc_type: string;
  filename: string;
  media_type: string;
  size: number;
  sha256: string;
  uploaded_at: string;
  party_id: string | null;
}

/* ------------------------------------------------------------- snapshot */

/** Everything the pure logic reads about one application. */
export interface ApplicationSnapshot {
  id: string;
  licence_type: string;
  kind: 'new' | 'licence_amendment' | 'case_amendment';
  authority_id: string | null;
  content: ApplicationContent;
  items: ApplicationItem[];
  parties: ApplicationParty[];
  documents: ApplicationDocument[];
}

/** ISO 4217 currency codes Node knows, for the value of items. */
export const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
