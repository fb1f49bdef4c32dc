/**
 * Every entry of entries.json, each with at least one item that its text
 * controls and one it does not (or, where the rule is unmodelled, one that
 * needs review and one the known part already rules out). The boundaries are
 * exact as the texts state them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../shared/test-support/shared-data.js';
import { classify, evaluateEntry } from './evaluate.js';
import type { ItemSpec } from './item-schema.js';
import { defaultEngine } from './rules/index.js';
import { item, machine, powder, sensor, SPINE_MACHINE } from './test-support/items.js';
import type { EntryStatus } from './types.js';

const engine = defaultEngine();

function status(key: string, it: ItemSpec): EntryStatus {
  const ce = engine.byKey.get(key);
  if (!ce) throw new Error(`no entry ${key}`);
  return evaluateEntry(ce, it, engine).status;
}

// ------------------------------------------------------------------ reusable items

const polymerSls = machine((m) => {
  m.output_material_class = ['polymer'];
  m.feedstock_class = ['polymer_powder'];
});
const noClosedLoop = machine((m) => {
  m.closed_loop_control = { present: false, modifies: [], uses_feedback_from_qualifying_monitoring: false };
});
const wireArcDed = machine((m) => {
  m.process = 'wire_arc_additive_manufacturing';
  m.consolidation_sources = ['electric_arc'];
  m.feedstock_class = ['metal_wire'];
  m.in_process_monitoring = [sensor('imaging_camera', 'paraxial', { peak_response_wavelength: { value: 1.1, unit: 'um' } })];
  m.closed_loop_control = { present: true, modifies: ['build_path', 'equipment_settings'], uses_feedback_from_qualifying_monitoring: true };
});
const superalloySc = machine((m) => {
  m.solidification_mode = 'single_crystal';
  m.designed_for_superalloys = true;
});
const hybridMill = machine((m) => {
  m.has_additive_capability_and_any_of = ['milling'];
});
const energetic = machine((m) => {
  m.output_material_class = ['energetic'];
  m.feedstock_class = ['energetic_materials'];
  m.consolidation_sources = ['ultrasonic'];
  m.ultrasonic_extruder_count = 2;
});
const firearmsMachine = machine((m) => {
  m.specially_designed_for_firearms_production = true;
});

const tiAlPowder = powder((m) => {
  m.composition = { Ti_wt_pct: 51, Al_wt_pct: 33, Nb_wt_pct: 11, Cr_wt_pct: 5 };
  m.composition_system = 'Ti-Al-X';
  m.capable_of_forming = ['1C002.a'];
});
const tiAlUltrasonic = powder((m) => {
  m.composition = { Ti_wt_pct: 51, Al_wt_pct: 33, Nb_wt_pct: 11, Cr_wt_pct: 5 };
  m.composition_system = 'Ti-Al-X';
  m.capable_of_forming = ['1C002.a'];
  m.production_process = 'ultrasonic_atomisation';
});
const zrPowder = powder((m) => {
  m.composition = { Zr_wt_pct: 99.2, Hf_wt_pct: 0.5 };
  m.max_particle_size = { value: 45, unit: 'um' };
});
const alPowder = powder((m) => {
  m.composition = { Al_wt_pct: 99.7, Fe_wt_pct: 0.3 };
  m.max_particle_size = { value: 150, unit: 'um' };
  m.fraction_below_63um = { value: 12, unit: 'wt%' };
  m.fraction_of_particles_below_60um = { value: 10, unit: 'wt%' };
});
const alSi10Mg = powder((m) => {
  m.composition = { Al_wt_pct: 89.6, Si_wt_pct: 10, Mg_wt_pct: 0.4 };
  m.max_particle_size = { value: 63, unit: 'um' };
  m.fraction_below_63um = { value: 100, unit: 'wt%' };
});
const wPowder = powder((m) => {
  m.composition = { W_wt_pct: 99.95 };
  m.max_particle_size = { value: 50, unit: 'um' };
});
const tiTube = item({
  kind: 'metal_alloy',
  material: { base_metal: 'titanium', form: 'bar', ultimate_tensile_strength_at_20C: { value: 950, unit: 'MPa' } },
  part: { form: 'tube', outside_diameter: { value: 80, unit: 'mm' } },
});
const tiTube75 = item({
  kind: 'metal_alloy',
  material: { base_metal: 'titanium', form: 'bar', ultimate_tensile_strength_at_20C: { value: 950, unit: 'MPa' } },
  part: { form: 'tube', outside_diameter: { value: 75, unit: 'mm' } },
});
const heaInoculated = powder((m) => {
  m.composition = { Co_wt_pct: 20, Cr_wt_pct: 20, Fe_wt_pct: 20, Mn_wt_pct: 20, Ni_wt_pct: 20 };
  m.is_high_entropy_alloy = true;
  m.principal_elements_count_5to35at_pct = 5;
  m.surface_modified_with_inoculants = true;
});
const heaPlain = powder((m) => {
  m.composition = { Co_wt_pct: 20, Cr_wt_pct: 20, Fe_wt_pct: 20, Mn_wt_pct: 20, Ni_wt_pct: 20 };
  m.is_high_entropy_alloy = true;
  m.principal_elements_count_5to35at_pct = 5;
});

const swFor = (target: unknown, fn: string[] = ['development']) =>
  item({ kind: 'am_software', software: { function: fn, target, specially_designed_or_modified: true, specified_elsewhere_on_CCL: false, is_part_programming_generating_NC_codes_for_machining: false } });
const techFor = (targetItem: string[], fn: string[], extra: Record<string, unknown> = {}) =>
  item({ kind: 'am_technology', technology: { function: fn, target_item: targetItem, specially_designed_or_modified: true, specified_elsewhere_on_CCL: false, required: true }, ...extra });
const spineTarget = { kind: 'am_machine', machine: SPINE_MACHINE.machine };
const polymerTarget = { kind: 'am_machine', machine: { ...SPINE_MACHINE.machine, output_material_class: ['polymer'] } };

const blade = (hours: number, fn = ['production']) =>
  item({
    kind: 'am_technology',
    technology: { function: fn },
    part: {
      component_type: 'turbine_blade',
      alloy_solidification: 'single_crystal',
      stress_rupture_tests: [{ temperature: { value: 1000, unit: 'degC' }, stress: { value: 200, unit: 'MPa' }, rupture_life: { value: hours, unit: 'h' } }],
      uncooled_blade_vane_shroud_gas_path_temperature: { value: 1050, unit: 'degC' },
      cooled_blade_vane_shroud_gas_path_temperature: { value: 1300, unit: 'degC' },
      damage_tolerant_rotor_using_powder_metallurgy_1C002b: false,
      internal_cavity_volume_fraction: { value: 0, unit: 'vol%' },
      largest_internal_cavity_volume: { value: 0, unit: 'cm3' },
    },
  });

const firearmFile = (posted: boolean, published?: boolean) =>
  item({
    kind: 'design_file',
    file: { format: '3MF', enables_production_of: 'firearm_frame_or_receiver', format_machine_ready: true, made_available_by_posting_on_internet: posted },
    technology: { function: ['production'], target_item: ['0A501'] },
    software: { function: ['production'], target_item: ['0A501'] },
    ...(published === undefined ? {} : { exclusions: { published } }),
  });
const bracketFile = item({
  kind: 'design_file',
  file: { format: 'STL', enables_production_of: 'other', format_machine_ready: true, made_available_by_posting_on_internet: true },
  technology: { function: ['production'], target_item: ['none'] },
  software: { function: ['production'], target_item: ['none'] },
});

// ------------------------------------------------------------------ the table: [key, controlled-or-review case, not-controlled case]

type Case = [label: string, it: ItemSpec, expected: EntryStatus];
const TABLE: Record<string, Case[]> = {
  'US-EAR:2B910': [
    ['laser powder-bed, argon, co-axial camera, closed loop', machine(), 'controlled'],
    ['same machine without closed loop', noClosedLoop, 'not_controlled'],
    ['wire-arc DED with paraxial camera and closed loop', wireArcDed, 'controlled'],
    ['polymer laser sintering', polymerSls, 'not_controlled'],
  ],
  'EU-2021/821:2B510': [
    ['laser powder-bed, argon, co-axial camera, closed loop', machine(), 'controlled'],
    ['same machine without closed loop', noClosedLoop, 'not_controlled'],
    ['wire-arc DED', wireArcDed, 'controlled'],
    ['polymer laser sintering', polymerSls, 'not_controlled'],
  ],
  'UK-ECO2008:PL9015': [
    ['metal laser machine: heading met, remaining parameters not retrieved', machine(), 'needs_review'],
    ['polymer machine: outside the known heading', polymerSls, 'not_controlled'],
  ],
  'CA-ECL:proposed-metal-AM': [
    ['metal machine: proposal text not retrieved', machine(), 'needs_review'],
    ['polymer machine', polymerSls, 'not_controlled'],
  ],
  'US-EAR:2D910': [
    ['development software for a 2B910 machine (target classified)', swFor(spineTarget), 'controlled'],
    ['development software for a polymer machine', swFor(polymerTarget), 'not_controlled'],
    ['operation-only software for a 2B910 machine', swFor(spineTarget, ['operation']), 'not_controlled'],
  ],
  'US-EAR:2E910': [
    ['production technology for 2B910 equipment', techFor(['US-EAR:2B910'], ['production']), 'controlled'],
    ['use technology only', techFor(['US-EAR:2B910'], ['use']), 'not_controlled'],
    ['fundamental research claimed', techFor(['US-EAR:2B910'], ['production'], { exclusions: { fundamental_research: true } }), 'not_controlled'],
  ],
  'EU-2021/821:2D001': [
    ['development software for a 2B510 machine', swFor(spineTarget), 'controlled'],
    [
      'part-programming software generating NC code',
      item({ kind: 'am_software', software: { function: ['development'], target_item: ['2B510'], is_part_programming_generating_NC_codes_for_machining: true } }),
      'not_controlled',
    ],
  ],
  'EU-2021/821:2E001': [
    ['development technology for 2B510, required', techFor(['EU-2021/821:2B510'], ['development']), 'controlled'],
    ['production technology is 2E002, not 2E001', techFor(['EU-2021/821:2B510'], ['production']), 'not_controlled'],
  ],
  'EU-2021/821:2E002': [
    ['production technology for 2B510, required', techFor(['EU-2021/821:2B510'], ['production']), 'controlled'],
    ['development technology', techFor(['EU-2021/821:2B510'], ['development']), 'not_controlled'],
    ['in the public domain', techFor(['EU-2021/821:2B510'], ['production'], { exclusions: { published: true } }), 'not_controlled'],
  ],
  'US-EAR:1C002': [
    ['Ti-Al-X gas-atomised powder capable of forming 1C002.a', tiAlPowder, 'controlled'],
    ['same powder, ultrasonic atomisation (not in the US list)', tiAlUltrasonic, 'not_controlled'],
    ['stainless steel powder', powder(), 'not_controlled'],
  ],
  'EU-2021/821:1C002': [
    ['Ti-Al-X powder, ultrasonic atomisation (EU 1C002.c.2.i)', tiAlUltrasonic, 'controlled'],
    ['specially formulated for coating', powder((m) => Object.assign(m, { composition: { Ti_wt_pct: 51, Al_wt_pct: 33, Nb_wt_pct: 16 }, composition_system: 'Ti-Al-X', capable_of_forming: ['1C002.a'], specially_formulated_for_coating: true })), 'not_controlled'],
  ],
  'US-EAR:1C011': [
    ['zirconium powder 99.2 % Zr, 45 µm', zrPowder, 'controlled'],
    ['zirconium powder of 60 µm (a. needs less than 60 µm)', powder((m) => Object.assign(m, { composition: { Zr_wt_pct: 99.5 }, max_particle_size: { value: 60, unit: 'um' } })), 'not_controlled'],
  ],
  'EU-2021/821:1C011': [
    ['zirconium 97.5 % + natural hafnium 1.5 % = exactly 99 %', powder((m) => Object.assign(m, { composition: { Zr_wt_pct: 97.5, Hf_wt_pct: 1.5, Fe_wt_pct: 1 }, max_particle_size: { value: 40, unit: 'um' } })), 'controlled'],
    ['zirconium 97.4 % + hafnium 1.5 % (98.9 %)', powder((m) => Object.assign(m, { composition: { Zr_wt_pct: 97.4, Hf_wt_pct: 1.5, Fe_wt_pct: 1.1 }, max_particle_size: { value: 40, unit: 'um' } })), 'not_controlled'],
  ],
  'US-EAR:1C111': [
    ['spherical aluminium powder 99.7 % Al', alPowder, 'controlled'],
    ['AlSi10Mg (89.6 % Al)', alSi10Mg, 'not_controlled'],
  ],
  'EU-2021/821:1C111': [
    ['magnesium powder 98 %, 90 % of particles below 60 µm', powder((m) => Object.assign(m, { composition: { Mg_wt_pct: 98, Al_wt_pct: 2 }, fraction_of_particles_below_60um: { value: 90, unit: 'vol%' } })), 'controlled'],
    ['magnesium powder, 89.9 % below 60 µm', powder((m) => Object.assign(m, { composition: { Mg_wt_pct: 98, Al_wt_pct: 2 }, fraction_of_particles_below_60um: { value: 89.9, unit: 'vol%' } })), 'not_controlled'],
  ],
  'US-EAR:1C117': [
    ['tungsten powder 99.95 %, 50 µm', wPowder, 'controlled'],
    ['tungsten powder, 50.1 µm', powder((m) => Object.assign(m, { composition: { W_wt_pct: 99.95 }, max_particle_size: { value: 50.1, unit: 'um' } })), 'not_controlled'],
  ],
  'EU-2021/821:1C117': [
    [
      'copper-infiltrated tungsten 90 %, block 130 × 60 × 125 mm (see_entry to US 1C117.c)',
      powder(
        (m) => Object.assign(m, { form: 'block', composition: { W_wt_pct: 90, Cu_wt_pct: 10 }, infiltrated_with: 'copper', machinable_to: [{ shape: 'block', block_dimensions: [{ value: 130, unit: 'mm' }, { value: 60, unit: 'mm' }, { value: 12.5, unit: 'cm' }] }] }),
        'metal_alloy',
      ),
      'controlled',
    ],
    [
      'same, block 130 × 110 × 60 mm',
      powder(
        (m) => Object.assign(m, { form: 'block', composition: { W_wt_pct: 90, Cu_wt_pct: 10 }, infiltrated_with: 'copper', machinable_to: [{ shape: 'block', block_dimensions: [{ value: 130, unit: 'mm' }, { value: 110, unit: 'mm' }, { value: 60, unit: 'mm' }] }] }),
        'metal_alloy',
      ),
      'not_controlled',
    ],
  ],
  'US-EAR:1C202': [
    ['titanium tube, UTS 950 MPa, OD 80 mm', tiTube, 'controlled'],
    ['same, OD exactly 75 mm (text: more than 75 mm)', tiTube75, 'not_controlled'],
  ],
  'EU-2021/821:1C202': [
    ['titanium tube, UTS 950 MPa, OD 80 mm', tiTube, 'controlled'],
    [
      'titanium alloy of 500 MPa (meets the aluminium threshold only)',
      item({ kind: 'metal_alloy', material: { base_metal: 'titanium', ultimate_tensile_strength_at_20C: { value: 500, unit: 'MPa' } }, part: { form: 'tube', outside_diameter: { value: 80, unit: 'mm' } } }),
      'not_controlled',
    ],
  ],
  'EU-2021/821:1C513': [
    ['high-entropy alloy powder with inoculants', heaInoculated, 'controlled'],
    ['high-entropy alloy powder without inoculants', heaPlain, 'not_controlled'],
  ],
  'US-EAR:1E001': [
    ['development technology for a 1C002 powder', techFor(['US-EAR:1C002'], ['development']), 'controlled'],
    ['technology for AlSi10Mg powder (target classified)', item({ kind: 'am_technology', technology: { function: ['production'], target: { kind: 'metal_powder', material: alSi10Mg.kind === 'metal_powder' ? alSi10Mg.material : {} } } }), 'not_controlled'],
  ],
  'EU-2021/821:1E001': [
    ['production technology for a 1C513 powder', techFor(['1C513'], ['production']), 'controlled'],
    ['use technology', techFor(['1C513'], ['use']), 'not_controlled'],
  ],
  'US-EAR:9E003': [
    ['single-crystal blade, 450 h at 1000 °C / 200 MPa', blade(450), 'controlled'],
    ['same blade, use technology only', blade(450, ['use']), 'not_controlled'],
    ['blade of 350 h: other 9E003 paragraphs are not modelled', blade(350), 'needs_review'],
  ],
  'EU-2021/821:9E003': [
    ['single-crystal blade, 401 h', blade(401), 'controlled'],
    ['blade of exactly 400 h (text: exceeding 400 h): other paragraphs not modelled', blade(400), 'needs_review'],
    ['use technology only', blade(450, ['use']), 'not_controlled'],
  ],
  'US-EAR:9B001': [
    ['single-crystal AM machine for superalloys', superalloySc, 'controlled'],
    ['equiaxed machine', machine(), 'not_controlled'],
  ],
  'EU-2021/821:9B001': [
    ['single-crystal AM machine for superalloys', superalloySc, 'controlled'],
    ['equiaxed machine', machine(), 'not_controlled'],
  ],
  'WA-DU:9B001.c': [
    ['directional solidification for superalloys', machine((m) => Object.assign(m, { solidification_mode: 'directional_solidification', designed_for_superalloys: true })), 'controlled'],
    ['not designed for superalloys', machine((m) => Object.assign(m, { solidification_mode: 'single_crystal', designed_for_superalloys: false })), 'not_controlled'],
  ],
  'US-EAR:2B001': [
    ['hybrid machine with milling: evaluate 2B001.a/.b/.c', hybridMill, 'needs_review'],
    ['purely additive machine', machine(), 'not_controlled'],
  ],
  'EU-2021/821:2B001': [
    ['hybrid machine with milling', hybridMill, 'needs_review'],
    ['purely additive machine that removes no material', machine(), 'not_controlled'],
  ],
  'WA-DU:2B001 Note 4': [
    ['hybrid machine with turning', machine((m) => Object.assign(m, { has_additive_capability_and_any_of: ['turning'] })), 'needs_review'],
    ['purely additive machine', machine(), 'not_controlled'],
  ],
  'ES-national:1B1901': [
    ['AM machine for energetic materials with ultrasonic extruders', energetic, 'controlled'],
    ['metal powder machine', machine(), 'not_controlled'],
  ],
  'US-EAR:734.7(c)': [
    ['machine-ready receiver file posted on the internet: not published', firearmFile(true), 'controlled'],
    ['same file not posted', firearmFile(false), 'not_controlled'],
  ],
  'US-EAR:0A501': [
    ['printed firearm part: paragraph text not captured', item({ kind: 'printed_part', part: { is_firearm_or_firearm_part: true } }), 'needs_review'],
    ['printed bracket', item({ kind: 'printed_part', part: { is_firearm_or_firearm_part: false } }), 'not_controlled'],
  ],
  'US-EAR:0B501': [
    ['AM machine specially designed for firearms', firearmsMachine, 'needs_review'],
    ['general-purpose AM machine', machine(), 'not_controlled'],
  ],
  'US-EAR:0D501': [
    ['receiver build file (software) posted online, claimed published', firearmFile(true, true), 'controlled'],
    ['bracket file', bracketFile, 'not_controlled'],
  ],
  'US-EAR:0E501': [
    ['receiver build file (technology), not posted', firearmFile(false), 'controlled'],
    ['receiver file not posted but claimed published: the exclusion applies', firearmFile(false, true), 'not_controlled'],
    ['bracket file', bracketFile, 'not_controlled'],
  ],
};

describe('every entry of entries.json', () => {
  const keys = (JSON.parse(readFileSync(sharedData('control-lists', 'entries.json'), 'utf8')) as Array<{ key: string }>).map((e) => e.key);

  it('has a controlled (or needs-review) and a not-controlled case in the table', () => {
    for (const key of keys) {
      const cases = TABLE[key];
      expect(cases, key).toBeDefined();
      expect(cases!.some(([, , s]) => s === 'controlled' || s === 'needs_review'), key).toBe(true);
      expect(cases!.some(([, , s]) => s === 'not_controlled'), key).toBe(true);
    }
    expect(Object.keys(TABLE).sort()).toEqual([...keys].sort());
  });

  for (const [key, cases] of Object.entries(TABLE)) {
    describe(key, () => {
      for (const [label, it_, expected] of cases) {
        it(`${label}: ${expected}`, () => {
          expect(status(key, it_)).toBe(expected);
        });
      }
    });
  }

  it('entries whose source logic is unmodelled never answer not_controlled when their known part is met', () => {
    const raw = JSON.parse(readFileSync(sharedData('control-lists', 'entries.json'), 'utf8')) as Array<{ key: string; logic: unknown }>;
    const unmodelled = raw.filter((e) => JSON.stringify(e.logic).includes('"unmodelled"')).map((e) => e.key);
    expect(unmodelled.length).toBeGreaterThan(0);
    for (const key of unmodelled) {
      const reviewCase = TABLE[key]!.find(([, , s]) => s === 'needs_review' || s === 'controlled');
      expect(reviewCase, key).toBeDefined();
      const res = evaluateEntry(engine.byKey.get(key)!, reviewCase![1], engine);
      if (res.status === 'needs_review') expect(res.review.length, key).toBeGreaterThan(0);
    }
  });

  it('the spine machine is controlled by exactly US 2B910 and EU 2B510, open for the UK and Canada, and needs nothing else', () => {
    const c = classify(engine, machine());
    expect(c.controlled_by).toEqual(['US-EAR:2B910', 'EU-2021/821:2B510']);
    expect(c.needs_review).toEqual(['UK-ECO2008:PL9015', 'CA-ECL:proposed-metal-AM']);
    expect(c.needs_information).toEqual([]);
    expect(c.results).toHaveLength(keys.length);
  });
});
