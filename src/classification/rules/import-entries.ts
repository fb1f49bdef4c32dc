/**
 * Converts the compiled control-list data (`control-lists/entries.json` and
 * `us-ear-country-groups.json`) into Fabgate's rule files, one per regime.
 *
 *   npx tsx src/classification/rules/import-entries.ts <control-lists dir> [--out <dir>]
 *
 * The output is committed beside this script; the product reads only the
 * committed files, never the source folder. A test re-runs the conversion on the
 * reference data and checks the committed files are exactly its output, so the
 * provenance of every rule is reproducible.
 *
 * What the conversion does beyond copying, each recorded in the entry's
 * `amendments` with its reason so an officer can see it:
 * - free-form `matches` / `any_of` / `all_of` / `see_entry` parameters are
 *   decomposed into plain conditions on named item fields (DECOMPOSITIONS);
 * - `target_item` and "specially designed for" parameters become `specified_in`
 *   conditions, which take the exporter's declared entry keys or classify the
 *   target's own specification;
 * - the scope exclusions (published, fundamental research, education, patents)
 *   are added to software and technology entries per regime (EXCLUSIONS);
 * - where an entry's logic would answer "controlled" or "not controlled" on text
 *   the data says is incomplete, an `unmodelled` node is added (ENTRY_AMENDMENTS).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ItemKind } from '../item-schema.js';
import { ruleSetSchema, type Condition, type Entry, type Licensing, type LogicNode, type RuleSet } from './ruleset-schema.js';

// ------------------------------------------------------------------ source shapes

interface RawParameter {
  id: string;
  name: string;
  operator: string;
  value?: unknown;
  unit?: string;
  note?: string;
}
type RawLogic = string | { all: RawLogic[] } | { any: RawLogic[] } | { any_monitor_instance: RawLogic } | { unmodelled: string };
interface RawEntry {
  key: string;
  regime: string;
  jurisdiction: string;
  list: string;
  id: string;
  title: string;
  category: Entry['category'];
  item_kinds: string[];
  multilateral_origin: string;
  parameters: RawParameter[];
  logic: RawLogic;
  logic_components?: RawLogic;
  logic_text?: string;
  notes?: Array<{ type: string; summary: string }>;
  effect?: string;
  reasons_for_control: string[];
  country_chart?: Entry['country_chart'];
  license_exceptions?: Record<string, string>;
  destination_logic?: Record<string, unknown>;
  software_technology_coverage?: Record<string, string>;
  related_controls?: string;
  related_entries: string[];
  effective_date: string;
  rule_history?: Entry['rule_history'];
  source: Entry['source'];
  confidence: Entry['confidence'];
  confidence_detail?: Record<string, string>;
}
interface CountryGroupsFile {
  ecfr_issue_date: string;
  notes: string[];
  country_groups: Record<string, string[]>;
  country_group_labels: Record<string, string>;
  country_chart_no_license_required: Record<string, string[]>;
}

export interface ControlListSources {
  /** bytes of entries.json */
  entries: Buffer;
  /** bytes of us-ear-country-groups.json */
  countryGroups: Buffer;
  /** text of README.md (gives the compilation date) */
  readme: string;
  /** text of SOURCES.md (gives the open questions) */
  sources: string;
}

// ------------------------------------------------------------------ regimes and date policy

interface RegimePolicy {
  id: string;
  title: string;
  status: RuleSet['status'];
  /** date of the legal text the data reflects */
  asOf: string;
  reviewMonths: number;
  sunsetMonths: number;
  why: string;
  questions: RegExp;
}

const REGIMES: Record<string, RegimePolicy> = {
  'US-EAR': {
    id: 'us-ear',
    title: 'United States Export Administration Regulations: Commerce Control List entries and scope rules for additive manufacturing',
    status: 'in_force',
    asOf: '2026-07-23',
    reviewMonths: 6,
    sunsetMonths: 12,
    why: 'As of eCFR issue 2026-07-23. The 2024 interim final rule (2B910/2D910/2E910) may be finalised or amended: review after 6 months, sunset after 12 months from compilation.',
    questions: /US 2B910|IEC|742\.4|IFR of 2024|US 9B001|ultrasonic atomisation|Deemed-export|Russia\/Belarus/,
  },
  'EU-2021/821': {
    id: 'eu-2021-821',
    title: 'Regulation (EU) 2021/821, Annex I (dual-use items), entries relevant to additive manufacturing',
    status: 'in_force',
    asOf: '2025-11-15',
    reviewMonths: 6,
    sunsetMonths: 12,
    why: 'As of the consolidated Annex I of 2025-11-15 (Delegated Regulation (EU) 2025/2003). Annex I is updated about once a year: review after 6 months, sunset after 12 months from compilation.',
    questions: /EU001|Russia\/Belarus/,
  },
  'EU-MS-national (Spain, Art. 9 Reg. 2021/821)': {
    id: 'es-national',
    title: 'Spain: national control list under Art. 9 of Regulation (EU) 2021/821 (as published by the Commission, C/2023/441)',
    status: 'in_force',
    asOf: '2023-05-31',
    reviewMonths: 6,
    sunsetMonths: 12,
    why: 'As of the Spanish order of 2023-05-31; later Spanish lists were not checked: review after 6 months, sunset after 12 months from compilation.',
    questions: /Spain/,
  },
  Wassenaar: {
    id: 'wassenaar',
    title: 'Wassenaar Arrangement List of Dual-Use Goods and Technologies (reference; implemented by national law)',
    status: 'reference',
    asOf: '2024-12-31',
    reviewMonths: 6,
    sunsetMonths: 12,
    why: 'The data refers to the list of December 2024 (no exact date): the last day of that month is used. Plenary updates come each December: review after 6 months, sunset after 12 months from compilation.',
    questions: /Wassenaar/,
  },
  UK: {
    id: 'uk',
    title: 'United Kingdom: Export Control Order 2008, Schedule 3 (UK controlled dual-use items), additive manufacturing',
    status: 'in_force',
    asOf: '2024-04-01',
    reviewMonths: 3,
    sunsetMonths: 6,
    why: 'PL9015 parameters were not retrieved and the effect of SI 2025/1197 (in force 2025-12-16) is unknown: review after 3 months, sunset after 6 months from compilation.',
    questions: /UK PL9015/,
  },
  'Canada-ECL': {
    id: 'ca-ecl',
    title: 'Canada: Export Control List, proposed addition of metal additive manufacturing machines (Canada Gazette Part I, 2024-12-21)',
    status: 'proposed',
    asOf: '2024-12-21',
    reviewMonths: 3,
    sunsetMonths: 6,
    why: 'A proposal whose final order was not located: review after 3 months, sunset after 6 months from compilation.',
    questions: /Canada/,
  },
};

function addMonths(isoDate: string, months: number): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1 + months, d));
  return date.toISOString().slice(0, 10);
}

// ------------------------------------------------------------------ item kinds

