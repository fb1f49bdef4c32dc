import { designError } from './errors.js';

/**
 * OPC part names (ECMA-376 Part 2, §9.1.1) and relationship targets (§9.3).
 *
 * A part name is an absolute path such as `/3D/3dmodel.model`; its ZIP item
 * name drops the leading slash. Part names compare case-insensitively (ASCII
 * and Unicode case folding alike), so `/3D/a.model` and `/3d/A.MODEL` name the
 * same part and may not both exist.
 */

/** The key under which part names compare equal (OPC §9.1.1.1: case-insensitive). */
export function partNameKey(partName: string): string {
  return partName.normalize('NFC').toLowerCase();
}

/**
 * Why a part name is not acceptable, or `undefined` when it is. Used for ZIP
 * item names (with a `/` prepended) and for names found in XML (keystore paths,
 * relationship targets after resolution).
 */
export function partNameProblem(partName: string): string | undefined {
  if (!partName.startsWith('/')) return 'does not start with /';
  if (partName.length === 1) return 'is the package root';
  if (partName.endsWith('/')) return 'ends with /';
  if (partName.includes('\\')) return 'contains a backslash';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(partName)) return 'contains a control character';
  const segments = partName.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return 'has an empty segment';
    if (segment === '.' || segment === '..') return 'has a dot segment';
    // §9.1.1.1 [M1.9]: a segment shall not end with a dot.
    if (segment.endsWith('.')) return 'has a segment ending with a dot';
    // §9.1.1.1 [M1.7]: no percent-encoded slash or backslash.
    if (/%(2f|5c)/i.test(segment)) return 'percent-encodes a slash';
  }
  if (/^\/[a-zA-Z]:/.test(partName)) return 'looks like a drive letter';
  return undefined;
}

/** Throws DESIGN_PACKAGE_INVALID unless `partName` is a valid OPC part name. */
export function assertPartName(partName: string, what: string): string {
  const problem = partNameProblem(partName);
  if (problem) throw designError('DESIGN_PACKAGE_INVALID', `${what} '${partName}' ${problem}`, { reason: 'part-name', partName });
  return partName;
}

/** The relationships part that holds the relationships of `source` (`/` for the package). */
export function relsPartNameFor(source: string): string {
  if (source === '/') return '/_rels/.rels';
  const slash = source.lastIndexOf('/');
  return `${source.slice(0, slash)}/_rels/${source.slice(slash + 1)}.rels`;
}

/** The source part of a relationships part, or undefined when `relsPart` is not one. */
export function sourceOfRelsPart(relsPart: string): string | undefined {
  const m = /^(.*)\/_rels\/([^/]*)\.rels$/.exec(relsPart);
  if (!m) return undefined;
  if (m[1] === '' && m[2] === '') return '/';
  if (m[2] === '') return undefined;
  return `${m[1]}/${m[2]}`;
}

export function isRelsPart(partName: string): boolean {
  return /\/_rels\/[^/]*\.rels$/i.test(partName);
}

/**
 * Resolves a relationship target against its source part (RFC 3986 §5.2, as
 * OPC §9.3.3 requires). Returns `{ external: true }` for anything with a URI
 * scheme or authority (including `C:/...`, which parses as scheme `c:`), and
 * the resolved, percent-decoded part name otherwise.
 */
export function resolveRelationshipTarget(source: string, target: string): { external: true } | { external: false; partName: string } {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(target) || target.startsWith('//')) return { external: true };
  const base = new URL(`opc://package${source === '/' ? '/' : source}`);
  let resolved: URL;
  try {
    resolved = new URL(target, base);
  } catch {
    throw designError('DESIGN_PACKAGE_INVALID', `relationship target '${target}' is not a URI reference`, { reason: 'relationship-target', target });
  }
  if (resolved.host !== 'package') return { external: true };
  let partName: string;
  try {
    partName = decodeURIComponent(resolved.pathname);
  } catch {
    throw designError('DESIGN_PACKAGE_INVALID', `relationship target '${target}' has bad percent-encoding`, { reason: 'relationship-target', target });
  }
  return { external: false, partName };
}

/** The lower-cased extension of a part name (after the last dot of its last segment), or ''. */
export function partExtension(partName: string): string {
  const last = partName.slice(partName.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  return dot < 0 ? '' : last.slice(dot + 1).toLowerCase();
}
