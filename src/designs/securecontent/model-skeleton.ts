import type { Readable } from 'node:stream';
import type { SaxesTagNS } from 'saxes';
import type { PackageFinding } from './opc-package.js';
import { CORE, KNOWN_EXTENSION_NAMESPACES, PRODUCTION } from './vocabulary.js';
import { XmlStreamReader } from './xml.js';

/**
 * What Fabgate needs to know about a 3D model part without building a mesh:
 * its unit, namespaces and required extensions, its objects (id, type, whether
 * they reference other model parts) and its build items. Read in one
 * streaming pass, checking the core-specification rules that concern the
 * document's shape (chapters 2.3, 3 and 4); vertex values, materials and the
 * other geometry rules are left to geometry consumers.
 */

export type ObjectType = 'model' | 'solidsupport' | 'support' | 'surface' | 'other';
const OBJECT_TYPES = new Set<string>(['model', 'solidsupport', 'support', 'surface', 'other']);
const UNITS = new Set(['micron', 'millimeter', 'centimeter', 'inch', 'foot', 'meter']);

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const MC_NS = 'http://schemas.openxmlformats.org/markup-compatibility/2006';

/** Element names of the core namespace (3MF core Appendix B); anything else there is unknown markup. */
const CORE_ELEMENTS = new Set([
  'model', 'metadata', 'metadatagroup', 'resources', 'build', 'item', 'object', 'mesh', 'vertices', 'vertex',
  'triangles', 'triangle', 'components', 'component', 'basematerials', 'base',
]);

export interface ModelObject {
  readonly id: number;
  readonly type: ObjectType;
  readonly hasMesh: boolean;
  readonly hasComponents: boolean;
  /** `p:path` targets of this object's components (Production extension). */
  readonly componentPaths: readonly string[];
}

export interface BuildItem {
  readonly objectId: number;
  readonly transform?: string;
  readonly uuid?: string;
  /** `p:path` of the item (Production extension). */
  readonly path?: string;
}

export interface ModelSkeleton {
  readonly unit: string;
  readonly lang: string | undefined;
  /** Namespace URIs the `requiredextensions` attribute names. */
  readonly requiredExtensions: readonly string[];
  readonly objects: ReadonlyMap<number, ModelObject>;
  readonly buildUuid: string | undefined;
  readonly items: readonly BuildItem[];
  /** True when any item or component references another model part (`p:path`). */
  readonly referencesOtherParts: boolean;
  readonly findings: readonly PackageFinding[];
}

export interface ModelSkeletonOptions {
  /** Unknown namespaces and unknown core elements become errors (MUSTFAIL behaviour); warnings otherwise. */
  strict?: boolean;
}

