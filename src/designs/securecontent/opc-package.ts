import { createHash } from 'node:crypto';
import { contentTypeOf, parseContentTypes, type ContentTypes } from './content-types.js';
import { designError } from './errors.js';
import type { ArchiveLimits } from './limits.js';
import { assertPartName, isRelsPart, partNameKey, sourceOfRelsPart } from './part-names.js';
import { parseRelationships, type Relationship } from './relationships.js';
import { SafeZip, type ZipEntry, type ZipSource } from './safe-zip.js';
import { CORE, OPC, SECURE } from './vocabulary.js';

/**
 * An OPC package as 3MF uses it: parts with content types, and relationships
 * from the package and from parts. Opening one checks the structure rules of
 * 3MF core chapter 2 (parts and relationships) and reports what it found.
 */

/** A rule of the OPC / 3MF package structure that a package breaks. */
export interface PackageFinding {
  severity: 'error' | 'warning';
  /** Stable identifier of the rule, e.g. `START_PART_MISSING` (3MF core §2.1.1). */
  rule: string;
  message: string;
  part?: string;
}

export interface PackagePart {
  readonly partName: string;
  readonly contentType: string | undefined;
  /** Declared uncompressed size (enforced while reading). */
  readonly size: number;
  readonly entry: ZipEntry;
}

export interface OpenPackageOptions {
  limits?: Partial<ArchiveLimits>;
  /**
   * Strict conformance (3MF "MUSTFAIL" behaviour): ambiguities that lib3mf
   * only warns about (two StartPart relationships, a dangling thumbnail
   * relationship) become errors. Default false, which matches lib3mf.
   */
  strict?: boolean;
}

/** Relationship types whose targets must exist and be internal in any mode. */
const ESSENTIAL_RELATIONSHIPS = new Set<string>([CORE.modelRel, CORE.textureRel, CORE.printTicketRel, SECURE.keystoreRel, SECURE.encryptedFileRel]);

export class OpcPackage {
  readonly parts: ReadonlyMap<string, PackagePart>;
  readonly findings: PackageFinding[];
  /**
   * SHA-256 and size of the parts this object parsed (content types,
   * relationships), taken from the very bytes parsed, so a manifest check
   * covers what was interpreted rather than a second read.
   */
  readonly parsedDigests: ReadonlyMap<string, { sha256: string; size: number }>;
  readonly #relationships: Map<string, Relationship[]>;
  readonly #byKey: Map<string, PackagePart>;

  private constructor(
    readonly zip: SafeZip,
    readonly contentTypes: ContentTypes,
    parts: Map<string, PackagePart>,
    relationships: Map<string, Relationship[]>,
    findings: PackageFinding[],
    /** The root 3D model part named by the (first) StartPart relationship. */
    readonly startPart: string | undefined,
    parsedDigests: Map<string, { sha256: string; size: number }>,
  ) {
    this.parts = parts;
    this.parsedDigests = parsedDigests;
    this.#relationships = relationships;
    this.findings = findings;
    this.#byKey = new Map([...parts.values()].map((p) => [partNameKey(p.partName), p]));
  }

  /** Opens an archive as a 3MF OPC package; hostile archives fail with DESIGN_ARCHIVE_*. */
  static async open(source: ZipSource | SafeZip, options: OpenPackageOptions = {}): Promise<OpcPackage> {
    const zip = source instanceof SafeZip ? source : await SafeZip.open(source, options.limits);
    try {
      return await OpcPackage.#build(zip, options.strict === true);
    } catch (e) {
      if (!(source instanceof SafeZip)) await zip.close();
      throw e;
    }
  }

  /** The part, matched case-insensitively. */
  part(partName: string): PackagePart | undefined {
    return this.parts.get(partName) ?? this.#byKey.get(partNameKey(partName));
  }

  /** Relationships whose source is `source` (`/` for the package). */
  relationshipsFrom(source: string): readonly Relationship[] {
    return this.#relationships.get(source) ?? [];
  }

  /** Every relationships part's source and its relationships. */
  get relationshipSources(): ReadonlyMap<string, readonly Relationship[]> {
    return this.#relationships;
  }

  /** The first error finding as an exception, if any. */
  assertNoErrors(): void {
    const errors = this.findings.filter((f) => f.severity === 'error');
    if (errors.length > 0) {
      throw designError('DESIGN_PACKAGE_INVALID', errors[0]!.message, { reason: errors[0]!.rule, findings: errors });
    }
  }

  async close(): Promise<void> {
    await this.zip.close();
  }

  static async #build(zip: SafeZip, strict: boolean): Promise<OpcPackage> {
    const findings: PackageFinding[] = [];
    const add = (severity: PackageFinding['severity'], rule: string, message: string, part?: string) => findings.push({ severity, rule, message, part });
    const strictly: PackageFinding['severity'] = strict ? 'error' : 'warning';

