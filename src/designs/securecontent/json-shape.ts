/**
 * Strict shape checks for the two small JSON documents of this module's own
 * formats: the Fabgate manifest (MANIFEST-FORMAT.md §2) and the envelope header
 * (ENVELOPE-FORMAT.md §2). Both formats fix every member, so the checks are the
 * format tables written as code: exact members (no others), types, lengths,
 * ranges and patterns.
 *
 * Why not zod, the project's validator: loading zod costs a print host about
 * 7 MB of resident memory, a tenth of what opening a 1 GB part may use in all,
 * for two documents whose shape never varies. Request bodies at the HTTP edge
 * stay with zod.
 */

/** Describes what is wrong with `value` (at `path`), or returns undefined. */
export type ShapeCheck = (value: unknown, path: string) => string | undefined;

const at = (path: string, message: string) => `${path || '(root)'}: ${message}`;

export function literal(expected: string | number): ShapeCheck {
  return (v, path) => (v === expected ? undefined : at(path, `must be ${JSON.stringify(expected)}`));
}

export function oneOf(...allowed: string[]): ShapeCheck {
  return (v, path) => (typeof v === 'string' && allowed.includes(v) ? undefined : at(path, `must be one of ${allowed.join(', ')}`));
}

/** A string; lengths count UTF-16 code units, as JavaScript strings do. */
export function text(rule: { min?: number; max: number; pattern?: RegExp; prefix?: string }): ShapeCheck {
  return (v, path) => {
    if (typeof v !== 'string') return at(path, 'must be a string');
    if (v.length < (rule.min ?? 0) || v.length > rule.max) return at(path, `must be ${rule.min ?? 0} to ${rule.max} characters long`);
    if (rule.pattern && !rule.pattern.test(v)) return at(path, `must match ${rule.pattern}`);
    if (rule.prefix !== undefined && !v.startsWith(rule.prefix)) return at(path, `must start with ${JSON.stringify(rule.prefix)}`);
    return undefined;
  };
}

export function integer(rule: { min: number; max?: number }): ShapeCheck {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return at(path, 'must be an integer');
    if (v < rule.min || (rule.max !== undefined && v > rule.max)) return at(path, `must be from ${rule.min}${rule.max !== undefined ? ` to ${rule.max}` : ''}`);
    return undefined;
  };
}

export const boolean: ShapeCheck = (v, path) => (typeof v === 'boolean' ? undefined : at(path, 'must be true or false'));

export function list(item: ShapeCheck, rule: { min?: number; max: number }): ShapeCheck {
  return (v, path) => {
    if (!Array.isArray(v)) return at(path, 'must be an array');
    if (v.length < (rule.min ?? 0) || v.length > rule.max) return at(path, `must hold ${rule.min ?? 0} to ${rule.max} items`);
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** An object with exactly these members (those in `optional` may be absent) and no others. */
export function record(members: Record<string, ShapeCheck>, optional: readonly string[] = []): ShapeCheck {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return at(path, 'must be an object');
    const object = v as Record<string, unknown>;
    for (const key of Object.keys(object)) if (!Object.hasOwn(members, key)) return at(path, `has an unknown member ${JSON.stringify(key)}`);
    for (const [key, check] of Object.entries(members)) {
      const child = path ? `${path}.${key}` : key;
      if (!Object.hasOwn(object, key)) {
        if (optional.includes(key)) continue;
        return at(child, 'is missing');
      }
      const problem = check(object[key], child);
      if (problem) return problem;
    }
    return undefined;
  };
}

export const HEX64 = /^[0-9a-f]{64}$/;
