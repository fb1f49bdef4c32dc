/**
 * Fabgate's rule-set format: one JSON file per regime (US EAR, EU 2021/821, UK,
 * Wassenaar, national lists), versioned, with effective, review and sunset
 * dates and a source citation per entry. README.md in this folder documents it
 * for people; `ruleset.schema.json` (generated from this file) for machines.
 */
import { z } from 'zod';
import { ITEM_KINDS } from '../item-schema.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'ISO date YYYY-MM-DD');
const json: z.ZodType<unknown> = z.unknown();
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export type LogicNode =
  | string
  | { all: LogicNode[] }
  | { any: LogicNode[] }
  | { not: LogicNode }
  | { any_element: { path: string; where: LogicNode } }
  | { unmodelled: string };

export const logicNodeSchema: z.ZodType<LogicNode> = z.lazy(() =>
  z.union([
    z.string().min(1).describe('A parameter id of this entry: true when the parameter condition holds.'),
    z.object({ all: z.array(logicNodeSchema).min(1) }).strict().describe('True when every child holds (Kleene AND).'),
    z.object({ any: z.array(logicNodeSchema).min(1) }).strict().describe('True when at least one child holds (Kleene OR).'),
    z.object({ not: logicNodeSchema }).strict().describe('Negation (Kleene NOT).'),
    z
      .object({
        any_element: z
          .object({
            path: z.string().describe('Dotted path of a list in the item, e.g. machine.in_process_monitoring.'),
            where: logicNodeSchema.describe('Must hold for one and the same element; parameters inside name `<path>[].<field>`.'),
          })
          .strict(),
      })
      .strict(),
    z.object({ unmodelled: z.string().min(1) }).strict().describe('Not machine-evaluable: yields needs_review with this text.'),
  ]),
).meta({ id: 'LogicNode' });

const base = {
  id: z.string().min(1).describe('Parameter id, unique in the entry, e.g. 2B910.c.1.w.'),
  name: z.string().min(1).describe('Dotted path into the item specification; `[]` marks the elements of a list.'),
  note: z.string().optional().describe('What the legal text says about this parameter.'),
  derived_from: z.string().optional().describe('Id of the parameter in entries.json this condition was decomposed from.'),
};
const unit = z.string().describe('Unit of the threshold (the item value is converted to it before comparison).');
const cmpOp = z.enum(['gt', 'gte', 'lt', 'lte']);

export const conditionSchema = z
  .discriminatedUnion('operator', [
    z.object({ ...base, operator: z.literal('eq'), value: scalar }).strict(),
    z.object({ ...base, operator: z.literal('in'), value: z.array(scalar).min(1) }).strict(),
    z.object({ ...base, operator: z.literal('includes'), value: scalar }).strict(),
    z.object({ ...base, operator: z.literal('includes_any'), value: z.array(scalar).min(1) }).strict(),
    z.object({ ...base, operator: cmpOp, value: z.number(), unit: unit.optional() }).strict(),
    z
      .object({
        ...base,
        operator: z.literal('in_range'),
        value: z
          .object({ min: z.number().optional(), min_inclusive: z.boolean(), max: z.number().optional(), max_inclusive: z.boolean() })
          .strict(),
        unit: unit.optional(),
      })
      .strict(),
    z
      .object({
        ...base,
        operator: z.literal('composition_sum'),
        value: z
          .object({ elements: z.array(z.string()).min(1), operator: cmpOp, threshold: z.number() })
          .strict()
          .describe('Sum of <element>_wt_pct over the listed elements compared with the threshold (wt%).'),
      })
      .strict(),
    z
      .object({
        ...base,
        operator: z.literal('test_result'),
        value: z
          .object({
            conditions: z
              .array(
                z
                  .object({ field: z.string(), value: z.number(), unit: z.string(), harsher: z.enum(['higher', 'lower']) })
                  .strict(),
              )
              .min(1),
            result: z.object({ field: z.string(), operator: cmpOp, value: z.number(), unit: z.string().optional() }).strict(),
          })
          .strict()
          .describe(
            'Over a list of test results: met if a test at the stated or harsher conditions meets the result threshold; not met if a test at the stated or milder conditions fails it; otherwise unknown.',
          ),
      })
      .strict(),
    z
      .object({ ...base, operator: z.literal('dims_gte'), value: z.array(z.number()).min(1), unit })
      .strict()
      .describe('A list of lengths that, sorted largest first, each meet or exceed the sorted thresholds.'),
    z
      .object({
        ...base,
        operator: z.literal('specified_in'),
        value: z
          .object({
            entries: z.array(z.string()).min(1).describe('Entry keys; met if the target is specified in any of them.'),
            declared: z.string().optional().describe("Path of the exporter's own statement (list of entry keys, or a boolean)."),
            spec: z
              .object({
                path: z.string().describe('Path of the target specification, or "$self" for the item itself.'),
                wrap_as: z.object({ kind: z.enum(ITEM_KINDS), field: z.string() }).strict().optional(),
              })
              .strict()
              .optional(),
          })
          .strict(),
      })
      .strict(),
    z.object({ ...base, operator: z.literal('not_claimed') }).strict().describe('Met unless the exporter claims the exclusion at `name`.'),
    z.object({ ...base, operator: z.literal('note') }).strict().describe('Guidance only: always met, shown to the user.'),
  ])
  .meta({ id: 'Condition' });

