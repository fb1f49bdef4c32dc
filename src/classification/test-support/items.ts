/**
 * Item specifications used by the classification tests and the benchmark:
 * complete specs (every field an AM entry asks about is answered), so a test
 * can change one field and see exactly that field's effect.
 */
import { parseItem } from '../item.js';
import type { ItemSpec } from '../item-schema.js';

type Json = Record<string, unknown>;

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/**
 * The spine machine: laser powder-bed fusion of metal under argon, a co-axial
 * melt-pool camera, closed-loop laser-power control.
 */
export const SPINE_MACHINE = {
  kind: 'am_machine',
  id: 'LPBF-400',
  name: 'Laser powder-bed metal printer',
  machine: {
    process: 'powder_bed_fusion',
    output_material_class: ['metal'],
    consolidation_sources: ['laser'],
    process_atmosphere: ['inert_gas'],
    in_process_monitoring: [
      { sensor_type: 'imaging_camera', configuration: 'co-axial', peak_response_wavelength: { value: 850, unit: 'nm' }, description: 'melt-pool camera' },
    ],
    closed_loop_control: { present: true, modifies: ['consolidation_source_parameters'], uses_feedback_from_qualifying_monitoring: true },
    solidification_mode: 'equiaxed',
    designed_for_superalloys: false,
    is_additive_manufacturing: true,
    has_additive_capability_and_any_of: [],
    material_removal_by: [],
    feedstock_class: ['metal_powder'],
    meets_national_safety_standards_for_explosive_munitions_environments: false,
    ultrasonic_extruder_count: 0,
    specially_designed_for_firearms_production: false,
  },
} as const;

/** The spine machine with `patch` applied to a deep copy of its `machine` section. */
export function machine(patch: (m: Json) => void = () => {}): ItemSpec {
  const item = clone(SPINE_MACHINE) as unknown as { machine: Json };
  patch(item.machine);
  return parseItem(item);
}

/** A sensor element for `machine.in_process_monitoring`. */
export function sensor(type: string, configuration: string, extra: Json = {}): Json {
  return { sensor_type: type, configuration, ...extra };
}

/** A powder with every 1C field answered "not this"; `patch` sets what the test is about. */
export function powder(patch: (m: Json) => void = () => {}, kind = 'metal_powder'): ItemSpec {
  const material: Json = {
    form: 'powder',
    composition: { Fe_wt_pct: 70, Cr_wt_pct: 18, Ni_wt_pct: 12 },
    composition_system: 'other',
    aluminide: 'none',
    additional_alloying_elements_count: 0,
    production_process: 'gas_atomisation',
    capable_of_forming: [],
    made_from_powder_controlled_by: 'none',
    specially_formulated_for_coating: false,
    particle_shape: 'spherical',
    max_particle_size: { value: 53, unit: 'um' },
    fraction_below_63um: { value: 100, unit: 'wt%' },
    fraction_of_particles_below_60um: { value: 95, unit: 'vol%' },
    infiltrated_with: 'none',
    machinable_to: [],
    is_high_entropy_alloy: false,
    principal_elements_count_5to35at_pct: 0,
    surface_modified_with_inoculants: false,
  };
  patch(material);
  return parseItem({ kind, material });
}

/** Parse a literal item (throws on schema errors, so a typo in a test fails loudly). */
export const item = (value: Json): ItemSpec => parseItem(value);
