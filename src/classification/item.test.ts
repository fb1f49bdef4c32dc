import { describe, expect, it } from 'vitest';
import { ITEM_FIELDS } from './item-fields.js';
import { parseItem, parseItemJson } from './item.js';
import { itemSchema } from './item-schema.js';

const fail = (f: () => unknown): { code?: string; message: string; details?: unknown } => {
  try {
    f();
  } catch (e) {
    return e as { code?: string; message: string; details?: unknown };
  }
  throw new Error('expected an error');
};

/** The example of issue 4, verbatim. */
const ISSUE_EXAMPLE = {
  kind: 'am_machine',
  machine: {
    output_material_class: ['metal'],
    consolidation_sources: ['laser'],
    process_atmosphere: ['inert_gas'],
    in_process_monitoring: [{ sensor_type: 'pyrometer', configuration: 'co-axial', max_measurable_temperature: { value: 2200, unit: 'degC' } }],
    closed_loop_control: { present: true, modifies: ['consolidation_source_parameters'], uses_feedback_from_qualifying_monitoring: true },
  },
};

describe('item specifications', () => {
  it('accepts the example of the issue', () => {
    expect(parseItem(ISSUE_EXAMPLE)).toEqual(ISSUE_EXAMPLE);
  });

  it('an unknown unit is CLASSIFICATION_UNIT_UNKNOWN naming the field', () => {
    const bad = structuredClone(ISSUE_EXAMPLE) as { machine: { in_process_monitoring: Array<{ max_measurable_temperature: { unit: string } }> } };
    bad.machine.in_process_monitoring[0]!.max_measurable_temperature.unit = 'Réaumur';
    const e = fail(() => parseItem(bad));
    expect(e.code).toBe('CLASSIFICATION_UNIT_UNKNOWN');
    expect(e.message).toContain('machine.in_process_monitoring[0].max_measurable_temperature');
  });

  it('a unit of another dimension is CLASSIFICATION_UNIT_DIMENSION naming the field', () => {
    const e = fail(() => parseItem({ kind: 'am_machine', machine: { chamber_vacuum_pressure: { value: 1, unit: 'mm' } } }));
    expect(e.code).toBe('CLASSIFICATION_UNIT_DIMENSION');
    expect(e.message).toContain('machine.chamber_vacuum_pressure');
    expect(e.details).toMatchObject({ field: 'machine.chamber_vacuum_pressure', unit: 'mm' });
  });

  it('a misspelt field is refused, not silently missing', () => {
    const e = fail(() => parseItem({ kind: 'am_machine', machine: { proces_atmosphere: ['inert_gas'] } }));
    expect(e.code).toBe('CLASSIFICATION_ITEM_INVALID');
    expect(JSON.stringify(e.details)).toContain('proces_atmosphere');
  });

  it('an unknown kind, a wrong type, an out-of-range percentage are refused', () => {
    expect(fail(() => parseItem({ kind: 'toaster' })).code).toBe('CLASSIFICATION_ITEM_INVALID');
    expect(fail(() => parseItem({ kind: 'am_machine', machine: { output_material_class: 'metal' } })).code).toBe('CLASSIFICATION_ITEM_INVALID');
    expect(fail(() => parseItem({ kind: 'metal_powder', material: { composition: { Al_wt_pct: 101 } } })).code).toBe('CLASSIFICATION_ITEM_INVALID');
    expect(fail(() => parseItem({ kind: 'metal_powder', material: { composition: { Xx_wt_pct: 1 } } })).code).toBe('CLASSIFICATION_ITEM_INVALID');
    expect(fail(() => parseItem(null)).code).toBe('CLASSIFICATION_ITEM_INVALID');
  });

  it('hostile documents: malformed JSON, deep nesting, too large', () => {
    expect(fail(() => parseItemJson('{"kind":')).code).toBe('CLASSIFICATION_JSON_MALFORMED');
    expect(fail(() => parseItemJson('['.repeat(100000) + ']'.repeat(100000))).code).toBe('CLASSIFICATION_ITEM_TOO_DEEP');
    expect(fail(() => parseItemJson(JSON.stringify({ kind: 'am_machine', description: 'x'.repeat(1024 * 1024) }))).code).toBe('CLASSIFICATION_ITEM_TOO_LARGE');
    // brackets inside strings do not count as nesting
    expect(parseItemJson(JSON.stringify({ kind: 'am_machine', name: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', machine: {} })).kind).toBe('am_machine');
  });

  it('every field carries a description for the officer', () => {
    const schema = JSON.stringify(itemSchema.toJSONSchema());
    expect(schema.length).toBeGreaterThan(1000);
    type S = { properties?: Record<string, S>; items?: S; oneOf?: S[]; anyOf?: S[]; $defs?: Record<string, S>; description?: string; $ref?: string };
    // Walk only schema keywords, so a field named "properties" (material.properties) is not mistaken for the keyword.
    const walk = (s: S, path: string, out: string[]) => {
      for (const [k, p] of Object.entries(s.properties ?? {})) {
        if (!(k === 'kind' || /_wt_pct$/.test(k) || k === 'value' || k === 'unit') && !p.description && !p.$ref) out.push(`${path}.${k}`);
        walk(p, `${path}.${k}`, out);
      }
      if (s.items) walk(s.items, `${path}[]`, out);
      for (const o of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) walk(o, path, out);
      for (const [k, d] of Object.entries(s.$defs ?? {})) walk(d, `#${k}`, out);
    };
    const undocumented: string[] = [];
    walk(JSON.parse(schema) as S, '', undocumented);
    expect(undocumented).toEqual([]);
  });

  it('the field catalogue knows the dotted vocabulary of entries.json', () => {
    expect(ITEM_FIELDS.get('machine.in_process_monitoring[].configuration')).toEqual({ type: 'enum', values: ['co-axial', 'paraxial', 'off-axis'] });
    expect(ITEM_FIELDS.get('machine.chamber_vacuum_pressure')).toEqual({ type: 'quantity', dimension: 'pressure' });
    expect(ITEM_FIELDS.get('material.composition.Al_wt_pct')).toEqual({ type: 'number' });
  });
});