const KIND_MAP: Record<string, ItemKind[]> = {
  am_machine: ['am_machine'],
  hybrid_am_machine: ['am_machine'],
  machine_tool: ['am_machine'],
  production_equipment: ['am_machine'],
  am_machine_component: ['am_machine_component'],
  metal_powder: ['metal_powder'],
  metal_alloy: ['metal_alloy'],
  am_feedstock: ['am_feedstock'],
  printed_part: ['printed_part'],
  printed_part_material: ['printed_part', 'metal_alloy'],
  am_software: ['am_software'],
  software: ['am_software'],
  am_technology: ['am_technology'],
  powder_technology: ['am_technology'],
  technology: ['am_technology'],
  design_data: ['design_file', 'am_technology'],
  design_file: ['design_file'],
  build_file: ['design_file'],
  printed_part_technology: ['am_technology', 'design_file'],
};

function mapKinds(kinds: string[], key: string): ItemKind[] {
  const out = new Set<ItemKind>();
  for (const k of kinds) {
    const mapped = KIND_MAP[k];
    if (!mapped) throw new Error(`${key}: unknown item kind ${k}`);
    mapped.forEach((m) => out.add(m));
  }
  return [...out];
}

// ------------------------------------------------------------------ decompositions

interface Decomposed {
  conditions: Condition[];
  node: LogicNode;
  /** why the decomposition reads the legal text this way */
  why: string;
}
const cond = (c: Condition): Condition => c;

const SOLID_FORMS = ['solid', 'ingot', 'bar', 'rod', 'block', 'plate', 'sheet'];

function testResult(
  id: string,
  list: string,
  conditions: Array<[string, number, string]>,
  result: [string, 'gt' | 'gte', number, string?],
  note: string,
  from: string,
): Condition {
  return cond({
    id,
    name: list,
    operator: 'test_result',
    value: {
      conditions: conditions.map(([field, value, unit]) => ({ field, value, unit, harsher: 'higher' as const })),
      result: { field: result[0], operator: result[1], value: result[2], ...(result[3] ? { unit: result[3] } : {}) },
    },
    note,
    derived_from: from,
  });
}

function alloyProperties(from: string, base: string, rupture?: [number, number], lcf?: [number, number], tensile?: Array<[number, number]>): Decomposed {
  const conditions: Condition[] = [
    cond({ id: `${from}.base`, name: 'material.base_metal', operator: 'eq', value: base, note: `${from} applies to ${base} alloys.`, derived_from: from }),
  ];
  const alternatives: LogicNode[] = [];
  if (rupture) {
    conditions.push(
      testResult(
        `${from}.rupture`,
        'material.properties.stress_rupture_tests',
        [['temperature', rupture[0], 'degC'], ['stress', rupture[1], 'MPa']],
        ['rupture_life', 'gte', 10000, 'h'],
        `Stress-rupture life of 10,000 h or longer at ${rupture[0]} °C and ${rupture[1]} MPa (ASTM E-139).`,
        from,
      ),
    );
    alternatives.push(`${from}.rupture`);
  }
  if (lcf) {
    conditions.push(
      testResult(
        `${from}.lcf`,
        'material.properties.low_cycle_fatigue_tests',
        [['temperature', lcf[0], 'degC'], ['max_stress', lcf[1], 'MPa']],
        ['cycles_to_failure', 'gte', 10000],
        `Low-cycle-fatigue life of 10,000 cycles or more at ${lcf[0]} °C and a maximum stress of ${lcf[1]} MPa (ASTM E-606).`,
        from,
      ),
    );
    alternatives.push(`${from}.lcf`);
  }
  for (const [i, [temp, uts]] of (tensile ?? []).entries()) {
    conditions.push(
      testResult(
        `${from}.uts${i + 1}`,
        'material.properties.tensile_tests',
        [['temperature', temp, 'degC']],
        ['ultimate_tensile_strength', 'gte', uts, 'MPa'],
        `Ultimate tensile strength of ${uts} MPa or more at ${temp} °C.`,
        from,
      ),
    );
    alternatives.push(`${from}.uts${i + 1}`);
  }
  return {
    conditions,
    node: { all: [`${from}.base`, alternatives.length === 1 ? alternatives[0]! : { any: alternatives }] },
    why: `The parameter note names the base metal (${base}); the property alternatives become test-result conditions on the alloy's declared tests (a test at the stated or harsher conditions decides).`,
  };
}

function tungstenSolid(): Decomposed {
  const from = '1C117.c';
  const W = (id: string, gte: number) =>
    cond({ id, name: 'material.composition.W_wt_pct', operator: 'gte', value: gte, derived_from: '1C117.c.1' });
  const L = (id: string, name: string, gte: number) =>
    cond({ id, name: `material.machinable_to[].${name}`, operator: 'gte', value: gte, unit: 'mm', derived_from: '1C117.c.2' });
  const conditions: Condition[] = [
    cond({ id: '1C117.c.form', name: 'material.form', operator: 'in', value: SOLID_FORMS, note: 'Tungsten alloys in solid form.', derived_from: from }),
    W('1C117.c.1.W97', 97),
    W('1C117.c.1.W80', 80),
    cond({ id: '1C117.c.1.cu', name: 'material.infiltrated_with', operator: 'eq', value: 'copper', derived_from: '1C117.c.1' }),
    cond({ id: '1C117.c.1.ag', name: 'material.infiltrated_with', operator: 'eq', value: 'silver', derived_from: '1C117.c.1' }),
    cond({ id: '1C117.c.2.cyl', name: 'material.machinable_to[].shape', operator: 'eq', value: 'cylinder', derived_from: '1C117.c.2' }),
    L('1C117.c.2.cyl.d', 'diameter', 120),
    L('1C117.c.2.len', 'length', 50),
    cond({ id: '1C117.c.2.tube', name: 'material.machinable_to[].shape', operator: 'eq', value: 'tube', derived_from: '1C117.c.2' }),
    L('1C117.c.2.tube.id', 'inner_diameter', 65),
    L('1C117.c.2.tube.wall', 'wall_thickness', 25),
    cond({ id: '1C117.c.2.block', name: 'material.machinable_to[].shape', operator: 'eq', value: 'block', derived_from: '1C117.c.2' }),
    cond({
      id: '1C117.c.2.block.dims',
      name: 'material.machinable_to[].block_dimensions',
      operator: 'dims_gte',
      value: [120, 120, 50],
      unit: 'mm',
      note: 'Blocks of 120 mm × 120 mm × 50 mm or greater (edges compared largest first).',
      derived_from: '1C117.c.2',
    }),
  ];
  const c1: LogicNode = { any: ['1C117.c.1.W97', { all: ['1C117.c.1.cu', '1C117.c.1.W80'] }, { all: ['1C117.c.1.ag', '1C117.c.1.W80'] }] };
  const c2: LogicNode = {
    any_element: {
      path: 'material.machinable_to',
      where: {
        any: [
          { all: ['1C117.c.2.cyl', '1C117.c.2.cyl.d', '1C117.c.2.len'] },
          { all: ['1C117.c.2.tube', '1C117.c.2.tube.id', '1C117.c.2.tube.wall', '1C117.c.2.len'] },
          { all: ['1C117.c.2.block', '1C117.c.2.block.dims'] },
        ],
      },
    },
  };
  return { conditions, node: { all: ['1C117.c.form', c1, c2] }, why: '' };
}

