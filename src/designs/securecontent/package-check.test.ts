import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { checkPackage, type PackageCheck } from './package-check.js';
import { parseXmlDocument } from './xml.js';
import { isDesignError } from './errors.js';

/**
 * The 3MF files of ../shared/data/3mf/ against the package-level checks, as
 * SOURCES.md describes them. An expectation is either `valid`, or the rule
 * (finding) or error code the check must report. "strict" is the MUSTFAIL
 * conformance mode; "lenient" is the lib3mf-compatible default, where lib3mf's
 * warnings stay warnings.
 */

type Expect = 'valid' | { rule: string } | { code: string };
interface Case {
  file: string[];
  lenient: Expect;
  strict: Expect;
  /** Why, from SOURCES.md or the file name. */
  why: string;
}

const VERIFY = ['3mf', '3mf-samples', 'validation tests', '_archive', '3mf-Verify'];
const LIB = ['3mf', 'lib3mf', 'Tests', 'TestFiles'];
const both = (e: Expect) => ({ lenient: e, strict: e });

const mustFail: Array<[string, Expect, Expect]> = [
  ['MUSTFAIL_Chapter2.1.1a_PartsRelationships_NonExist3DModelPart.3mf', { rule: 'START_PART_MISSING' }, { rule: 'START_PART_MISSING' }],
  ['MUSTFAIL_Chapter2.1.1b_PartsRelationships_LinkToExternal.3mf', { rule: 'RELATIONSHIP_TARGET_INVALID' }, { rule: 'RELATIONSHIP_TARGET_INVALID' }],
  ['MUSTFAIL_Chapter2.1.2_PartsRelationships_MoreThanOne3DModelPart.3mf', 'valid', { rule: 'START_PART_MULTIPLE' }],
  ['MUSTFAIL_Chapter2.1.3_PartsRelationships_NonExistThumbnailPart.3mf', 'valid', { rule: 'RELATIONSHIP_TARGET_MISSING' }],
  ['MUSTFAIL_Chapter2.1.4_PartsRelationships_MoreThanOnePrintTicket.3mf', { code: 'DESIGN_PACKAGE_INVALID' }, { code: 'DESIGN_PACKAGE_INVALID' }],
  ['MUSTFAIL_Chapter2.3.2a_NonUTF_Encoding.3mf', { code: 'DESIGN_XML_MALFORMED' }, { code: 'DESIGN_XML_MALFORMED' }],
  ['MUSTFAIL_Chapter2.3.2b_DataTypeDefinitionInXMLMarkup.3mf', { code: 'DESIGN_XML_DTD_FORBIDDEN' }, { code: 'DESIGN_XML_DTD_FORBIDDEN' }],
  ['MUSTFAIL_Chapter2.3.2c_UndefinedNameSpaceInXDS.3mf', 'valid', { rule: 'NAMESPACE_UNKNOWN' }],
  ['MUSTFAIL_Chapter2.3.2d_UndefinedXMLXSIInXSDSchema.3mf', { code: 'DESIGN_XML_MALFORMED' }, { code: 'DESIGN_XML_MALFORMED' }],
  ['MUSTFAIL_Chapter2.3.4_WhiteSpace.3mf', { rule: 'XML_SPACE' }, { rule: 'XML_SPACE' }],
  ['MUSTFAIL_Chapter3.4a_MoreThanOneModel.3mf', { code: 'DESIGN_XML_MALFORMED' }, { code: 'DESIGN_XML_MALFORMED' }],
  ['MUSTFAIL_Chapter3.4b_MissingBuildElement.3mf', { rule: 'BUILD_COUNT' }, { rule: 'BUILD_COUNT' }],
  ['MUSTFAIL_Chapter3.4c_MissingResourceElement.3mf', { rule: 'RESOURCES_COUNT' }, { rule: 'RESOURCES_COUNT' }],
  ['MUSTFAIL_Chapter3.4.3.1a_NotMatchingObjectIdInBuildItem.3mf', { rule: 'ITEM_OBJECT_MISSING' }, { rule: 'ITEM_OBJECT_MISSING' }],
  ['MUSTFAIL_Chapter3.4.3.1b_BuildItemReferToObjectOfTypeOther.3mf', { rule: 'ITEM_OBJECT_OTHER' }, { rule: 'ITEM_OBJECT_OTHER' }],
  ['MUSTFAIL_Chapter4a_InvalidObjectType.3mf', { rule: 'OBJECT_TYPE' }, { rule: 'OBJECT_TYPE' }],
];

