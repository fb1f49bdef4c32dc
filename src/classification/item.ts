/**
 * The boundary for item specifications: bytes or parsed JSON in, a validated
 * `ItemSpec` out, or a FabgateError with a stable code naming the field.
 */
import { FabgateError } from '../shared/errors.js';
import { itemSchema, type ItemSpec } from './item-schema.js';
import { dimensionsOfUnit } from './units.js';

/** Largest item document accepted (an honest spec is a few kilobytes). */
export const MAX_ITEM_BYTES = 1024 * 1024;
/** Deepest nesting accepted; the schema itself nests at most 7 levels. */
export const MAX_ITEM_DEPTH = 32;

/**
 * Depth of bracket nesting, counted outside strings, without parsing: refuses a
 * hostile `[[[[…` before JSON.parse spends stack or memory on it.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Parse an item document from JSON text (CLI files, JSONL lines, request bodies). */
export function parseItemJson(text: string, where = 'item'): ItemSpec {
  if (Buffer.byteLength(text, 'utf8') > MAX_ITEM_BYTES) {
    throw new FabgateError('CLASSIFICATION_ITEM_TOO_LARGE', `${where}: larger than ${MAX_ITEM_BYTES} bytes`, 'too_large', { limit: MAX_ITEM_BYTES });
  }
  if (nestingDepth(text) > MAX_ITEM_DEPTH) {
    throw new FabgateError('CLASSIFICATION_ITEM_TOO_DEEP', `${where}: nested deeper than ${MAX_ITEM_DEPTH} levels`, 'invalid_input', { limit: MAX_ITEM_DEPTH });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FabgateError('CLASSIFICATION_JSON_MALFORMED', `${where}: not valid JSON (${(e as Error).message})`, 'invalid_input');
  }
  return parseItem(value);
}

const fieldName = (path: ReadonlyArray<PropertyKey>) =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');

const at = (value: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>((v, seg) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined), value);

/**
 * Validate a parsed item. A unit that is not a unit at all gives
 * CLASSIFICATION_UNIT_UNKNOWN, a unit of another dimension (kelvin for a
 * pressure) gives CLASSIFICATION_UNIT_DIMENSION; both name the field. Anything
 * else gives CLASSIFICATION_ITEM_INVALID with every issue listed.
 */
export function parseItem(value: unknown): ItemSpec {
  const r = itemSchema.safeParse(value);
  if (r.success) return r.data;
  for (const issue of r.error.issues) {
    const last = issue.path[issue.path.length - 1];
    if (issue.code === 'invalid_value' && last === 'unit') {
      const field = fieldName(issue.path.slice(0, -1));
      const unit = at(value, issue.path);
      const allowed = (issue as { values?: unknown[] }).values ?? [];
      if (typeof unit === 'string' && dimensionsOfUnit(unit).length > 0) {
        throw new FabgateError(
          'CLASSIFICATION_UNIT_DIMENSION',
          `${field}: unit "${unit}" measures ${dimensionsOfUnit(unit).join('/')}, not what this field measures (use one of ${allowed.join(', ')})`,
          'invalid_input',
          { field, unit, allowed },
        );
      }
      throw new FabgateError('CLASSIFICATION_UNIT_UNKNOWN', `${field}: unknown unit ${JSON.stringify(unit)} (use one of ${allowed.join(', ')})`, 'invalid_input', {
        field,
        unit,
        allowed,
      });
    }
  }
  const issues = r.error.issues.map((i) => ({ field: fieldName(i.path), code: i.code, message: i.message }));
  throw new FabgateError(
    'CLASSIFICATION_ITEM_INVALID',
    `item specification invalid: ${issues
      .slice(0, 5)
      .map((i) => `${i.field || '(root)'}: ${i.message}`)
      .join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`,
    'invalid_input',
    { issues },
  );
}
