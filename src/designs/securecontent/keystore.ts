import { createPublicKey } from 'node:crypto';
import { AES256_GCM, type KekParams } from './algorithms.js';
import { designError, isDesignError } from './errors.js';
import { partNameProblem } from './part-names.js';
import { SECURE } from './vocabulary.js';
import { attr, escapeXml, parseXmlDocument, type XmlElement } from './xml.js';

/**
 * The Key Store part (`/Secure/keystore.xml`, Secure Content chapter 2 and
 * Appendix B): who may decrypt (consumers), with which wrapped content key
 * (access rights), and how each encrypted part was encrypted (resource data).
 */

export interface Consumer {
  readonly consumerId: string;
  readonly keyId?: string;
  /** The consumer's public key, SPKI PEM, when the producer included it. */
  readonly keyValue?: string;
}

export interface AccessRight {
  /** Zero-based index into `Keystore.consumers`. */
  readonly consumerIndex: number;
  readonly kek: KekParams;
  /** The content key wrapped with the consumer's key-encryption key. */
  readonly cipherValue: Buffer;
}

export type Compression = 'none' | 'deflate';

export interface CekParams {
  readonly encryptionAlgorithm: string;
  readonly compression: Compression;
  readonly iv?: Buffer;
  readonly tag?: Buffer;
  readonly aad?: Buffer;
}

export interface ResourceData {
  /** Part name of the encrypted part. */
  readonly path: string;
  readonly cek: CekParams;
}

export interface ResourceDataGroup {
  /** Identifies the content key (CEK) shared by the group's resources. */
  readonly keyUuid: string;
  readonly accessRights: readonly AccessRight[];
  readonly resources: readonly ResourceData[];
}

export interface Keystore {
  readonly uuid: string;
  readonly consumers: readonly Consumer[];
  readonly groups: readonly ResourceDataGroup[];
}

/** ST_UUID of the schema: lower-case hex, 8-4-4-4-12. */
const ST_UUID = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_INDEX = 2147483647;

function malformed(message: string, details: Record<string, unknown> = {}) {
  return designError('DESIGN_KEYSTORE_MALFORMED', `keystore: ${message}`, details);
}

/** Secure Content elements are in the extension namespace; the schema's local elements may also be unqualified. */
function isSc(e: XmlElement, local: string): boolean {
  return e.local === local && (e.uri === SECURE.ns || e.uri === '');
}

function base64Value(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw malformed(`${what} is not base64`, { reason: 'encoding', element: what });
  return Buffer.from(compact, 'base64');
}

/** Attributes other than the listed ones must come from another namespace (`anyAttribute ##other`). */
function onlyAttributes(e: XmlElement, allowed: string[]): void {
  for (const a of e.attributes) {
    if (a.uri !== '') continue;
    if (!allowed.includes(a.local)) throw malformed(`<${e.local}> has unexpected attribute '${a.local}'`, { reason: 'attribute', element: e.local, attribute: a.local });
  }
}

/** Child elements in the Secure Content namespace must be the listed ones, in schema order; other namespaces are skipped (`any ##other`). */
function ownChildren(e: XmlElement, order: string[]): XmlElement[] {
  const kids = e.children.filter((c) => c.uri === SECURE.ns || c.uri === '');
  let position = 0;
  for (const k of kids) {
    const at = order.indexOf(k.local);
    if (at < 0) throw malformed(`<${e.local}> contains unexpected <${k.local}>`, { reason: 'element', element: k.local });
    if (at < position) throw malformed(`<${k.local}> is out of schema order inside <${e.local}>`, { reason: 'order', element: k.local });
    position = at;
  }
  return kids;
}

/**
 * Parses and validates a keystore against the schema of Appendix B, plus the
 * rules the text adds: unique consumer ids, consumer indexes in range, unique
 * resource paths. Any violation is DESIGN_KEYSTORE_MALFORMED; XML that is not
 * well-formed is reported the same way (the DTD refusal keeps its own code).
 */