export type Condition = z.infer<typeof conditionSchema>;

const noteSchema = z.object({ type: z.string(), summary: z.string() }).strict();
const citation = z
  .object({
    citation: z.string(),
    url: z.string().optional(),
    alt_url: z.string().optional(),
    eurlex: z.string().optional(),
    copy_consulted: z.string().optional().describe('The public copy actually read when the data was compiled.'),
  })
  .strict();

export const entrySchema = z
  .object({
    key: z.string().describe('`<regime>:<id>` exactly as in entries.json, e.g. US-EAR:2B910.'),
    regime: z.string(),
    jurisdiction: z.string(),
    list: z.string(),
    id: z.string(),
    title: z.string(),
    category: z.enum(['equipment', 'material', 'software', 'technology']),
    role: z.enum(['control_entry', 'scope_rule']).describe('scope_rule: a rule on what is subject to the regime (e.g. 15 CFR 734.7(c)), not a list entry.'),
    item_kinds: z.array(z.enum(ITEM_KINDS)).min(1).describe('Fabgate item kinds the entry is evaluated for.'),
    source_item_kinds: z.array(z.string()).describe('item_kinds as written in entries.json.'),
    multilateral_origin: z.string(),
    parameters: z.array(conditionSchema),
    branches: z
      .array(
        z
          .object({
            name: z.string().describe('e.g. equipment, components, software_technology.'),
            item_kinds: z.array(z.enum(ITEM_KINDS)).min(1),
            logic: logicNodeSchema,
            logic_text: z.string().optional(),
          })
          .strict(),
      )
      .min(1),
    notes: z.array(noteSchema),
    effect: z.string().optional(),
    reasons_for_control: z.array(z.string()),
    country_chart: z.array(z.object({ reason: z.string(), applies_to: z.string(), rule: z.string() }).strict()).optional(),
    license_exceptions: z.record(z.string(), z.string()).optional(),
    destination_logic: json.optional(),
    software_technology_coverage: z.record(z.string(), z.string()).optional(),
    related_controls: z.string().optional(),
    related_entries: z.array(z.string()),
    effective_date: isoDate.nullable().describe('Date the entry took effect, when the source gives one.'),
    effective_date_text: z.string().describe('Effective date as written in the source data.'),
    rule_history: z.array(z.object({ date: z.string(), event: z.string(), source: z.string().optional() }).strict()).optional(),
    source: z
      .record(z.string(), citation)
      .describe('Source citations by role: primary (Federal Register / OJ / SI), current_text (consolidated text), later, national, inferred_via.'),
    confidence: z.enum(['verbatim-from-source', 'paraphrased/partial', 'mixed']),
    confidence_detail: z.record(z.string(), z.string()).optional(),
    amendments: z
      .array(z.object({ summary: z.string(), reason: z.string() }).strict())
      .describe('Changes Fabgate made to the entry as found in entries.json, each with its reason.'),
  })
  .strict()
  .meta({ id: 'Entry' });

