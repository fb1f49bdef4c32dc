/**
 * Canonical JSON: one byte sequence per JSON value, so that a hash of a record
 * (a commitment, an audit event) can be recomputed by anyone holding the record.
 *
 * Output follows RFC 8785 (JSON Canonicalization Scheme): no whitespace;
 * object members sorted by the UTF-16 code units of their names (§3.2.3);
 * strings with only the mandatory escapes (§3.2.2.2); numbers as ECMAScript
 * writes them (§3.2.2.3), which for integers is plain decimal. Values with no
 * JSON form are refused instead of being silently changed the way
 * JSON.stringify does (NaN to null, a Date to a string, undefined to null):
 * non-finite numbers, bigint, undefined outside an object member, functions,
 * symbols, class instances, lone surrogates and cycles.
 *
 * One convention beyond RFC 8785: an object member whose value is `undefined`
 * is left out, as if absent (JSON has no undefined).
 */
import { isWellFormedString, utf8 } from './bytes.js';
import { LedgerError } from './errors.js';

/** Nesting deeper than this is refused (records are shallow; this bounds recursion). */
export const MAX_JSON_DEPTH = 64;

function unsupported(path: string, why: string): LedgerError {
  return new LedgerError('LEDGER_JSON_UNSUPPORTED', `${path || 'value'}: ${why}`, { path });
}

const SHORT_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

/** RFC 8785 §3.2.2.2: escape '"', '\' and U+0000..U+001F; everything else as is. */
function serializeString(value: string, path: string): string {
  if (!isWellFormedString(value)) throw unsupported(path, 'string with a lone surrogate has no UTF-8 form');
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const short = SHORT_ESCAPES[unit];
    if (short !== undefined) out += short;
    else if (unit < 0x20) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else out += value[i];
  }
  return out + '"';
}

/** RFC 8785 §3.2.2.3: the ECMAScript Number-to-String conversion; -0 becomes 0. */
function serializeNumber(value: number, path: string): string {
  if (!Number.isFinite(value)) throw unsupported(path, `${value} is not a JSON number`);
  return String(value);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function serialize(value: unknown, path: string, depth: number, open: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, path);
    case 'number':
      return serializeNumber(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw unsupported(path, `${typeof value} has no JSON form`);
  }
  if (value === null) return 'null';
  if (depth >= MAX_JSON_DEPTH) throw new LedgerError('LEDGER_JSON_TOO_DEEP', `${path}: nested deeper than ${MAX_JSON_DEPTH}`, { path });
  if (open.has(value)) throw unsupported(path, 'cycle');
  open.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((item, i) => serialize(item, `${path}[${i}]`, depth + 1, open)).join(',')}]`;
  } else if (isPlainObject(value)) {
    // Default sort compares UTF-16 code units, exactly as RFC 8785 §3.2.3 asks.
    const names = Object.keys(value)
      .filter((name) => value[name] !== undefined)
      .sort();
    out = `{${names.map((name) => `${serializeString(name, path)}:${serialize(value[name], `${path}.${name}`, depth + 1, open)}`).join(',')}}`;
  } else {
    throw unsupported(path, `a ${value.constructor?.name ?? 'non-plain'} object has no canonical JSON form; convert it first`);
  }
  open.delete(value);
  return out;
}

/**
 * The canonical JSON text of `value` (RFC 8785).
 *
 * @example canonicalJson({ b: [1, 'x'], a: null }) === '{"a":null,"b":[1,"x"]}'
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '', 0, new Set());
}

/** The UTF-8 bytes of `canonicalJson(value)`: what gets hashed. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}
