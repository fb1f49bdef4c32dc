/**
 * What the classification pages share: the shapes the API answers with, the
 * item JSON Schema (loaded once from GET /api/schemas/item), status badges and
 * a country picker.
 */
import { useEffect, useId, useState } from 'react';
import { api } from '../api';

export type Json = Record<string, unknown>;
export type EntryStatus = 'controlled' | 'not_controlled' | 'needs_information' | 'needs_review';

export interface TraceNode {
  node: 'all' | 'any' | 'not' | 'any_element' | 'element' | 'unmodelled' | 'condition' | 'applicability';
  result: 'met' | 'not_met' | 'unknown' | 'review';
  id?: string;
  parameter?: string;
  operator?: string;
  threshold?: unknown;
  found?: unknown;
  converted?: { value: number; unit: string } | Array<{ value: number; unit: string }>;
  missing?: boolean;
  missing_parameters?: string[];
  note?: string;
  detail?: string;
  path?: string;
  index?: number;
  satisfied_by?: number[];
  text?: string;
  referenced?: EntryResult[];
  children?: TraceNode[];
}

export interface EntryResult {
  key: string;
  regime: string;
  id: string;
  title: string;
  status: EntryStatus;
  applicable: boolean;
  branch?: string;
  missing: string[];
  review: string[];
  trace: TraceNode;
  notes: Array<{ type: string; summary: string }>;
  reasons_for_control: string[];
  confidence: string;
  role: 'control_entry' | 'scope_rule';
  effect?: string;
}

export interface RuleSetRef {
  id: string;
  regime: string;
  version: string;
  sha256: string;
}

export interface RegimeDestination {
  regime: string;
  rule_set: string;
  status: string;
  reasons: string[];
  unknowns: string[];
}

export interface Classification {
  item: { kind: string; id?: string; name?: string };
  status: EntryStatus;
  rule_sets: RuleSetRef[];
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  results: EntryResult[];
  destination?: { destination: { code: string; name: string; assessed_as?: string }; regimes: RegimeDestination[] };
  comparison?: { controlled_in: string[]; not_controlled_in: string[]; undecided_in: string[]; families: Array<{ family: string[]; divergence: string | null }> };
}

export interface ItemListEntry {
  id: string;
  name: string;
  kind: string;
  spec_sha256: string;
  revision: number;
  created_at: string;
  updated_at: string;
  latest_classification: { id: string; status: EntryStatus; controlled_by: string[]; classified_at: string; item_revision: number; outdated: boolean } | null;
}

export interface Item extends ItemListEntry {
  spec: Json;
}

export interface RecordedClassification {
  id: string;
  item_id: string;
  item_revision: number;
  item_name: string;
  spec: Json;
  status: EntryStatus;
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  rule_sets: RuleSetRef[];
  destination: { code: string; name: string; regimes: RegimeDestination[] } | null;
  note: string | null;
  classified_at: string;
  classified_by: { type: string; id: string };
  outdated: boolean;
  outdated_rule_sets: Array<{ id: string; regime: string; recorded_version: string; current_version: string | null }>;
  log: { leaf_index: number | null; commitment: string } | null;
}

// ------------------------------------------------------------------ JSON Schema

/** The subset of JSON Schema the item schema uses. */
export interface JsonSchema {
  type?: string;
  enum?: string[];
  const?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  $ref?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
  oneOf?: JsonSchema[];
  $defs?: Record<string, JsonSchema>;
}

let schemaPromise: Promise<JsonSchema> | undefined;

/** The published item schema, fetched once per page load. */
export function useItemSchema(): { schema: JsonSchema | null; error: unknown } {
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    schemaPromise ??= api<JsonSchema>('GET', '/api/schemas/item');
    schemaPromise.then((s) => live && setSchema(s)).catch((e) => {
      schemaPromise = undefined;
      if (live) setError(e);
    });
    return () => {
      live = false;
    };
  }, []);
  return { schema, error };
}

/** Follow a local `$ref` (`#/$defs/Machine`). */
export function resolve(root: JsonSchema, s: JsonSchema): JsonSchema {
  if (!s.$ref) return s;
  const name = s.$ref.replace('#/$defs/', '');
  const target = root.$defs?.[name];
  return target ? { ...target, ...(s.description ? { description: s.description } : {}) } : s;
}

/** The variant of the item schema for one kind. */
export function kindSchema(root: JsonSchema, kind: string): JsonSchema | undefined {
  return root.oneOf?.find((o) => o.properties?.kind?.const === kind);
}

export function kinds(root: JsonSchema): Array<{ kind: string; description: string }> {
  return (root.oneOf ?? []).map((o) => ({ kind: o.properties!.kind!.const!, description: o.properties!.kind!.description ?? '' }));
}

// ------------------------------------------------------------------ small pieces

export const STATUS_LABEL: Record<string, string> = {
  controlled: 'Controlled',
  not_controlled: 'Not controlled',
  needs_information: 'Needs information',
  needs_review: 'Needs review',
  licence_required: 'Licence required',
  general_authorisation_available: 'General authorisation available',
  no_licence_required: 'No licence required',
  not_applicable: 'Not applicable',
  met: 'met',
  not_met: 'not met',
  unknown: 'unknown (missing)',
  review: 'needs review',
};

/** The colour class of a status: danger for controlled/licence required, ok for free, warn for open questions. */
function tone(status: string): string {
  if (status === 'controlled' || status === 'licence_required' || status === 'met') return 'danger';
  if (status === 'not_controlled' || status === 'no_licence_required' || status === 'not_met' || status === 'not_applicable') return 'ok';
  if (status === 'general_authorisation_available') return 'info';
  return 'warn';
}

/** A status as a labelled badge: the words carry the meaning, the colour only repeats it. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`cls-badge ${tone(status)}`}>{label ?? STATUS_LABEL[status] ?? status.replace(/_/g, ' ')}</span>;
}

/** "machine.closed_loop_control.present" → "closed loop control present". */
export function humanise(name: string): string {
  return name.replace(/_wt_pct$/, ' (wt%)').replace(/_/g, ' ');
}

const COUNTRY_CODES = (() => {
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  const out: Array<{ code: string; name: string }> = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      const name = names.of(code);
      // ICU names a few two-letter groupings that are not destinations
      if (name && !['EU', 'EZ', 'UN', 'QO', 'ZZ', 'XA', 'XB'].includes(code)) out.push({ code, name });
    }
  }
  return out.sort((x, y) => x.name.localeCompare(y.name));
})();

/** A destination picker: every ISO 3166-1 alpha-2 country by name, or none. */
export function CountrySelect({ value, onChange, label = 'Destination country' }: { value: string; onChange: (code: string) => void; label?: string }) {
  const id = useId();
  return (
    <label className="stack" htmlFor={id}>
      {label}
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">— no destination —</option>
        {COUNTRY_CODES.map((c) => (
          <option key={c.code} value={c.code}>
            {c.name} ({c.code})
          </option>
        ))}
      </select>
    </label>
  );
}

export const fmtTime = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