    const typesEntry = zip.entry(OPC.contentTypesPart);
    if (!typesEntry) throw designError('DESIGN_PACKAGE_INVALID', 'the package has no [Content_Types].xml', { reason: 'content-types-missing' });
    const parsedDigests = new Map<string, { sha256: string; size: number }>();
    const readXml = async (name: string) => {
      const bytes = await zip.readEntry(name, zip.limits.maxXmlPartBytes);
      parsedDigests.set(name, { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
      return bytes;
    };
    const contentTypes = parseContentTypes(await readXml(typesEntry.partName));
    for (const w of contentTypes.warnings) add('warning', 'CONTENT_TYPE_PART_NAME', w, OPC.contentTypesPart);

    const parts = new Map<string, PackagePart>();
    for (const entry of zip.entries) {
      if (entry.partName === typesEntry.partName) continue;
      assertPartName(entry.partName, 'ZIP entry');
      const contentType = contentTypeOf(contentTypes, entry.partName);
      // OPC requires a content type for every part; PrusaSlicer writes its .config parts without one.
      if (!contentType) add(strictly, 'PART_WITHOUT_CONTENT_TYPE', `part '${entry.partName}' has no content type`, entry.partName);
      parts.set(entry.partName, { partName: entry.partName, contentType, size: entry.uncompressedSize, entry });
    }
    const exists = (name: string) => zip.entry(name) !== undefined && partNameKey(name) !== partNameKey(OPC.contentTypesPart);

    const relationships = new Map<string, Relationship[]>();
    for (const part of parts.values()) {
      if (!isRelsPart(part.partName)) continue;
      const source = sourceOfRelsPart(part.partName);
      if (source === undefined) {
        add('error', 'RELATIONSHIPS_PART_NAME', `'${part.partName}' is not a valid relationships part name`, part.partName);
        continue;
      }
      if (source !== '/' && !exists(source)) add('warning', 'RELATIONSHIPS_ORPHAN', `'${part.partName}' belongs to '${source}', which is not in the package`, part.partName);
      if (part.contentType !== OPC.relationshipsContentType) {
        add('warning', 'RELATIONSHIPS_CONTENT_TYPE', `'${part.partName}' has content type '${part.contentType ?? ''}'`, part.partName);
      }
      const rels = parseRelationships(await readXml(part.partName), part.partName, source);
      relationships.set(source, rels);
      const printTickets = rels.filter((r) => r.type === CORE.printTicketRel);
      if (printTickets.length > 1) add('error', 'PRINT_TICKET_MULTIPLE', `'${source}' has ${printTickets.length} print ticket relationships (3MF core §2.1.4 allows one)`, part.partName);
      for (const r of rels) {
        if (r.targetMode === 'External') {
          if (ESSENTIAL_RELATIONSHIPS.has(r.type)) add('error', 'RELATIONSHIP_EXTERNAL', `relationship '${r.id}' in '${part.partName}' points outside the package`, part.partName);
          continue;
        }
        if (r.targetPart === undefined) {
          add('error', 'RELATIONSHIP_TARGET_INVALID', `relationship '${r.id}' in '${part.partName}' has target '${r.target}', which names no part of the package`, part.partName);
        } else if (!exists(r.targetPart)) {
          const severity = ESSENTIAL_RELATIONSHIPS.has(r.type) ? 'error' : strictly;
          add(severity, 'RELATIONSHIP_TARGET_MISSING', `relationship '${r.id}' in '${part.partName}' targets '${r.targetPart}', which is not in the package`, part.partName);
        } else if (isRelsPart(r.targetPart)) {
          add('error', 'RELATIONSHIP_TO_RELATIONSHIPS', `relationship '${r.id}' in '${part.partName}' targets a relationships part`, part.partName);
        }
      }
    }

    let startPart: string | undefined;
    const root = relationships.get('/');
    if (!root) {
      add('error', 'START_PART_MISSING', 'the package has no _rels/.rels, so no root 3D model part (3MF core §2.1.1)');
    } else {
      const starts = root.filter((r) => r.type === CORE.modelRel);
      if (starts.length === 0) add('error', 'START_PART_MISSING', 'no StartPart (3dmodel) relationship in _rels/.rels (3MF core §2.1.1)', OPC.rootRelsPart);
      if (starts.length > 1) {
        const targets = new Set(starts.map((s) => s.targetPart));
        add(strictly, 'START_PART_MULTIPLE', `_rels/.rels has ${starts.length} StartPart relationships${targets.size > 1 ? ' to different parts' : ''} (3MF core §2.1.1 allows one)`, OPC.rootRelsPart);
      }
      const first = starts[0];
      if (first?.targetPart && exists(first.targetPart)) {
        startPart = zip.entry(first.targetPart)!.partName;
        const type = parts.get(startPart)?.contentType;
        if (type !== CORE.modelContentType) add('error', 'START_PART_CONTENT_TYPE', `the root model part '${startPart}' has content type '${type ?? ''}'`, startPart);
      }
    }
    return new OpcPackage(zip, contentTypes, parts, relationships, findings, startPart, parsedDigests);
  }
}
