import { designError } from './errors.js';
import { partNameProblem, resolveRelationshipTarget } from './part-names.js';
import { OPC } from './vocabulary.js';
import { attr, escapeXml, parseXmlDocument } from './xml.js';

/** One `<Relationship>` of a `.rels` part (ECMA-376 Part 2, §9.3). */
export interface Relationship {
  readonly id: string;
  readonly type: string;
  /** The Target attribute as written. */
  readonly target: string;
  readonly targetMode: 'Internal' | 'External';
  /**
   * The part the target resolves to, for internal targets that resolve to a
   * valid part name. Undefined for external targets and for internal targets
   * that do not name a part (`C:/x.png`, `../../x`), which the package checks
   * report.
   */
  readonly targetPart: string | undefined;
}

/** xsd:ID, as OPC requires for relationship ids. */
const XML_ID = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/** Parses the relationships of `source` (`/` for the package) from its `.rels` part. */
export function parseRelationships(bytes: Uint8Array, relsPart: string, source: string): Relationship[] {
  const root = parseXmlDocument(bytes, relsPart);
  if (root.local !== 'Relationships' || root.uri !== OPC.relationshipsNs) {
    throw invalid(relsPart, `root <${root.name}> is not <Relationships> in the OPC relationships namespace`);
  }
  const ids = new Set<string>();
  const relationships: Relationship[] = [];
  for (const child of root.children) {
    if (child.uri !== OPC.relationshipsNs) continue;
    if (child.local !== 'Relationship') throw invalid(relsPart, `unexpected element <${child.local}>`);
    const id = attr(child, 'Id');
    const type = attr(child, 'Type');
    const target = attr(child, 'Target');
    const mode = attr(child, 'TargetMode') ?? 'Internal';
    if (!id || !XML_ID.test(id)) throw invalid(relsPart, `relationship Id '${id ?? ''}' is missing or not an XML ID`);
    if (ids.has(id)) throw invalid(relsPart, `relationship Id '${id}' is used twice`);
    ids.add(id);
    if (!type) throw invalid(relsPart, `relationship '${id}' has no Type`);
    if (target === undefined || target === '') throw invalid(relsPart, `relationship '${id}' has no Target`);
    if (mode !== 'Internal' && mode !== 'External') throw invalid(relsPart, `relationship '${id}' has TargetMode '${mode}'`);
    let targetPart: string | undefined;
    if (mode === 'Internal') {
      const resolved = resolveRelationshipTarget(source, target);
      if (!resolved.external && partNameProblem(resolved.partName) === undefined) targetPart = resolved.partName;
    }
    relationships.push({ id, type, target, targetMode: mode, targetPart });
  }
  return relationships;
}

/** Writes a `.rels` part; targets are written as absolute part names. */
export function serializeRelationships(relationships: Iterable<{ id: string; type: string; target: string }>): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<Relationships xmlns="${OPC.relationshipsNs}">`];
  for (const r of relationships) {
    lines.push(`\t<Relationship Type="${escapeXml(r.type)}" Target="${escapeXml(r.target)}" Id="${escapeXml(r.id)}"/>`);
  }
  lines.push('</Relationships>', '');
  return lines.join('\n');
}

function invalid(relsPart: string, message: string) {
  return designError('DESIGN_PACKAGE_INVALID', `${relsPart}: ${message}`, { reason: 'relationships', part: relsPart });
}