export function parseKeystore(bytes: Uint8Array): Keystore {
  let root: XmlElement;
  try {
    root = parseXmlDocument(bytes, SECURE.keystorePart, { maxDepth: 16, maxElements: 100_000 });
  } catch (e) {
    if (isDesignError(e, 'DESIGN_XML_MALFORMED')) throw malformed(`not well-formed XML (${e.message})`, { reason: 'xml' });
    throw e;
  }
  if (root.local !== 'keystore' || root.uri !== SECURE.ns) throw malformed(`root element <${root.name}> is not <keystore> in ${SECURE.ns}`, { reason: 'root' });
  onlyAttributes(root, ['UUID']);
  const uuid = attr(root, 'UUID');
  if (uuid === undefined) throw malformed('<keystore> has no UUID', { reason: 'missing-attribute', attribute: 'UUID' });
  if (!ST_UUID.test(uuid)) throw malformed(`keystore UUID '${uuid}' is not an ST_UUID`, { reason: 'uuid' });

  const consumers: Consumer[] = [];
  const groups: ResourceDataGroup[] = [];
  const consumerIds = new Set<string>();
  const paths = new Set<string>();
  const keyUuids = new Set<string>();
  const kids = ownChildren(root, ['consumer', 'resourcedatagroup']);

  for (const c of kids.filter((k) => isSc(k, 'consumer'))) {
    onlyAttributes(c, ['consumerid', 'keyid']);
    const consumerId = attr(c, 'consumerid');
    if (!consumerId) throw malformed('a <consumer> has no consumerid', { reason: 'missing-attribute', attribute: 'consumerid' });
    if (consumerIds.has(consumerId)) throw malformed(`consumer id '${consumerId}' appears twice`, { reason: 'duplicate-consumer', consumerId });
    consumerIds.add(consumerId);
    const keyId = attr(c, 'keyid');
    const values = ownChildren(c, ['keyvalue']);
    if (values.length > 1) throw malformed(`consumer '${consumerId}' has more than one <keyvalue>`, { reason: 'element' });
    let keyValue: string | undefined;
    if (values[0]) {
      keyValue = values[0].text.trim();
      try {
        createPublicKey(keyValue);
      } catch {
        throw malformed(`the <keyvalue> of consumer '${consumerId}' is not a PEM public key`, { reason: 'keyvalue', consumerId });
      }
    }
    consumers.push({ consumerId, ...(keyId !== undefined ? { keyId } : {}), ...(keyValue !== undefined ? { keyValue } : {}) });
  }

  for (const g of kids.filter((k) => isSc(k, 'resourcedatagroup'))) {
    onlyAttributes(g, ['keyuuid']);
    const keyUuid = attr(g, 'keyuuid');
    if (keyUuid === undefined) throw malformed('a <resourcedatagroup> has no keyuuid', { reason: 'missing-attribute', attribute: 'keyuuid' });
    if (!ST_UUID.test(keyUuid)) throw malformed(`keyuuid '${keyUuid}' is not an ST_UUID`, { reason: 'uuid' });
    if (keyUuids.has(keyUuid)) throw malformed(`keyuuid '${keyUuid}' names two groups`, { reason: 'duplicate-keyuuid' });
    keyUuids.add(keyUuid);
    const groupKids = ownChildren(g, ['accessright', 'resourcedata']);
    const accessRights: AccessRight[] = [];
    const seenConsumers = new Set<number>();
    for (const a of groupKids.filter((k) => k.local === 'accessright')) accessRights.push(parseAccessRight(a, consumers.length, seenConsumers));
    const resources: ResourceData[] = [];
    for (const r of groupKids.filter((k) => k.local === 'resourcedata')) {
      const resource = parseResourceData(r);
      const key = resource.path.toLowerCase();
      if (paths.has(key)) throw malformed(`path '${resource.path}' appears in more than one <resourcedata>`, { reason: 'duplicate-path', path: resource.path });
      paths.add(key);
      resources.push(resource);
    }
    groups.push({ keyUuid, accessRights, resources });
  }
  return { uuid, consumers, groups };
}