function particulate(from: string, element: 'W' | 'Mo'): Decomposed {
  return {
    conditions: [
      cond({ id: `${from}.${element}`, name: `material.composition.${element}_wt_pct`, operator: 'gte', value: 97, derived_from: from }),
      cond({ id: `${from}.form`, name: 'material.form', operator: 'in', value: ['powder', 'particulate'], derived_from: from }),
      cond({ id: `${from}.size`, name: 'material.max_particle_size', operator: 'lte', value: 50, unit: 'um', derived_from: from }),
    ],
    node: { all: [`${from}.${element}`, `${from}.form`, `${from}.size`] },
    why: `"${element} 97 wt% or more, particulate, particle size 50 µm or less" split into composition, form and particle-size conditions.`,
  };
}

/** Decomposition of every free-form parameter, keyed by parameter id (the same id means the same text in US and EU). */
const DECOMPOSITIONS: Record<string, (p: RawParameter, e: RawEntry) => Decomposed> = {
  '1C011.a.c': (p) => ({
    conditions: [
      cond({
        id: '1C011.a.c',
        name: 'material.composition',
        operator: 'composition_sum',
        value: { elements: ['Zr', 'Hf', 'Mg'], operator: 'gte', threshold: 99 },
        note: `${p.note ?? ''} Zirconium, magnesium 'and alloys thereof': Zr + Hf + Mg 99 wt% or more (hafnium naturally present in zirconium is counted with it).`.trim(),
        derived_from: p.id,
      }),
    ],
    node: '1C011.a.c',
    why: '"Manufactured from material consisting of 99 % or more of zirconium, magnesium and alloys thereof" is read as the sum Zr + Hf + Mg ≥ 99 wt% (Technical Note: Hf in Zr counted with Zr).',
  }),
  '1C011.b.c': (p) => ({
    conditions: [cond({ id: p.id, name: 'material.composition.B_wt_pct', operator: 'gte', value: 85, note: 'Boron of 85 % purity or more.', derived_from: p.id })],
    node: p.id,
    why: 'Boron purity/content ≥ 85 wt% read from material.composition.B_wt_pct.',
  }),
  '1C111.a.2.a': (p) => ({
    conditions: (['Zr', 'Be', 'Mg'] as const).map((el) =>
      cond({ id: `${p.id}.${el}`, name: `material.composition.${el}_wt_pct`, operator: 'gte', value: 97, derived_from: p.id }),
    ),
    node: { any: ['Zr', 'Be', 'Mg'].map((el) => `${p.id}.${el}`) },
    why: '"97 wt% or more of any of zirconium, beryllium, magnesium" split into one composition condition per element.',
  }),
  '1C111.a.2.b': (p) => ({
    conditions: [cond({ id: p.id, name: 'material.composition.B_wt_pct', operator: 'gte', value: 85, derived_from: p.id })],
    node: p.id,
    why: 'Boron content ≥ 85 wt% read from material.composition.B_wt_pct.',
  }),
  '1C117.a': (p) => particulate(p.id, 'W'),
  '1C117.b': (p) => particulate(p.id, 'Mo'),
  '1C117.c.1': () => {
    const t = tungstenSolid();
    return {
      conditions: t.conditions.filter((c) => c.id === '1C117.c.form' || c.id.startsWith('1C117.c.1')),
      node: { all: ['1C117.c.form', (t.node as { all: LogicNode[] }).all[1]!] },
      why: 'Tungsten ≥ 97 wt%, or copper- or silver-infiltrated tungsten ≥ 80 wt%, in solid form.',
    };
  },
  '1C117.c.2': () => {
    const t = tungstenSolid();
    return {
      conditions: t.conditions.filter((c) => c.id.startsWith('1C117.c.2')),
      node: (t.node as { all: LogicNode[] }).all[2]!,
      why: 'Machinable to a cylinder (Ø ≥ 120 mm, length ≥ 50 mm), a tube (inner Ø ≥ 65 mm, wall ≥ 25 mm, length ≥ 50 mm) or a block (≥ 120 × 120 × 50 mm): one element of material.machinable_to must meet one shape completely.',
    };
  },
  '1C117.c': (p) => {
    const t = tungstenSolid();
    return {
      conditions: t.conditions.map((c) => ({ ...c, note: [c.note, `From ${p.value} via see_entry: ${p.note}`].filter(Boolean).join(' ') })),
      node: t.node,
      why: `see_entry "${String(p.value)}": the note states the same thresholds as US 1C117.c, so they are written out here.`,
    };
  },
  '1C002.a.1': (p) => ({
    conditions: [
      cond({ id: `${p.id}.sys`, name: 'material.aluminide', operator: 'eq', value: 'nickel_aluminide', derived_from: p.id }),
      cond({
        id: `${p.id}.Al`,
        name: 'material.composition.Al_wt_pct',
        operator: 'in_range',
        value: { min: 15, min_inclusive: true, max: 38, max_inclusive: true },
        derived_from: p.id,
      }),
      cond({ id: `${p.id}.x`, name: 'material.additional_alloying_elements_count', operator: 'gte', value: 1, derived_from: p.id }),
    ],
    node: { all: [`${p.id}.sys`, `${p.id}.Al`, `${p.id}.x`] },
    why: 'Nickel aluminides with 15-38 wt% aluminium and at least one additional alloying element.',
  }),
  '1C002.a.2': (p) => ({
    conditions: [
      cond({ id: `${p.id}.sys`, name: 'material.aluminide', operator: 'eq', value: 'titanium_aluminide', derived_from: p.id }),
      cond({ id: `${p.id}.Al`, name: 'material.composition.Al_wt_pct', operator: 'gte', value: 10, derived_from: p.id }),
      cond({ id: `${p.id}.x`, name: 'material.additional_alloying_elements_count', operator: 'gte', value: 1, derived_from: p.id }),
    ],
    node: { all: [`${p.id}.sys`, `${p.id}.Al`, `${p.id}.x`] },
    why: 'Titanium aluminides with 10 wt% or more aluminium and at least one additional alloying element.',
  }),
  '1C002.b.1': (p) => alloyProperties(p.id, 'nickel', [650, 676], [550, 1095]),
  '1C002.b.2': (p) => alloyProperties(p.id, 'niobium', [800, 400], [700, 700]),
  '1C002.b.3': (p) => alloyProperties(p.id, 'titanium', [450, 200], [450, 400]),
  '1C002.b.4': (p) => alloyProperties(p.id, 'aluminium', undefined, undefined, [[200, 240], [25, 415]]),
  '1C002.b.5': (p) => ({
    conditions: [
      cond({ id: `${p.id}.base`, name: 'material.base_metal', operator: 'eq', value: 'magnesium', derived_from: p.id }),
      cond({ id: `${p.id}.uts`, name: 'material.ultimate_tensile_strength_at_20C', operator: 'gte', value: 345, unit: 'MPa', derived_from: p.id }),
      cond({
        id: `${p.id}.corr`,
        name: 'material.properties.corrosion_rate_3pct_NaCl_ASTM_G31',
        operator: 'lt',
        value: 1,
        unit: 'mm/year',
        derived_from: p.id,
      }),
    ],
    node: { all: [`${p.id}.base`, `${p.id}.uts`, `${p.id}.corr`] },
    why: 'Magnesium alloys (parameter note) with UTS ≥ 345 MPa (no temperature stated: read at 20 °C) and corrosion < 1 mm/year in 3 % NaCl (ASTM G-31).',
  }),
  '1C002.c.1': (p) => {
    const values = (p.value as string[]).map((v) => v.replace(/ \(.*\)$/, ''));
    if (values[0] !== 'Ni-Al-X') throw new Error(`1C002.c.1: expected Ni-Al-X first, got ${values[0]}`);
    return {
      conditions: [
        cond({ id: `${p.id}.ni`, name: 'material.composition_system', operator: 'eq', value: 'Ni-Al-X', derived_from: p.id }),
        cond({
          id: `${p.id}.ni.q`,
          name: 'material.qualified_for_turbine_engine_parts',
          operator: 'eq',
          value: true,
          note: 'Ni-Al-X qualified for turbine engine parts: fewer than 3 non-metallic particles larger than 100 µm in 10⁹ alloy particles.',
          derived_from: p.id,
        }),
        cond({ id: `${p.id}.other`, name: 'material.composition_system', operator: 'in', value: values.slice(1), note: p.note, derived_from: p.id }),
      ],
      node: { any: [{ all: [`${p.id}.ni`, `${p.id}.ni.q`] }, `${p.id}.other`] },
      why: 'The Ni-Al-X alternative carries a qualification in parentheses; it becomes its own condition.',
    };
  },
  '1C513.not1C002': (p, e) => ({
    conditions: [
      cond({
        id: p.id,
        name: 'material.specified_in_1C002',
        operator: 'specified_in',
        value: { entries: [`${e.key.split(':')[0]}:1C002`], declared: 'material.specified_in_1C002', spec: { path: '$self' } },
        note: '"Not specified in 1C002": your statement, or else Fabgate evaluates 1C002 on the same item.',
        derived_from: p.id,
      }),
    ],
    node: { not: p.id },
    why: '"not specified in 1C002" is evaluated by classifying the item against 1C002 unless the exporter states it.',
  }),
  '9E003.a.1': (p) => {
    const alloys = (p.value as { alloy: string[] }).alloy.map((a) => (a === 'DS' ? 'directionally_solidified' : a === 'SC' ? 'single_crystal' : a));
    return {
      conditions: [
        cond({ id: `${p.id}.type`, name: 'part.component_type', operator: 'in', value: ['turbine_blade', 'vane', 'tip_shroud'], derived_from: p.id }),
        cond({ id: `${p.id}.alloy`, name: 'part.alloy_solidification', operator: 'in', value: alloys, derived_from: p.id }),
        testResult(
          `${p.id}.rupture`,
          'part.stress_rupture_tests',
          [['temperature', 1000, 'degC'], ['stress', 200, 'MPa']],
          ['rupture_life', 'gt', 400, 'h'],
          'Stress-rupture life exceeding 400 h at 1,000 °C (1,273 K) and 200 MPa (001 direction, average values).',
          p.id,
        ),
      ],
      node: { all: [`${p.id}.type`, `${p.id}.alloy`, `${p.id}.rupture`] },
      why: 'Blade/vane/tip-shroud type, DS or SC alloy and the stress-rupture property become three conditions on the part the technology is for.',
    };
  },
  '9E003.a.11': (p) => ({
    conditions: [
      cond({ id: `${p.id}.type`, name: 'part.component_type', operator: 'eq', value: 'fan_blade', derived_from: p.id }),
      cond({ id: `${p.id}.frac`, name: 'part.internal_cavity_volume_fraction', operator: 'gte', value: 20, unit: 'vol%', derived_from: p.id }),
      cond({ id: `${p.id}.cav`, name: 'part.largest_internal_cavity_volume', operator: 'gte', value: 5, unit: 'cm3', derived_from: p.id, note: p.note }),
    ],
    node: { all: [`${p.id}.type`, `${p.id}.frac`, `${p.id}.cav`] },
    why: 'Hollow fan blades with ≥ 20 % of their volume in internal cavities and one cavity of ≥ 5 cm³.',
  }),
};