/** MUSTFAIL files whose violation lies in metadata, property or material semantics, which this check leaves to geometry consumers. */
const notChecked = [
  'MUSTFAIL_Chapter3.4.1a_MissingMetadataName.3mf',
  'MUSTFAIL_Chapter3.4.1b_DuplicatedMetadataName.3mf',
  'MUSTFAIL_Chapter4b_PID_IsNotSpecified.3mf',
  'MUSTFAIL_Chapter5a_DuplicatedBaseMaterials.3mf',
];

const cases: Case[] = [
  ...readdirSync(sharedData(...VERIFY, 'MUSTPASS')).map((f) => ({ file: [...VERIFY, 'MUSTPASS', f], ...both('valid'), why: 'MUSTPASS conformance file' })),
  ...mustFail.map(([f, lenient, strict]) => ({ file: [...VERIFY, 'MUSTFAIL', f], lenient, strict, why: 'MUSTFAIL: ' + f.split('_').slice(1).join(' ') })),
  ...notChecked.map((f) => ({ file: [...VERIFY, 'MUSTFAIL', f], ...both('valid'), why: 'model semantics outside the package check' })),
  ...readdirSync(sharedData(...VERIFY, 'MUSTFAIL'))
    .filter((f) => f.startsWith('MUSTFAIL_3MF100_Extension'))
    .map((f) => ({ file: [...VERIFY, 'MUSTFAIL', f], ...both('valid'), why: 'Materials extension semantics outside the package check' })),
  ...['box.3mf', 'cylinder.3mf', 'sphere.3mf', 'torus.3mf'].map((f) => ({ file: ['3mf', '3mf-samples', 'examples', 'core', f], ...both('valid'), why: 'showcase package' })),
  { file: ['3mf', '3mf-samples', 'examples', 'material', 'pyramid_vertexcolor.3mf'], ...both('valid'), why: 'showcase package' },
  { file: ['3mf', '3mf-samples', 'examples', 'production', 'box_prod.3mf'], ...both('valid'), why: 'showcase package' },
  { file: ['3mf', '3mf-samples', 'examples', 'slices', 'box_sliced.3mf'], ...both('valid'), why: 'showcase package' },
  ...['Reader/Box.3mf', 'Reader/Pyramid.3mf', 'CPP_UnitTests/Box.3mf', 'CPP_UnitTests/3mfbase1_cube.3mf', 'Reader/PyramidVolume.3mf', 'Reader/P_XXM_0519_01.3mf'].map((f) => ({
    file: [...LIB, ...f.split('/')],
    ...both('valid'),
    why: 'lib3mf valid core file',
  })),
  { file: [...LIB, 'Reader', 'CS-1111_3dmodel-e1r1_other-e1r1.3mf'], lenient: 'valid', strict: { rule: 'START_PART_MULTIPLE' }, why: 'two StartPart relationships: lib3mf warns' },
  { file: [...LIB, 'Reader', 'DOS-FUZ-LIB3MF.3mf'], ...both({ code: 'DESIGN_ARCHIVE_MALFORMED' }), why: 'fuzzer-found input: its model part fails its CRC' },
  { file: [...LIB, 'Reader', 'GEN-C-ADA-COMPONENT-TRANSFORM-0.3mf'], ...both({ code: 'DESIGN_XML_MALFORMED' }), why: 'duplicate transform attribute' },
  { file: [...LIB, 'Reader', 'GEN-M-ADA-ITEM-TRANSFORM-0.3mf'], ...both({ code: 'DESIGN_XML_MALFORMED' }), why: 'duplicate transform attribute' },
  { file: [...LIB, 'Production', 'detachedmodel.3mf'], ...both('valid'), why: 'Production package' },
  { file: [...LIB, 'Production', '2ProductionBoxes.3mf'], ...both('valid'), why: 'Production package' },
  { file: [...LIB, 'RequiredExtensions', 'Pass.3mf'], ...both('valid'), why: 'requires m and b' },
  { file: [...LIB, 'RequiredExtensions', 'Unsupported.3mf'], ...both({ rule: 'REQUIRED_EXTENSION_UNSUPPORTED' }), why: 'requires an unknown extension' },
  { file: [...LIB, 'RequiredExtensions', 'NotListed.3mf'], ...both({ rule: 'REQUIRED_EXTENSION_UNDECLARED' }), why: 'requires an undeclared prefix' },
  ...['Box_OverridePositive.3mf', 'Box_OverrideCustom.3mf', 'Box_ExtensionCustom.3mf'].map((f) => ({ file: [...LIB, 'OPC_Issues', f], ...both('valid'), why: 'content type by Override or Default' })),
  { file: [...LIB, 'Mixed', 'MustWarnOrFail.3mf'], lenient: 'valid', strict: { rule: 'CORE_ELEMENT_UNKNOWN' }, why: 'unknown core element: warn or fail' },
  { file: [...LIB, 'MetaData', 'MetaData_Model_VendorNS.3mf'], ...both('valid'), why: 'vendor metadata' },
  { file: [...LIB, 'Slice', 'Slice_MustFail_TooRefsTooDeep.3mf'], ...both({ rule: 'ITEM_OBJECT_MISSING' }), why: 'a build item names a slice stack id' },
  ...['keystore.3mf', 'keystore_compressed.3mf', 'keystore_encrypted.3mf', 'keystore_encrypted_compressed.3mf'].map((f) => ({
    file: [...LIB, 'SecureContent', f],
    ...both('valid'),
    why: 'Secure Content sample (keystore Override without its slash is tolerated with a warning)',
  })),
  ...['part.3mf', 'nut.3mf'].map((f) => ({
    file: ['gcode', 'prusaslicer', f],
    lenient: 'valid' as const,
    strict: { rule: 'RELATIONSHIP_TARGET_MISSING' },
    why: 'PrusaSlicer output: a dangling thumbnail relationship and a .config part without content type',
  })),
];

