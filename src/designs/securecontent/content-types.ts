import { designError } from './errors.js';
import { partExtension, partNameKey, partNameProblem } from './part-names.js';
import { OPC } from './vocabulary.js';
import { attr, escapeXml, parseXmlDocument } from './xml.js';

/**
 * `[Content_Types].xml` (ECMA-376 Part 2, §10.1.2): a content type for every
 * part, by `Override` (one part) or `Default` (by extension).
 */
export interface ContentTypes {
  /** Lower-cased extension → content type. */
  readonly defaults: ReadonlyMap<string, string>;
  /** Part-name key → part name and content type. */
  readonly overrides: ReadonlyMap<string, { partName: string; contentType: string }>;
  /** Tolerated deviations, e.g. an Override PartName without its leading slash (lib3mf writes those). */
  readonly warnings: readonly string[];
}

export function parseContentTypes(bytes: Uint8Array): ContentTypes {
  const root = parseXmlDocument(bytes, OPC.contentTypesPart);
  if (root.local !== 'Types' || root.uri !== OPC.contentTypesNs) {
    throw designError('DESIGN_PACKAGE_INVALID', `${OPC.contentTypesPart} has root <${root.name}>, not <Types> in the OPC content-types namespace`, { reason: 'content-types' });
  }
  const defaults = new Map<string, string>();
  const overrides = new Map<string, { partName: string; contentType: string }>();
  const warnings: string[] = [];
  for (const child of root.children) {
    if (child.uri !== OPC.contentTypesNs) continue;
    const contentType = attr(child, 'ContentType');
    if (!contentType) throw invalid(`<${child.local}> without ContentType`);
    if (child.local === 'Default') {
      const extension = attr(child, 'Extension');
      if (extension === undefined || extension === '') throw invalid('<Default> without Extension');
      const key = extension.toLowerCase();
      if (defaults.has(key)) throw invalid(`two <Default> entries for extension '${extension}'`);
      defaults.set(key, contentType);
    } else if (child.local === 'Override') {
      let partName = attr(child, 'PartName');
      if (!partName) throw invalid('<Override> without PartName');
      if (!partName.startsWith('/')) {
        // lib3mf writes `PartName="Secure/keystore.xml"`; OPC requires the slash.
        warnings.push(`Override PartName '${partName}' lacks its leading slash`);
        partName = '/' + partName;
      }
      const problem = partNameProblem(partName);
      if (problem) throw invalid(`<Override> PartName '${partName}' ${problem}`);
      const key = partNameKey(partName);
      if (overrides.has(key)) throw invalid(`two <Override> entries for '${partName}'`);
      overrides.set(key, { partName, contentType });
    } else {
      throw invalid(`unexpected element <${child.local}>`);
    }
  }
  return { defaults, overrides, warnings };
}

/** The content type of a part: its Override, else the Default for its extension. */
export function contentTypeOf(types: ContentTypes, partName: string): string | undefined {
  return types.overrides.get(partNameKey(partName))?.contentType ?? types.defaults.get(partExtension(partName));
}

/** Writes `[Content_Types].xml` with Defaults then Overrides, in the given order. */
export function serializeContentTypes(defaults: Iterable<[string, string]>, overrides: Iterable<[string, string]>): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<Types xmlns="${OPC.contentTypesNs}">`];
  for (const [extension, contentType] of defaults) lines.push(`\t<Default Extension="${escapeXml(extension)}" ContentType="${escapeXml(contentType)}"/>`);
  for (const [partName, contentType] of overrides) lines.push(`\t<Override PartName="${escapeXml(partName)}" ContentType="${escapeXml(contentType)}"/>`);
  lines.push('</Types>', '');
  return lines.join('\n');
}

function invalid(message: string) {
  return designError('DESIGN_PACKAGE_INVALID', `${OPC.contentTypesPart}: ${message}`, { reason: 'content-types' });
}