// ------------------------------------------------------------------ plain parameters

/** Units that name a count, not a quantity: the item field is a bare integer. */
const COUNT_UNITS = new Set(['elements', 'extruders']);
const UNIT_ALIASES: Record<string, string> = { '% by volume or weight': '%' };

function normaliseTargets(values: unknown, entry: RawEntry): string[] {
  const prefix = entry.key.split(':')[0]!;
  const out: string[] = [];
  for (const v of Array.isArray(values) ? values : [values]) {
    const s = String(v);
    const range = /^(\d[A-Z])(\d{3})-\1(\d{3})$/.exec(s);
    if (range) {
      for (let n = Number(range[2]); n <= Number(range[3]); n++) out.push(`${prefix}:${range[1]}${String(n).padStart(3, '0')}`);
    } else out.push(s.includes(':') ? s : `${prefix}:${s}`);
  }
  return out;
}

const FILE_TARGETS: Record<string, string> = {
  'firearm (0A501)': 'firearm',
  'firearm frame or receiver (0A501)': 'firearm_frame_or_receiver',
};

function plainCondition(p: RawParameter, entry: RawEntry, amend: (summary: string, reason: string) => void): Condition {
  const base = { id: p.id, name: p.name, ...(p.note ? { note: p.note } : {}) };
  if (p.name.endsWith('.target_item')) {
    const section = p.name.slice(0, -'.target_item'.length);
    const entries = normaliseTargets(p.value, entry);
    amend(
      `${p.id}: ${p.name} ${p.operator} ${JSON.stringify(p.value)} becomes specified_in ${JSON.stringify(entries)}`,
      `Takes the exporter's declared entry keys (${p.name}) or, given ${section}.target, classifies the target itself.`,
    );
    return { ...base, operator: 'specified_in', value: { entries, declared: p.name, spec: { path: `${section}.target` } } };
  }
  if (p.name === 'component.specially_designed_for_entry') {
    const selfKey = String(p.value).replace(/^self:/, `${entry.key.split(':')[0]}:`);
    amend(
      `${p.id}: "specially designed for" ${selfKey} becomes specified_in, with component.for_machine classified against the entry`,
      'A component is caught when specially designed for equipment meeting the entry; Fabgate classifies the machine the component is for.',
    );
    return {
      ...base,
      operator: 'specified_in',
      value: {
        entries: [selfKey],
        declared: 'component.specially_designed_for_entry',
        spec: { path: 'component.for_machine', wrap_as: { kind: 'am_machine', field: 'machine' } },
      },
    };
  }
  let unit = p.unit === undefined ? undefined : (UNIT_ALIASES[p.unit] ?? p.unit);
  if (unit !== undefined && (COUNT_UNITS.has(unit) || /_wt_pct$/.test(p.name))) unit = undefined;
  const withUnit = unit === undefined ? {} : { unit };
  switch (p.operator) {
    case 'eq':
    case 'includes':
      return { ...base, operator: p.operator, value: p.value as string | number | boolean };
    case 'in':
      if (p.name === 'file.enables_production_of') {
        const value = (p.value as string[]).map((v) => FILE_TARGETS[v] ?? v);
        return { ...base, operator: 'in', value };
      }
      return { ...base, operator: 'in', value: p.value as Array<string | number | boolean> };
    case 'includes_any':
      return { ...base, operator: 'includes_any', value: p.value as Array<string | number | boolean> };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { ...base, operator: p.operator, value: p.value as number, ...withUnit };
    case 'in_range':
      return { ...base, operator: 'in_range', value: p.value as { min: number; min_inclusive: boolean; max: number; max_inclusive: boolean }, ...withUnit };
    case 'note':
      return { ...base, operator: 'note' };
    default:
      throw new Error(`${entry.key} ${p.id}: operator ${p.operator} needs a decomposition`);
  }
}