export type Entry = z.infer<typeof entrySchema>;

const iso2 = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 code');

export const licensingSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('us-ear'),
        ecfr_issue_date: isoDate,
        country_groups: z.record(z.string(), z.object({ label: z.string(), members: z.array(iso2) }).strict()),
        country_chart_no_license_required: z
          .record(z.string(), z.array(iso2))
          .describe('Country Chart columns: destinations for which the column needs no licence; every other destination needs one.'),
        treated_as: z.record(iso2, iso2).describe('Destinations the EAR treats as another (Hong Kong as China).'),
        embargoed: z.array(iso2).describe('Destinations under part 746 embargoes (Country Groups E:1, E:2), not resolved by the Country Chart.'),
        notes: z.array(z.string()),
      })
      .strict(),
    z
      .object({
        kind: z.literal('eu-dual-use'),
        member_states: z.array(iso2).describe('EU Member States: intra-Union transfers (Art. 11 needs an authorisation only for Annex IV items).'),
        general_authorisations: z.array(
          z
            .object({
              id: z.string(),
              title: z.string(),
              destinations: z.array(iso2),
              entries_known_eligible: z.array(z.string()).describe('Entries the source data says are not excluded by Annex II.'),
              note: z.string(),
            })
            .strict(),
        ),
        annex_iv_entries: z.array(z.string()).nullable().describe('Entries listed in Annex IV; null when the rule data does not know.'),
        notes: z.array(z.string()),
      })
      .strict(),
    z
      .object({
        kind: z.literal('national'),
        exporting_state: iso2,
        free_destinations: z.array(iso2).describe('Destinations to which the national list requires no licence (e.g. other EU Member States).'),
        notes: z.array(z.string()),
      })
      .strict(),
    z.object({ kind: z.literal('all-destinations'), notes: z.array(z.string()) }).strict(),
    z.object({ kind: z.literal('reference'), notes: z.array(z.string()) }).strict(),
    z.object({ kind: z.literal('unknown'), notes: z.array(z.string()) }).strict(),
  ])
  .meta({ id: 'Licensing' });

export type Licensing = z.infer<typeof licensingSchema>;

export const ruleSetSchema = z
  .object({
    $schema: z.string().optional(),
    format: z.literal('fabgate-ruleset/1'),
    id: z.string().regex(/^[a-z0-9-]+$/).describe('File-name id, e.g. us-ear.'),
    regime: z.string().describe('Regime name as in entries.json, e.g. US-EAR.'),
    title: z.string(),
    jurisdiction: z.string(),
    status: z.enum(['in_force', 'proposed', 'reference']).describe('reference: a multilateral list implemented by national law (Wassenaar).'),
    version: z.string().describe('`<as-of date>.<revision>`; a newer rule set for the regime has a greater version.'),
    effective_date: isoDate.describe('Date of the legal text this rule set reflects.'),
    review_date: isoDate.describe('Re-check the sources by this date; `fabgate rules status` flags it when passed.'),
    sunset_date: isoDate.nullable().describe('Do not rely on this rule set after this date without a new version.'),
    date_policy: z.string().describe('Why these review and sunset dates.'),
    provenance: z
      .object({
        generated_by: z.string(),
        sources: z.array(z.object({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict()),
        compiled: isoDate,
      })
      .strict(),
    open_questions: z.array(z.string()).describe('What the sources leave unknown for this regime.'),
    licensing: licensingSchema.describe('Destination data of the regime (country groups, member states, general authorisations).'),
    entries: z.array(entrySchema),
  })
  .strict()
  .meta({ id: 'RuleSet' });

export type RuleSet = z.infer<typeof ruleSetSchema>;

/** JSON Schema of the rule-set format (`ruleset.schema.json`). */
export function ruleSetJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ruleSetSchema),
    $id: 'https://fabgate.dev/schemas/ruleset.schema.json',
    title: 'Fabgate rule set',
  };
}