function parseAccessRight(a: XmlElement, consumerCount: number, seen: Set<number>): AccessRight {
  onlyAttributes(a, ['consumerindex']);
  const indexText = attr(a, 'consumerindex');
  if (indexText === undefined) throw malformed('an <accessright> has no consumerindex', { reason: 'missing-attribute', attribute: 'consumerindex' });
  if (!/^\d+$/.test(indexText) || Number(indexText) > MAX_INDEX) throw malformed(`consumerindex '${indexText}' is not an ST_ResourceIndex`, { reason: 'consumerindex' });
  const consumerIndex = Number(indexText);
  if (consumerIndex >= consumerCount) {
    throw malformed(`consumerindex ${consumerIndex} points past the ${consumerCount} consumer(s)`, { reason: 'consumerindex-range', consumerIndex });
  }
  if (seen.has(consumerIndex)) throw malformed(`consumer ${consumerIndex} has two access rights in one group`, { reason: 'duplicate-accessright' });
  seen.add(consumerIndex);
  const kids = ownChildren(a, ['kekparams', 'cipherdata']);
  const kekElement = kids.find((k) => k.local === 'kekparams');
  const cipherData = kids.find((k) => k.local === 'cipherdata');
  if (!kekElement) throw malformed(`the access right of consumer ${consumerIndex} has no <kekparams>`, { reason: 'missing-element', element: 'kekparams' });
  if (!cipherData) throw malformed(`the access right of consumer ${consumerIndex} has no <cipherdata>`, { reason: 'missing-element', element: 'cipherdata' });
  onlyAttributes(kekElement, ['wrappingalgorithm', 'mgfalgorithm', 'digestmethod']);
  const wrappingAlgorithm = attr(kekElement, 'wrappingalgorithm');
  if (!wrappingAlgorithm) throw malformed('<kekparams> has no wrappingalgorithm', { reason: 'missing-attribute', attribute: 'wrappingalgorithm' });
  const mgfAlgorithm = attr(kekElement, 'mgfalgorithm');
  const digestMethod = attr(kekElement, 'digestmethod');
  // §2.2.2.2: only xenc:CipherValue is supported inside <cipherdata>.
  const values = cipherData.children.filter((c) => c.uri === SECURE.xencNs && c.local === 'CipherValue');
  if (values.length !== 1) throw malformed(`<cipherdata> of consumer ${consumerIndex} must hold exactly one xenc:CipherValue`, { reason: 'ciphervalue' });
  const cipherValue = base64Value(values[0]!.text, 'CipherValue');
  if (cipherValue.length === 0) throw malformed(`the CipherValue of consumer ${consumerIndex} is empty`, { reason: 'ciphervalue' });
  return {
    consumerIndex,
    kek: { wrappingAlgorithm, ...(mgfAlgorithm !== undefined ? { mgfAlgorithm } : {}), ...(digestMethod !== undefined ? { digestMethod } : {}) },
    cipherValue,
  };
}

function parseResourceData(r: XmlElement): ResourceData {
  onlyAttributes(r, ['path']);
  const path = attr(r, 'path');
  if (!path) throw malformed('a <resourcedata> has no path', { reason: 'missing-attribute', attribute: 'path' });
  const problem = partNameProblem(path);
  if (problem) throw malformed(`resource path '${path}' ${problem}`, { reason: 'path', path });
  const kids = ownChildren(r, ['cekparams']);
  if (kids.length !== 1) throw malformed(`<resourcedata path="${path}"> must hold one <cekparams>`, { reason: 'missing-element', element: 'cekparams' });
  const c = kids[0]!;
  onlyAttributes(c, ['encryptionalgorithm', 'compression']);
  const encryptionAlgorithm = attr(c, 'encryptionalgorithm');
  if (!encryptionAlgorithm) throw malformed(`<cekparams> of '${path}' has no encryptionalgorithm`, { reason: 'missing-attribute', attribute: 'encryptionalgorithm' });
  const compression = attr(c, 'compression') ?? 'none';
  if (compression !== 'none' && compression !== 'deflate') throw malformed(`compression '${compression}' of '${path}' is neither none nor deflate`, { reason: 'compression' });
  const params = ownChildren(c, ['iv', 'tag', 'aad']);
  const one = (name: string) => {
    const found = params.filter((p) => p.local === name);
    if (found.length > 1) throw malformed(`<cekparams> of '${path}' has two <${name}>`, { reason: 'element' });
    return found[0] ? base64Value(found[0].text, name) : undefined;
  };
  const iv = one('iv');
  const tag = one('tag');
  const aad = one('aad');
  return {
    path,
    cek: { encryptionAlgorithm, compression, ...(iv ? { iv } : {}), ...(tag ? { tag } : {}), ...(aad ? { aad } : {}) },
  };
}

