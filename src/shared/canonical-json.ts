import { FabgateError } from './errors.js';

/**
 * Canonical JSON (RFC 8785, JCS): object keys sorted by UTF-16 code units, no
 * whitespace, numbers and strings as ECMAScript serialises them. Two parties
 * holding the same record produce the same bytes, so a hash of it can be
 * recomputed by anyone. Values that JSON cannot carry exactly (non-finite
 * numbers, bigint, functions) are refused rather than silently altered;
 * properties whose value is `undefined` are omitted, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new FabgateError('CANONICAL_JSON_NUMBER', `cannot encode ${value} in canonical JSON`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v === undefined ? null : v)).join(',') + ']';
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
    }
    default:
      throw new FabgateError('CANONICAL_JSON_TYPE', `cannot encode a ${typeof value} in canonical JSON`);
  }
}
