/**
 * The field catalogue of item specifications, read once from the zod schema:
 * dotted path (lists marked `[]`) → type, enum values, dimension of quantities.
 *
 * Rule compilation checks every condition against it, so a rule cannot name a
 * field the item schema lacks, compare a pressure in kelvin, or expect an enum
 * value no exporter can enter (a typo in a rule would otherwise be a silent
 * "not met").
 */
import { z } from 'zod';
import { itemSchema } from './item-schema.js';
import { CANONICAL_UNIT, dimensionsOfUnit, unitsOf, type Dimension } from './units.js';

export type FieldInfo =
  | { type: 'quantity'; dimension: Dimension }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'enum_list'; values: readonly string[] }
  | { type: 'string_list' }
  | { type: 'number' | 'boolean' | 'string' | 'object' | 'list' };

/** Dimension of a quantity object schema, recognised by its unit enum. */
function quantityDimension(schema: z.ZodObject): Dimension | undefined {
  const shape = schema.shape as Record<string, z.ZodType>;
  if (Object.keys(shape).length !== 2 || !(shape.value instanceof z.ZodNumber) || !(shape.unit instanceof z.ZodEnum)) return undefined;
  const units = shape.unit.options as string[];
  for (const dim of Object.keys(CANONICAL_UNIT) as Dimension[]) {
    const expected = unitsOf(dim);
    if (expected.length === units.length && expected.every((u, i) => u === units[i])) return dim;
  }
  return undefined;
}

function walk(schema: z.ZodType, path: string, out: Map<string, FieldInfo>): void {
  while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  if (schema instanceof z.ZodDiscriminatedUnion) {
    for (const option of schema.options as z.ZodType[]) walk(option, path, out);
    return;
  }
  if (schema instanceof z.ZodObject) {
    const dim = quantityDimension(schema);
    if (dim) {
      out.set(path, { type: 'quantity', dimension: dim });
      return;
    }
    if (path) out.set(path, { type: 'object' });
    for (const [key, child] of Object.entries(schema.shape as Record<string, z.ZodType>)) walk(child, path ? `${path}.${key}` : key, out);
    return;
  }
  if (schema instanceof z.ZodArray) {
    let element = schema.element as z.ZodType;
    while (element instanceof z.ZodOptional) element = element.unwrap() as z.ZodType;
    if (element instanceof z.ZodEnum) out.set(path, { type: 'enum_list', values: element.options as string[] });
    else if (element instanceof z.ZodString) out.set(path, { type: 'string_list' });
    else out.set(path, { type: 'list' });
    walk(element, `${path}[]`, out);
    return;
  }
  if (schema instanceof z.ZodEnum) out.set(path, { type: 'enum', values: schema.options as string[] });
  else if (schema instanceof z.ZodLiteral) out.set(path, { type: 'enum', values: [...schema.values].map(String) });
  else if (schema instanceof z.ZodNumber) out.set(path, { type: 'number' });
  else if (schema instanceof z.ZodBoolean) out.set(path, { type: 'boolean' });
  else if (schema instanceof z.ZodString) out.set(path, { type: 'string' });
}

/** Every field of every item kind. */
export const ITEM_FIELDS: ReadonlyMap<string, FieldInfo> = (() => {
  const out = new Map<string, FieldInfo>();
  walk(itemSchema, '', out);
  return out;
})();

/** The dimension a rule's unit belongs to for a given field, or why not. */
export function unitDimensionFor(field: FieldInfo | undefined, unit: string): Dimension | string {
  if (!field || field.type !== 'quantity') return `a unit (${unit}) is given but the field is not a quantity`;
  if (!unitsOf(field.dimension).includes(unit)) {
    return `unit ${unit} is not a ${field.dimension} unit (it measures ${dimensionsOfUnit(unit).join('/') || 'nothing known'})`;
  }
  return field.dimension;
}