// ------------------------------------------------------------------ exclusions (scope of the regimes)

interface ExclusionDef {
  claim: string;
  citation: string;
}
const US_EXCLUSIONS: ExclusionDef[] = [
  { claim: 'published', citation: "15 CFR 734.3(b)(3)(i), 734.7: 'published' information and software are not subject to the EAR" },
  { claim: 'fundamental_research', citation: '15 CFR 734.3(b)(3)(ii), 734.8: technology or software arising during fundamental research intended to be published' },
  { claim: 'educational', citation: '15 CFR 734.3(b)(3)(iii): information released by instruction in catalog courses and associated teaching laboratories of academic institutions' },
  { claim: 'patent_application', citation: '15 CFR 734.3(b)(3)(iv), 734.10: information in patents and open patent applications' },
];
const EU_TECHNOLOGY_EXCLUSIONS: ExclusionDef[] = [
  { claim: 'published', citation: "Reg. (EU) 2021/821 Annex I, General Technology Note: controls do not apply to technology 'in the public domain'" },
  { claim: 'fundamental_research', citation: "Reg. (EU) 2021/821 Annex I, General Technology Note: controls do not apply to 'basic scientific research'" },
  { claim: 'patent_application', citation: 'Reg. (EU) 2021/821 Annex I, General Technology Note: the minimum necessary information for patent applications' },
];
const EU_SOFTWARE_EXCLUSIONS: ExclusionDef[] = [
  { claim: 'published', citation: "Reg. (EU) 2021/821 Annex I, General Software Note (b): software 'in the public domain'" },
  {
    claim: 'generally_available_to_public',
    citation: 'Reg. (EU) 2021/821 Annex I, General Software Note (a): generally available to the public, sold from stock at retail without restriction, designed for installation by the user',
  },
];
/** Under 15 CFR 734.7(c) posting firearm build files online does not make them "published". */
const PUBLISHED_OVERRIDE: Record<string, string> = { 'US-EAR:0D501': 'US-EAR:734.7(c)', 'US-EAR:0E501': 'US-EAR:734.7(c)' };

function exclusionsFor(entry: RawEntry): ExclusionDef[] {
  if (entry.category !== 'software' && entry.category !== 'technology') return [];
  if (entry.key === 'US-EAR:734.7(c)') return [];
  if (entry.regime === 'US-EAR') return US_EXCLUSIONS;
  if (entry.regime === 'EU-2021/821') return entry.category === 'software' ? EU_SOFTWARE_EXCLUSIONS : EU_TECHNOLOGY_EXCLUSIONS;
  return [];
}

// ------------------------------------------------------------------ entry amendments

interface Draft {
  raw: RawEntry;
  parameters: Condition[];
  branches: Entry['branches'];
  notes: Entry['notes'];
  amendments: Entry['amendments'];
}

const replaceBranchLogic = (d: Draft, name: string, f: (logic: LogicNode) => LogicNode) => {
  const b = d.branches.find((x) => x.name === name);
  if (!b) throw new Error(`${d.raw.key}: no branch ${name}`);
  b.logic = f(b.logic);
};