/** Streams a model part once and returns its skeleton; XML errors throw DESIGN_XML_*. */
export async function readModelSkeleton(source: Readable, partName: string, options: ModelSkeletonOptions = {}): Promise<ModelSkeleton> {
  const strictly: PackageFinding['severity'] = options.strict ? 'error' : 'warning';
  const findings: PackageFinding[] = [];
  const add = (severity: PackageFinding['severity'], rule: string, message: string) => {
    if (findings.length < 100) findings.push({ severity, rule, message, part: partName });
  };
  let unit = 'millimeter';
  let lang: string | undefined;
  const requiredExtensions: string[] = [];
  const ignorable = new Set<string>();
  const objects = new Map<number, { id: number; type: ObjectType; hasMesh: boolean; hasComponents: boolean; componentPaths: string[] }>();
  const items: BuildItem[] = [];
  let buildUuid: string | undefined;
  let resourcesCount = 0;
  let buildCount = 0;
  let current: { id: number; type: ObjectType; hasMesh: boolean; hasComponents: boolean; componentPaths: string[] } | undefined;
  const reported = new Set<string>();
  const path: string[] = [];

  const checkNamespace = (uri: string, what: string) => {
    if (uri === '' || uri === CORE.ns || uri === XML_NS || uri === XMLNS_NS || uri === MC_NS) return;
    if (KNOWN_EXTENSION_NAMESPACES.has(uri) || ignorable.has(uri) || reported.has(uri)) return;
    reported.add(uri);
    add(strictly, 'NAMESPACE_UNKNOWN', `${what} uses namespace '${uri}', which is neither a 3MF extension nor declared ignorable (3MF core §2.3.2)`);
  };

  const onOpen = (tag: SaxesTagNS, depth: number) => {
    path.length = depth - 1;
    path.push(tag.uri === CORE.ns ? tag.local : `{${tag.uri}}${tag.local}`);
    const attrs = tag.attributes;
    const get = (local: string, uri = '') => Object.values(attrs).find((a) => a.local === local && a.uri === uri)?.value;
    if (depth === 1) {
      if (tag.uri !== CORE.ns || tag.local !== 'model') {
        add('error', 'MODEL_ROOT', `the root element is <${tag.name}> in '${tag.uri}', not <model> in the 3MF core namespace`);
        return;
      }
      const u = get('unit');
      if (u !== undefined) {
        if (UNITS.has(u)) unit = u;
        else add('error', 'MODEL_UNIT', `unit '${u}' is not a 3MF unit (3MF core §3.3)`);
      }
      lang = get('lang', XML_NS);
      for (const prefix of (get('Ignorable', MC_NS) ?? '').split(/\s+/).filter(Boolean)) {
        const uri = tag.ns[prefix];
        if (uri) ignorable.add(uri);
      }
      for (const prefix of (get('requiredextensions') ?? '').split(/\s+/).filter(Boolean)) {
        const uri = tag.ns[prefix];
        if (!uri) add('error', 'REQUIRED_EXTENSION_UNDECLARED', `requiredextensions names prefix '${prefix}', which is not declared (3MF core §2.3.1)`);
        else if (!KNOWN_EXTENSION_NAMESPACES.has(uri)) add('error', 'REQUIRED_EXTENSION_UNSUPPORTED', `the model requires extension '${uri}', which is not a known 3MF extension (3MF core §2.3.1)`);
        else requiredExtensions.push(uri);
      }
    }
    checkNamespace(tag.uri, `element <${tag.name}>`);
    for (const a of Object.values(attrs)) {
      // 3MF core §2.3.4: whitespace handling is fixed; xml:space is not allowed.
      if (a.uri === XML_NS && a.local === 'space') add('error', 'XML_SPACE', `<${tag.name}> carries xml:space, which 3MF forbids (3MF core §2.3.4)`);
      checkNamespace(a.uri, `attribute ${a.name}`);
    }
    if (tag.uri === CORE.ns && !CORE_ELEMENTS.has(tag.local)) {
      add(strictly, 'CORE_ELEMENT_UNKNOWN', `<${tag.name}> is not an element of the 3MF core namespace`);
    }
    const where = path.join('/');
    if (where === 'model/resources') resourcesCount++;
    else if (where === 'model/build') {
      buildCount++;
      buildUuid = get('UUID', PRODUCTION.ns);
    } else if (where === 'model/resources/object') {
      const id = Number(get('id'));
      const typeValue = get('type') ?? 'model';
      if (!Number.isInteger(id) || id <= 0) add('error', 'OBJECT_ID', `an object has id '${get('id') ?? ''}', not a positive integer (3MF core §4.1)`);
      if (!OBJECT_TYPES.has(typeValue)) add('error', 'OBJECT_TYPE', `object ${get('id') ?? '?'} has type '${typeValue}' (3MF core §4.1)`);
      current = { id, type: OBJECT_TYPES.has(typeValue) ? (typeValue as ObjectType) : 'other', hasMesh: false, hasComponents: false, componentPaths: [] };
      if (objects.has(id)) add('error', 'OBJECT_ID_DUPLICATE', `object id ${id} is used twice (3MF core §4.1)`);
      else objects.set(id, current);
    } else if (where === 'model/resources/object/mesh' && current) current.hasMesh = true;
    else if (where === 'model/resources/object/components' && current) current.hasComponents = true;
    else if (where === 'model/resources/object/components/component' && current) {
      const p = get('path', PRODUCTION.ns);
      if (p !== undefined) current.componentPaths.push(p);
    } else if (where === 'model/build/item') {
      const objectId = Number(get('objectid'));
      const item: BuildItem = {
        objectId,
        transform: get('transform'),
        uuid: get('UUID', PRODUCTION.ns),
        path: get('path', PRODUCTION.ns),
      };
      if (!Number.isInteger(objectId) || objectId <= 0) add('error', 'ITEM_OBJECT_ID', `a build item has objectid '${get('objectid') ?? ''}' (3MF core §3.4.3)`);
      items.push(item);
    }
  };

  const reader = new XmlStreamReader(partName, { opentag: onOpen }, { maxDepth: 64, maxElements: Number.MAX_SAFE_INTEGER });
  for await (const chunk of source) reader.write(chunk as Buffer);
  reader.close();

  if (resourcesCount !== 1) add('error', 'RESOURCES_COUNT', `the model has ${resourcesCount} <resources> elements; 3MF core §3.4 requires exactly one`);
  if (buildCount !== 1) add('error', 'BUILD_COUNT', `the model has ${buildCount} <build> elements; 3MF core §3.4 requires exactly one`);
  for (const item of items) {
    if (item.path !== undefined) continue;
    const target = objects.get(item.objectId);
    if (!target) add('error', 'ITEM_OBJECT_MISSING', `build item references object ${item.objectId}, which the model does not define (3MF core §3.4.3.1)`);
    else if (target.type === 'other') add('error', 'ITEM_OBJECT_OTHER', `build item references object ${item.objectId} of type "other" (3MF core §3.4.3.1)`);
  }
  const referencesOtherParts = items.some((i) => i.path !== undefined) || [...objects.values()].some((o) => o.componentPaths.length > 0);
  return { unit, lang, requiredExtensions, objects, buildUuid, items, referencesOtherParts, findings };
}