/** The resource data and group for a part path (case-insensitive, as part names compare). */
export function findResource(keystore: Keystore, path: string): { group: ResourceDataGroup; resource: ResourceData } | undefined {
  const key = path.toLowerCase();
  for (const group of keystore.groups) {
    const resource = group.resources.find((r) => r.path.toLowerCase() === key);
    if (resource) return { group, resource };
  }
  return undefined;
}

/** Checks what decryption with AES-256-GCM needs (§2.2.1.1): a 96-bit or longer IV and a 128-bit tag. */
export function assertDecryptable(resource: ResourceData): { iv: Buffer; tag: Buffer; aad: Buffer } {
  const { cek, path } = resource;
  if (cek.encryptionAlgorithm !== AES256_GCM) {
    throw designError('DESIGN_ALGORITHM_UNSUPPORTED', `'${path}' is encrypted with '${cek.encryptionAlgorithm}'; only AES-256-GCM is supported`, {
      reason: 'encryption',
      uri: cek.encryptionAlgorithm,
    });
  }
  if (!cek.iv || cek.iv.length < 12) throw malformed(`'${path}' has no 96-bit IV`, { reason: 'iv', path });
  if (!cek.tag) throw malformed(`'${path}' has no authentication tag`, { reason: 'tag', path });
  if (cek.tag.length !== 16) throw designError('DESIGN_ALGORITHM_UNSUPPORTED', `'${path}' has a ${cek.tag.length * 8}-bit tag; Fabgate requires 128 bits`, { reason: 'tag-length', path });
  return { iv: cek.iv, tag: cek.tag, aad: cek.aad ?? Buffer.alloc(0) };
}

/**
 * Writes a keystore in the layout lib3mf writes (namespaces, element order,
 * attribute names), so lib3mf's reader accepts it.
 */
export function serializeKeystore(keystore: Keystore): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<keystore xmlns="${SECURE.ns}" xmlns:xenc="${SECURE.xencNs}" xmlns:ds="${SECURE.dsNs}" UUID="${escapeXml(keystore.uuid)}">`,
  ];
  for (const c of keystore.consumers) {
    const keyId = c.keyId !== undefined ? ` keyid="${escapeXml(c.keyId)}"` : '';
    const open = `\t<consumer consumerid="${escapeXml(c.consumerId)}"${keyId}`;
    if (c.keyValue === undefined) out.push(`${open}/>`);
    else out.push(`${open}>`, `\t\t<keyvalue>${escapeXml(c.keyValue.trim())}\n</keyvalue>`, '\t</consumer>');
  }
  for (const g of keystore.groups) {
    out.push(`\t<resourcedatagroup keyuuid="${escapeXml(g.keyUuid)}">`);
    for (const a of g.accessRights) {
      const { wrappingAlgorithm, mgfAlgorithm, digestMethod } = a.kek;
      const mgf = mgfAlgorithm !== undefined ? ` mgfalgorithm="${escapeXml(mgfAlgorithm)}"` : '';
      const digest = digestMethod !== undefined ? ` digestmethod="${escapeXml(digestMethod)}"` : '';
      out.push(
        `\t\t<accessright consumerindex="${a.consumerIndex}">`,
        `\t\t\t<kekparams wrappingalgorithm="${escapeXml(wrappingAlgorithm)}"${mgf}${digest}/>`,
        '\t\t\t<cipherdata>',
        `\t\t\t\t<xenc:CipherValue>${a.cipherValue.toString('base64')}</xenc:CipherValue>`,
        '\t\t\t</cipherdata>',
        '\t\t</accessright>',
      );
    }
    for (const r of g.resources) {
      out.push(
        `\t\t<resourcedata path="${escapeXml(r.path)}">`,
        `\t\t\t<cekparams encryptionalgorithm="${escapeXml(r.cek.encryptionAlgorithm)}" compression="${r.cek.compression}">`,
      );
      if (r.cek.iv) out.push(`\t\t\t\t<iv>${r.cek.iv.toString('base64')}</iv>`);
      if (r.cek.tag) out.push(`\t\t\t\t<tag>${r.cek.tag.toString('base64')}</tag>`);
      if (r.cek.aad) out.push(`\t\t\t\t<aad>${r.cek.aad.toString('base64')}</aad>`);
      out.push('\t\t\t</cekparams>', '\t\t</resourcedata>');
    }
    out.push('\t</resourcedatagroup>');
  }
  out.push('</keystore>', '');
  return out.join('\n');
}