/** Changes to single entries, each with the reason drawn from the entry's own notes. */
const ENTRY_AMENDMENTS: Record<string, (d: Draft) => void> = {
  'EU-2021/821:1C202': (d) => {
    d.parameters.push(
      { id: '1C202.a.base', name: 'material.base_metal', operator: 'eq', value: 'aluminium' },
      { id: '1C202.b.base', name: 'material.base_metal', operator: 'eq', value: 'titanium' },
    );
    replaceBranchLogic(d, 'material', () => ({
      all: [{ any: [{ all: ['1C202.a.base', '1C202.a.1'] }, { all: ['1C202.b.base', '1C202.b.1'] }] }, '1C202.form', '1C202.od'],
    }));
    d.amendments.push({
      summary: '1C202.a.1 and 1C202.b.1 apply only to aluminium and titanium alloys respectively (base-metal conditions added, as in the US decomposition)',
      reason: 'The parameter notes say "Al alloys" and "Ti alloys"; without the base metal a titanium alloy of 500 MPa would wrongly meet the aluminium threshold.',
    });
  },
  'EU-2021/821:9E003': (d) => {
    d.parameters.unshift({
      id: '9E003.a',
      name: 'technology.function',
      operator: 'includes_any',
      value: ['development', 'production'],
      note: "Technology 'required' for the 'development' or 'production' of the listed gas-turbine components.",
    });
    replaceBranchLogic(d, 'technology', (logic) => ({ all: ['9E003.a', logic] }));
    d.amendments.push({
      summary: 'Added 9E003.a technology.function includes_any [development, production]',
      reason: 'The entry is technology for the development or production of the listed parts (as in the US entry 9E003.a); without it any mention of such a part would match.',
    });
  },
  'EU-2021/821:2B001': (d) => {
    replaceBranchLogic(d, 'equipment', () => ({
      any: [
        { all: ['2B001.n4', { unmodelled: 'Note 4: evaluate the machine against each applicable 2B001.a, .b or .c (positioning-repeatability thresholds not modelled)' }] },
        { all: ['2B001.e', { unmodelled: '2B001.e thresholds (two or more contouring rotary axes, positioning accuracy < 0.003°) not modelled' }] },
      ],
    }));
    d.amendments.push({
      summary: 'Note 4 and 2B001.e lead to needs_review instead of controlled',
      reason: 'Note 4 says a hybrid machine "must be evaluated against each applicable 2B001.a, .b or .c"; having turning, milling or grinding does not by itself make a machine controlled, and the 2B001.e thresholds are not in the data.',
    });
  },
  'WA-DU:2B001 Note 4': (d) => {
    replaceBranchLogic(d, 'equipment', (logic) => ({
      all: [logic, { unmodelled: 'Note 4: evaluate the machine against each applicable 2B001.a, .b or .c (thresholds not modelled)' }],
    }));
    d.amendments.push({
      summary: 'Note 4 leads to needs_review instead of controlled',
      reason: 'The note directs an evaluation against 2B001.a/.b/.c; it is not a control by itself.',
    });
  },
  'CA-ECL:proposed-metal-AM': (d) => {
    replaceBranchLogic(d, 'equipment', (logic) => ({
      all: [logic, { unmodelled: 'Text of the proposed Canadian item not retrieved (expected to mirror 2B910/2B510); the proposal is not in force' }],
    }));
    d.amendments.push({
      summary: 'A metal AM machine leads to needs_review instead of controlled',
      reason: 'Parameter note: "Text of proposed item not retrieved"; the entry is a proposal whose final order was not located.',
    });
  },
  'US-EAR:0B501': (d) => {
    d.parameters.push({
      id: '0B501.fa',
      name: 'machine.specially_designed_for_firearms_production',
      operator: 'eq',
      value: true,
      note: 'General-purpose AM machines are not specially designed for firearms production.',
    });
    replaceBranchLogic(d, 'equipment', (logic) => ({ all: ['0B501.fa', logic] }));
    d.amendments.push({
      summary: 'Added 0B501.fa: machine.specially_designed_for_firearms_production eq true before the unmodelled paragraphs',
      reason: "Entry note: \"General-purpose AM machines are not 'specially designed' for firearms; 0B501 catches equipment specially designed for firearms\".",
    });
  },
  'US-EAR:0A501': (d) => {
    d.parameters.push({ id: '0A501.fa', name: 'part.is_firearm_or_firearm_part', operator: 'eq', value: true, note: 'Firearms and related commodities (heading).' });
    replaceBranchLogic(d, 'equipment', (logic) => ({ all: ['0A501.fa', logic] }));
    d.amendments.push({
      summary: 'Added 0A501.fa: part.is_firearm_or_firearm_part eq true before the unmodelled paragraphs',
      reason: 'The heading covers firearms and related commodities; a printed part that is no firearm part is outside.',
    });
  },
  'UK-ECO2008:PL9015': (d) => {
    d.parameters.push(
      { id: 'PL9015.comp.sd', name: 'component.specially_designed', operator: 'eq', value: true },
      {
        id: 'PL9015.comp',
        name: 'component.specially_designed_for_entry',
        operator: 'specified_in',
        value: {
          entries: ['UK-ECO2008:PL9015'],
          declared: 'component.specially_designed_for_entry',
          spec: { path: 'component.for_machine', wrap_as: { kind: 'am_machine', field: 'machine' } },
        },
      },
      { id: 'PL9015.sw.f', name: 'software.function', operator: 'includes_any', value: ['development', 'production', 'use', 'operation'] },
      {
        id: 'PL9015.sw.t',
        name: 'software.target_item',
        operator: 'specified_in',
        value: { entries: ['UK-ECO2008:PL9015'], declared: 'software.target_item', spec: { path: 'software.target' } },
      },
      { id: 'PL9015.tech.f', name: 'technology.function', operator: 'includes_any', value: ['development', 'production', 'use', 'operation'] },
      {
        id: 'PL9015.tech.t',
        name: 'technology.target_item',
        operator: 'specified_in',
        value: { entries: ['UK-ECO2008:PL9015'], declared: 'technology.target_item', spec: { path: 'technology.target' } },
      },
    );
    d.branches = [
      { ...d.branches[0]!, name: 'equipment', item_kinds: ['am_machine'] },
      {
        name: 'components',
        item_kinds: ['am_machine_component'],
        logic: { all: ['PL9015.comp.sd', 'PL9015.comp', { unmodelled: 'PL9015 components paragraph not retrieved' }] },
      },
      { name: 'software', item_kinds: ['am_software'], logic: { all: ['PL9015.sw.f', 'PL9015.sw.t', { unmodelled: 'PL9015 software paragraph not retrieved' }] } },
      {
        name: 'technology',
        item_kinds: ['am_technology'],
        logic: { all: ['PL9015.tech.f', 'PL9015.tech.t', { unmodelled: 'PL9015 technology paragraph not retrieved' }] },
      },
    ];
    d.amendments.push({
      summary: 'Added components, software and technology branches, each ending in needs_review',
      reason: 'The title covers "specially designed components; related software and technology" and the trade press says software for use is also caught, but the parameters were not retrieved.',
    });
  },
};

// ------------------------------------------------------------------ conversion of one entry

function convertLogic(logic: RawLogic, replacements: Map<string, LogicNode>): LogicNode {
  if (typeof logic === 'string') return replacements.get(logic) ?? logic;
  if ('all' in logic) return { all: logic.all.map((l) => convertLogic(l, replacements)) };
  if ('any' in logic) return { any: logic.any.map((l) => convertLogic(l, replacements)) };
  if ('any_monitor_instance' in logic) {
    return { any_element: { path: 'machine.in_process_monitoring', where: convertLogic(logic.any_monitor_instance, replacements) } };
  }
  return { unmodelled: logic.unmodelled };
}

function referencedIds(logic: RawLogic, out = new Set<string>()): Set<string> {
  if (typeof logic === 'string') out.add(logic);
  else if ('all' in logic) logic.all.forEach((l) => referencedIds(l, out));
  else if ('any' in logic) logic.any.forEach((l) => referencedIds(l, out));
  else if ('any_monitor_instance' in logic) referencedIds(logic.any_monitor_instance, out);
  return out;
}

