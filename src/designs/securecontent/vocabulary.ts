/**
 * Namespaces, relationship types, content types and part names of OPC, the
 * 3MF core specification, the Production and Secure Content extensions, and
 * Fabgate's own additions. Named once here so code reads like the spec.
 */

/** OPC (ECMA-376 Part 2). */
export const OPC = {
  contentTypesNs: 'http://schemas.openxmlformats.org/package/2006/content-types',
  relationshipsNs: 'http://schemas.openxmlformats.org/package/2006/relationships',
  relationshipsContentType: 'application/vnd.openxmlformats-package.relationships+xml',
  contentTypesPart: '/[Content_Types].xml',
  rootRelsPart: '/_rels/.rels',
  mustPreserveRel: 'http://schemas.openxmlformats.org/package/2006/relationships/mustpreserve',
  thumbnailRel: 'http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail',
  corePropertiesRel: 'http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties',
} as const;

/** 3MF core specification. */
export const CORE = {
  ns: 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02',
  modelContentType: 'application/vnd.ms-package.3dmanufacturing-3dmodel+xml',
  /** The StartPart relationship: root `.rels` → the root 3D model part. */
  modelRel: 'http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel',
  printTicketRel: 'http://schemas.microsoft.com/3dmanufacturing/2013/01/printticket',
  textureRel: 'http://schemas.microsoft.com/3dmanufacturing/2013/01/3dtexture',
} as const;

/** 3MF Production extension. */
export const PRODUCTION = {
  ns: 'http://schemas.microsoft.com/3dmanufacturing/production/2015/06',
} as const;

/** 3MF Secure Content extension v1.0.3 (Appendix B, C, D). */
export const SECURE = {
  ns: 'http://schemas.microsoft.com/3dmanufacturing/securecontent/2019/04',
  xencNs: 'http://www.w3.org/2001/04/xmlenc#',
  dsNs: 'http://www.w3.org/2000/09/xmldsig#',
  keystoreContentType: 'application/vnd.ms-package.3dmanufacturing-keystore+xml',
  keystoreRel: 'http://schemas.microsoft.com/3dmanufacturing/2019/04/keystore',
  encryptedFileRel: 'http://schemas.openxmlformats.org/package/2006/relationships/encryptedfile',
  keystorePart: '/Secure/keystore.xml',
} as const;

/**
 * Namespaces of published 3MF extensions; a `requiredextensions` entry outside
 * this list is refused (core spec §2.3.1: consumers MUST NOT process a package
 * that requires an extension they do not understand). Fabgate only transports
 * model content, so "understand" means: knows it is a real 3MF extension.
 */
export const KNOWN_EXTENSION_NAMESPACES: ReadonlySet<string> = new Set([
  CORE.ns,
  'http://schemas.microsoft.com/3dmanufacturing/material/2015/02',
  PRODUCTION.ns,
  'http://schemas.microsoft.com/3dmanufacturing/production/alternatives/2021/04',
  'http://schemas.microsoft.com/3dmanufacturing/slice/2015/07',
  'http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02',
  'http://schemas.microsoft.com/3dmanufacturing/beamlattice/balls/2020/07',
  SECURE.ns,
  // Draft volumetric namespaces lib3mf's own test files use.
  'http://schemas.microsoft.com/3dmanufacturing/volumetric/2015/02',
  'http://schemas.microsoft.com/3dmanufacturing/volumetric/2019/07',
  'http://schemas.microsoft.com/3dmanufacturing/volumetric/2022/01',
  'http://schemas.3mf.io/3dmanufacturing/volumetric/2022/01',
  'http://schemas.3mf.io/3dmanufacturing/implicit/2023/12',
  'http://schemas.microsoft.com/3dmanufacturing/displacement/2022/07',
  'http://schemas.3mf.io/3dmanufacturing/displacement/2023/10',
  'http://schemas.microsoft.com/3dmanufacturing/trianglesets/2021/07',
  'http://schemas.microsoft.com/3dmanufacturing/booleanoperations/2023/07',
]);

/** Fabgate's additions: the signed manifest part (see MANIFEST-FORMAT.md). */
export const FABGATE = {
  manifestPart: '/Secure/fabgate-manifest.json',
  manifestContentType: 'application/vnd.fabgate.3mf-manifest+json',
  manifestRel: 'urn:fabgate:3mf:relationship:manifest:v1',
} as const;