function matches(result: PackageCheck, expected: Expect): boolean {
  if (expected === 'valid') return result.valid && result.error === undefined;
  if ('code' in expected) return !result.valid && result.error?.code === expected.code;
  return !result.valid && result.findings.some((f) => f.severity === 'error' && f.rule === expected.rule);
}

describe('package check against the 3MF reference files', () => {
  for (const c of cases) {
    it(`${c.file.at(-1)}: ${c.why}`, async () => {
      const path = sharedData(...c.file);
      const lenient = await checkPackage({ path });
      const strict = await checkPackage({ path }, { strict: true });
      expect({ lenient: matches(lenient, c.lenient), findings: lenient.findings, error: lenient.error }).toMatchObject({ lenient: true });
      expect({ strict: matches(strict, c.strict), findings: strict.findings, error: strict.error }).toMatchObject({ strict: true });
    });
  }

  it('covers every MUSTPASS and MUSTFAIL file', () => {
    const listed = new Set(cases.map((c) => c.file.at(-1)));
    for (const dir of ['MUSTPASS', 'MUSTFAIL']) for (const f of readdirSync(sharedData(...VERIFY, dir))) expect(listed.has(f), f).toBe(true);
    expect(readdirSync(sharedData(...VERIFY, 'MUSTPASS'))).toHaveLength(13);
    expect(readdirSync(sharedData(...VERIFY, 'MUSTFAIL'))).toHaveLength(38);
  });
});

describe('XML rules', () => {
  const code = (xml: string | Buffer) => {
    try {
      parseXmlDocument(typeof xml === 'string' ? Buffer.from(xml) : xml, 'test.xml');
    } catch (e) {
      if (isDesignError(e)) return e.code;
      throw e;
    }
    return 'ok';
  };

  it('refuses any DOCTYPE: billion laughs, external entities, plain DTDs', () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(code(laughs)).toBe('DESIGN_XML_DTD_FORBIDDEN');
    expect(code('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')).toBe('DESIGN_XML_DTD_FORBIDDEN');
    expect(code('<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd"><r/>')).toBe('DESIGN_XML_DTD_FORBIDDEN');
  });

  it('refuses undefined entities, other encodings and excessive depth, accepts a UTF-8 BOM', () => {
    expect(code('<r>&undefined;</r>')).toBe('DESIGN_XML_MALFORMED');
    expect(code('<?xml version="1.0" encoding="ISO-8859-1"?><r/>')).toBe('DESIGN_XML_MALFORMED');
    expect(code(Buffer.from('\ufeff<r/>', 'utf16le'))).toBe('DESIGN_XML_MALFORMED');
    expect(code(Buffer.from([0x3c, 0x72, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x72, 0x3e]))).toBe('DESIGN_XML_MALFORMED');
    expect(code('<a>'.repeat(200) + '</a>'.repeat(200))).toBe('DESIGN_XML_MALFORMED');
    expect(code(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<r a="&amp;&#65;">&lt;</r>')]))).toBe('ok');
  });
});