function convertEntry(raw: RawEntry): Entry {
  const amendments: Entry['amendments'] = [];
  const amend = (summary: string, reason: string) => amendments.push({ summary, reason });
  const used = referencedIds(raw.logic);
  if (raw.logic_components) referencedIds(raw.logic_components, used);

  const parameters: Condition[] = [];
  const notes: Entry['notes'] = [...(raw.notes ?? [])];
  const replacements = new Map<string, LogicNode>();
  for (const p of raw.parameters) {
    const decompose = DECOMPOSITIONS[p.id];
    if (decompose && (used.has(p.id) || p.operator === 'see_entry')) {
      const d = decompose(p, raw);
      parameters.push(...d.conditions);
      replacements.set(p.id, d.node);
      if (d.why) amend(`${p.id} (${p.operator}) decomposed into ${d.conditions.map((c) => c.id).join(', ')}`, d.why);
      continue;
    }
    if (!used.has(p.id) && (p.operator === 'note' || p.operator === 'see_entry')) {
      // Guidance parameters outside the logic are shown with the result as notes.
      notes.push({ type: 'guidance', summary: `${p.id} (${p.name}): ${p.note ?? ''}`.trim() });
      continue;
    }
    parameters.push(plainCondition(p, raw, amend));
  }

  const itemKinds = mapKinds(raw.item_kinds, raw.key);
  const branches: Entry['branches'] = [];
  if (raw.logic_components) {
    const replaced = parameters.find((c) => c.name === 'component.specially_designed_for_entry');
    if (!replaced) throw new Error(`${raw.key}: logic_components without a components parameter`);
    const sdId = `${replaced.id}.sd`;
    parameters.push({ id: sdId, name: 'component.specially_designed', operator: 'eq', value: true });
    const comps: LogicNode[] = [sdId, convertLogic(raw.logic_components, replacements)];
    if (raw.regime === 'US-EAR') {
      const relId = `${replaced.id}.rel`;
      parameters.push({
        id: relId,
        name: 'component.us_specially_designed_release',
        operator: 'not_claimed',
        note: "15 CFR 772.1(b)(1)-(6): a part released from 'specially designed' is not caught by the components branch.",
      });
      comps.push(relId);
      amend(`Added ${relId}: no 772.1(b) release claimed`, "The US definition of 'specially designed' (15 CFR 772.1) releases parts meeting paragraphs (b)(1)-(6).");
    }
    amend(`Added ${sdId}: component.specially_designed eq true`, 'The components branch covers components "specially designed" therefor.');
    branches.push({ name: 'equipment', item_kinds: itemKinds.filter((k) => k !== 'am_machine_component'), logic: convertLogic(raw.logic, replacements) });
    branches.push({ name: 'components', item_kinds: ['am_machine_component'], logic: { all: comps } });
  } else {
    branches.push({ name: raw.category, item_kinds: itemKinds, logic: convertLogic(raw.logic, replacements) });
  }
  if (raw.logic_text) branches[0]!.logic_text = raw.logic_text;

  const draft: Draft = { raw, parameters, branches, notes, amendments };
  ENTRY_AMENDMENTS[raw.key]?.(draft);

  const exclusions = exclusionsFor(raw);
  if (exclusions.length > 0) {
    const ids: LogicNode[] = [];
    for (const ex of exclusions) {
      const id = `${raw.id.split(' ')[0]}.excl.${ex.claim}`;
      draft.parameters.push({ id, name: `exclusions.${ex.claim}`, operator: 'not_claimed', note: ex.citation });
      const override = ex.claim === 'published' ? PUBLISHED_OVERRIDE[raw.key] : undefined;
      if (override) {
        const oid = `${id}.override`;
        draft.parameters.push({
          id: oid,
          name: 'exclusions.published',
          operator: 'specified_in',
          value: { entries: [override], spec: { path: '$self' } },
          note: '15 CFR 734.7(c): machine-ready firearm files posted on the internet are not "published" and stay subject to the EAR.',
        });
        ids.push({ any: [id, oid] });
      } else ids.push(id);
    }
    for (const b of draft.branches) b.logic = { all: [b.logic, ...ids] };
    draft.amendments.push({
      summary: `Added scope exclusions: ${exclusions.map((e) => e.claim).join(', ')}${PUBLISHED_OVERRIDE[raw.key] ? ` (published unless ${PUBLISHED_OVERRIDE[raw.key]} applies)` : ''}`,
      reason: exclusions.map((e) => e.citation).join('; '),
    });
  }

  const effective = /^\d{4}-\d{2}-\d{2}/.exec(raw.effective_date)?.[0] ?? null;
  const entry: Entry = {
    key: raw.key,
    regime: raw.regime,
    jurisdiction: raw.jurisdiction,
    list: raw.list,
    id: raw.id,
    title: raw.title,
    category: raw.category,
    role: raw.key === 'US-EAR:734.7(c)' ? 'scope_rule' : 'control_entry',
    item_kinds: [...new Set(draft.branches.flatMap((b) => b.item_kinds))],
    source_item_kinds: raw.item_kinds,
    multilateral_origin: raw.multilateral_origin,
    parameters: draft.parameters,
    branches: draft.branches,
    notes: draft.notes,
    ...(raw.effect ? { effect: raw.effect } : {}),
    reasons_for_control: raw.reasons_for_control,
    ...(raw.country_chart ? { country_chart: raw.country_chart } : {}),
    ...(raw.license_exceptions ? { license_exceptions: raw.license_exceptions } : {}),
    ...(raw.destination_logic ? { destination_logic: raw.destination_logic } : {}),
    ...(raw.software_technology_coverage ? { software_technology_coverage: raw.software_technology_coverage } : {}),
    ...(raw.related_controls ? { related_controls: raw.related_controls } : {}),
    related_entries: raw.related_entries,
    effective_date: effective,
    effective_date_text: raw.effective_date,
    ...(raw.rule_history ? { rule_history: raw.rule_history } : {}),
    source: raw.source,
    confidence: raw.confidence,
    ...(raw.confidence_detail ? { confidence_detail: raw.confidence_detail } : {}),
    amendments: draft.amendments,
  };
  return entry;
}

// ------------------------------------------------------------------ destinations

/** EAR country names (Supp. 1 to parts 738/740) to ISO 3166-1 alpha-2. */
const EAR_NAMES: Record<string, string> = {
  Afghanistan: 'AF', Albania: 'AL', Argentina: 'AR', Armenia: 'AM', Australia: 'AU', Austria: 'AT', Azerbaijan: 'AZ', Belarus: 'BY',
  Belgium: 'BE', Brazil: 'BR', Bulgaria: 'BG', Burma: 'MM', Cambodia: 'KH', Canada: 'CA', 'Central African Republic': 'CF',
  'China (PRC)': 'CN', 'Congo (Democratic Republic of)': 'CD', Croatia: 'HR', Cuba: 'CU', Cyprus: 'CY', 'Czech Republic': 'CZ',
  Denmark: 'DK', Eritrea: 'ER', Estonia: 'EE', Finland: 'FI', France: 'FR', Georgia: 'GE', Germany: 'DE', Greece: 'GR', Haiti: 'HT',
  Hungary: 'HU', Iceland: 'IS', India: 'IN', Iran: 'IR', Iraq: 'IQ', Ireland: 'IE', Israel: 'IL', Italy: 'IT', Japan: 'JP',
  Kazakhstan: 'KZ', 'Korea, North': 'KP', 'Korea, South': 'KR', Kyrgyzstan: 'KG', Laos: 'LA', Latvia: 'LV', Lebanon: 'LB',
  Libya: 'LY', Liechtenstein: 'LI', Lithuania: 'LT', Luxembourg: 'LU', Macau: 'MO', Malta: 'MT', Mexico: 'MX', Moldova: 'MD',
  Mongolia: 'MN', Netherlands: 'NL', 'New Zealand': 'NZ', Nicaragua: 'NI', Norway: 'NO', Poland: 'PL', Portugal: 'PT', Romania: 'RO',
  Russia: 'RU', Serbia: 'RS', Singapore: 'SG', Slovakia: 'SK', Slovenia: 'SI', Somalia: 'SO', 'South Africa': 'ZA',
  'South Sudan, Republic of': 'SS', Spain: 'ES', Sudan: 'SD', Sweden: 'SE', Switzerland: 'CH', Syria: 'SY', Taiwan: 'TW',
  Tajikistan: 'TJ', Türkiye: 'TR', Turkmenistan: 'TM', Ukraine: 'UA', 'United Arab Emirates': 'AE', 'United Kingdom': 'GB',
  'United States': 'US', Uzbekistan: 'UZ', Venezuela: 'VE', Vietnam: 'VN', Yemen: 'YE', Zimbabwe: 'ZW',
};

const iso = (name: string): string => {
  const code = EAR_NAMES[name];
  if (!code) throw new Error(`no ISO code for country name "${name}"`);
  return code;
};

/** The 27 Member States of the European Union (TEU Art. 52). */
const EU_MEMBER_STATES = ['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE'];

function usLicensing(groups: CountryGroupsFile): Licensing {
  const country_groups: Record<string, { label: string; members: string[] }> = {};
  for (const [g, names] of Object.entries(groups.country_groups)) {
    country_groups[g] = { label: groups.country_group_labels[g] ?? g, members: names.map(iso) };
  }
  const chart: Record<string, string[]> = {};
  for (const [col, names] of Object.entries(groups.country_chart_no_license_required)) chart[col] = names.map(iso);
  return {
    kind: 'us-ear',
    ecfr_issue_date: groups.ecfr_issue_date,
    country_groups,
    country_chart_no_license_required: chart,
    treated_as: { HK: 'CN' },
    embargoed: [...new Set([...(country_groups['E:1']?.members ?? []), ...(country_groups['E:2']?.members ?? [])])],
    notes: groups.notes,
  };
}

function euLicensing(entries: RawEntry[]): Licensing {
  const sample = entries.find((e) => e.key === 'EU-2021/821:2B510')?.destination_logic as Record<string, string> | undefined;
  const ga = sample?.general_authorisations ?? '';
  const eu001 = ['Australia', 'Canada', 'Iceland', 'Japan', 'New Zealand', 'Norway', 'Switzerland', 'Liechtenstein', 'United Kingdom', 'United States'];
  for (const name of eu001) if (!ga.includes(name)) throw new Error(`EU001 text no longer names ${name}: review the conversion`);
  if (!ga.includes('2B510 and 1C513 are not listed there')) throw new Error('EU001 eligibility text changed: review the conversion');
  return {
    kind: 'eu-dual-use',
    member_states: EU_MEMBER_STATES,
    general_authorisations: [
      {
        id: 'EU001',
        title: 'Union General Export Authorisation EU001 (Annex II, Section A)',
        destinations: eu001.map(iso),
        entries_known_eligible: ['EU-2021/821:2B510', 'EU-2021/821:1C513'],
        note: ga,
      },
    ],
    annex_iv_entries: null,
    notes: [sample?.license_required ?? '', sample?.catch_all ?? ''].filter(Boolean),
  };
}

function licensingFor(regime: string, entries: RawEntry[], groups: CountryGroupsFile): Licensing {
  const texts = (key: string) =>
    Object.values((entries.find((e) => e.key === key)?.destination_logic ?? {}) as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
  switch (regime) {
    case 'US-EAR':
      return usLicensing(groups);
    case 'EU-2021/821':
      return euLicensing(entries);
    case 'EU-MS-national (Spain, Art. 9 Reg. 2021/821)':
      return { kind: 'national', exporting_state: 'ES', free_destinations: EU_MEMBER_STATES.filter((c) => c !== 'ES'), notes: texts('ES-national:1B1901') };
    case 'UK':
      return { kind: 'all-destinations', notes: texts('UK-ECO2008:PL9015') };
    case 'Wassenaar':
      return { kind: 'reference', notes: ['Wassenaar does not assign per-country licence rules; participating states implement the list in national law.'] };
    case 'Canada-ECL':
      return { kind: 'unknown', notes: texts('CA-ECL:proposed-metal-AM') };
    default:
      throw new Error(`no licensing conversion for regime ${regime}`);
  }
}

// ------------------------------------------------------------------ the whole conversion

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function openQuestions(sources: string): string[] {
  const section = sources.split(/^## What remains unknown\s*$/m)[1] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2).trim());
}

/** Convert the control-list data into one rule set per regime (pure: bytes in, rule sets out). */
export function convertEntries(src: ControlListSources): RuleSet[] {
  const entries = JSON.parse(src.entries.toString('utf8')) as RawEntry[];
  const groups = JSON.parse(src.countryGroups.toString('utf8')) as CountryGroupsFile;
  const compiled = /Compiled (\d{4}-\d{2}-\d{2})/.exec(src.readme)?.[1];
  if (!compiled) throw new Error('README.md does not state the compilation date');
  const questions = openQuestions(src.sources);
  const byRegime = new Map<string, RawEntry[]>();
  for (const e of entries) {
    if (!REGIMES[e.regime]) throw new Error(`${e.key}: no rule-set policy for regime ${e.regime}`);
    byRegime.set(e.regime, [...(byRegime.get(e.regime) ?? []), e]);
  }
  const out: RuleSet[] = [];
  for (const [regime, raws] of byRegime) {
    const policy = REGIMES[regime]!;
    const ruleSet: RuleSet = {
      $schema: './ruleset.schema.json',
      format: 'fabgate-ruleset/1',
      id: policy.id,
      regime,
      title: policy.title,
      jurisdiction: raws[0]!.jurisdiction,
      status: policy.status,
      version: `${policy.asOf}.1`,
      effective_date: policy.asOf,
      review_date: addMonths(compiled, policy.reviewMonths),
      sunset_date: addMonths(compiled, policy.sunsetMonths),
      date_policy: policy.why,
      provenance: {
        generated_by: 'src/classification/rules/import-entries.ts',
        sources: [
          { file: 'control-lists/entries.json', sha256: sha256(src.entries) },
          ...(regime === 'US-EAR' ? [{ file: 'control-lists/us-ear-country-groups.json', sha256: sha256(src.countryGroups) }] : []),
        ],
        compiled,
      },
      open_questions: questions.filter((q) => policy.questions.test(q)),
      licensing: licensingFor(regime, raws, groups),
      entries: raws.map(convertEntry),
    };
    out.push(ruleSetSchema.parse(ruleSet));
  }
  return out;
}

/** Read the four source files from a control-lists folder. */
export function readSources(dir: string): ControlListSources {
  return {
    entries: readFileSync(join(dir, 'entries.json')),
    countryGroups: readFileSync(join(dir, 'us-ear-country-groups.json')),
    readme: readFileSync(join(dir, 'README.md'), 'utf8'),
    sources: readFileSync(join(dir, 'SOURCES.md'), 'utf8'),
  };
}

/** The committed file text of a rule set. */
export const ruleSetFileText = (r: RuleSet): string => JSON.stringify(r, null, 2) + '\n';

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const from = args.find((a) => !a.startsWith('--'));
  const outIdx = args.indexOf('--out');
  const outDir = outIdx >= 0 ? args[outIdx + 1]! : fileURLToPath(new URL('.', import.meta.url));
  if (!from) {
    console.error('usage: import-entries.ts <control-lists dir> [--out <dir>]');
    process.exit(2);
  }
  for (const rs of convertEntries(readSources(from))) {
    const file = join(outDir, `${rs.id}.json`);
    writeFileSync(file, ruleSetFileText(rs));
    console.log(`${file}: ${rs.entries.length} entries, version ${rs.version}`);
  }
}
