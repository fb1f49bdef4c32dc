/**
 * Item specifications: what an exporter tells Fabgate about a machine, a powder,
 * a part, software, technology or a design file so that it can be classified.
 *
 * Field names follow the dotted parameter vocabulary of the control-list data
 * (`machine.in_process_monitoring[].configuration` is the field `configuration`
 * of each element of `machine.in_process_monitoring`), so exporters' tools and the
 * rules share one language. Every field is optional inside its section: a field
 * left out is "not known", and an entry that needs it answers `needs_information`
 * naming it, never `not_controlled`.
 *
 * Two conventions for measured values:
 * - a field whose name ends in its unit (`Al_wt_pct`, `ultrasonic_extruder_count`)
 *   is a bare number in that unit;
 * - every other measured field is a quantity `{ "value": n, "unit": "…" }`, converted
 *   before comparison (see units.ts).
 */
import { z } from 'zod';
import { unitsOf, type Dimension } from './units.js';

const MAX_LIST = 64;
const text = (max = 500) => z.string().max(max);

/** A measured value in one of the units of `dimension`. */
export function quantity(dimension: Dimension, description: string) {
  const units = unitsOf(dimension);
  return z
    .object({
      value: z.number().describe('The number, in the unit given beside it.'),
      unit: z.enum(units).describe(`Unit of the value: one of ${units.join(', ')}.`),
    })
    .strict()
    .describe(`${description} Give it as {"value": n, "unit": "…"} with unit one of ${units.join(', ')}.`);
}

const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_LIST);

// ---------------------------------------------------------------- machines

export const OUTPUT_MATERIAL_CLASSES = ['metal', 'metal_alloy', 'polymer', 'ceramic', 'composite', 'energetic', 'other'] as const;
export const CONSOLIDATION_SOURCES = [
  'laser',
  'electron_beam',
  'electric_arc',
  'plasma_arc',
  'infrared_lamp',
  'uv_light',
  'heated_nozzle',
  'binder',
  'sintering_furnace',
  'ultrasonic',
  'friction',
  'other',
] as const;
export const ATMOSPHERES = ['inert_gas', 'vacuum', 'air', 'reactive_gas', 'other'] as const;
export const SENSOR_TYPES = [
  'imaging_camera',
  'pyrometer',
  'radiometer',
  'spectrometer',
  'photodiode',
  'thermocouple',
  'acoustic',
  'other',
] as const;
export const SENSOR_CONFIGURATIONS = ['co-axial', 'paraxial', 'off-axis'] as const;
export const CLOSED_LOOP_TARGETS = ['consolidation_source_parameters', 'build_path', 'equipment_settings'] as const;

const monitoringSensor = z
  .object({
    sensor_type: z
      .enum(SENSOR_TYPES)
      .describe(
        'What the sensor is: imaging_camera (takes pictures of the melt pool), pyrometer (measures temperature from emitted radiation), radiometer, spectrometer, photodiode, thermocouple, acoustic, other.',
      ),
    configuration: z
      .enum(SENSOR_CONFIGURATIONS)
      .describe(
        "How the sensor looks at the process: co-axial (through the laser's own optical path), paraxial (mounted on or built into the laser, electron-beam or arc source and moving with it), off-axis (fixed in the chamber). Only co-axial and paraxial sensors count for 2B910/2B510.",
      ),
    peak_response_wavelength: quantity(
      'length',
      'Wavelength at which the sensor is most sensitive (peak spectral response), from its data sheet. Cameras count above 380 nm up to and including 14,000 nm; radiometers and spectrometers above 380 nm up to and including 3,000 nm.',
    ).optional(),
    max_measurable_temperature: quantity(
      'temperature',
      'Highest temperature the sensor is designed to measure. Pyrometers count if this is greater than 1,000 °C (1,273.15 K).',
    ).optional(),
    description: text().optional().describe('Free text for the officer: make and model of the sensor.'),
  })
  .strict()
  .describe('One in-process (in-situ) monitoring sensor of the machine.')
  .meta({ id: 'MonitoringSensor' });

export const machineSchema = z
  .object({
    process: z
      .enum([
        'powder_bed_fusion',
        'directed_energy_deposition',
        'wire_arc_additive_manufacturing',
        'binder_jetting',
        'material_extrusion',
        'vat_photopolymerization',
        'material_jetting',
        'sheet_lamination',
        'cold_spray',
        'other',
      ])
      .optional()
      .describe('The ISO/ASTM 52900 process family. Shown to the officer; the rules decide on the fields below.'),
    output_material_class: list(z.enum(OUTPUT_MATERIAL_CLASSES))
      .optional()
      .describe('What the machine is designed to produce parts from: metal, metal_alloy, polymer, ceramic, composite, energetic (explosives/propellants), other. List every class it is designed for.'),
    consolidation_sources: list(z.enum(CONSOLIDATION_SOURCES))
      .optional()
      .describe('How the machine fuses or binds the feedstock: laser, electron_beam, electric_arc (e.g. wire-arc DED), plasma_arc, infrared_lamp, uv_light, heated_nozzle, binder, sintering_furnace, ultrasonic, friction, other. List every source fitted.'),
    process_atmosphere: list(z.enum(ATMOSPHERES))
      .optional()
      .describe('Controlled process atmosphere the machine provides during the build: inert_gas (e.g. argon, nitrogen), vacuum, air, reactive_gas, other.'),
    chamber_vacuum_pressure: quantity(
      'pressure',
      'Lowest build-chamber pressure the machine is designed to hold when it works under vacuum. 2B910/2B510 count a vacuum of 100 Pa (1 mbar) or less.',
    ).optional(),
    in_process_monitoring: list(monitoringSensor)
      .optional()
      .describe('Every in-process monitoring sensor of the machine, one element each. An empty list means the machine has none.'),
    closed_loop_control: z
      .object({
        present: z.boolean().optional().describe('true if the machine has a closed-loop control system that changes the build while it runs.'),
        modifies: list(z.enum(CLOSED_LOOP_TARGETS))
          .optional()
          .describe('What the closed loop changes during the build cycle: consolidation_source_parameters (e.g. laser power), build_path, equipment_settings.'),
        uses_feedback_from_qualifying_monitoring: z
          .boolean()
          .optional()
          .describe('true if the closed loop acts on feedback from a co-axial or paraxial monitoring sensor listed above. A machine that only records monitoring data is false.'),
      })
      .strict()
      .optional()
      .describe('Closed-loop control of the build from in-process monitoring.'),
    solidification_mode: z
      .enum(['directional_solidification', 'single_crystal', 'equiaxed', 'other'])
      .optional()
      .describe('Microstructure the machine is designed to produce: directional_solidification, single_crystal, equiaxed (conventional), other. Relevant to 9B001.c.'),
    designed_for_superalloys: z
      .boolean()
      .optional()
      .describe("true if designed for 'superalloys' (nickel-, cobalt- or iron-base alloys with stress-rupture life over 1,000 h at 400 MPa and UTS over 850 MPa at 649 °C or more)."),
    is_additive_manufacturing: z.boolean().optional().describe('true if the machine builds parts additively (layer by layer).'),
    has_additive_capability_and_any_of: list(z.enum(['turning', 'milling', 'grinding']))
      .optional()
      .describe('For hybrid machines: the subtractive capabilities the machine has in addition to additive manufacturing (turning, milling, grinding). An empty list means a purely additive machine.'),
    material_removal_by: list(z.enum(['water_or_liquid_jet', 'electron_beam', 'laser_beam', 'edm', 'cutting_tool', 'other']))
      .optional()
      .describe('If the machine also removes material: by water_or_liquid_jet, electron_beam, laser_beam, edm, cutting_tool, other. An empty list means it removes none.'),
    feedstock_class: list(
      z.enum(['metal_powder', 'metal_wire', 'polymer_powder', 'polymer_filament', 'resin', 'ceramic', 'energetic_materials', 'other']),
    )
      .optional()
      .describe('Feedstock the machine is designed or modified to process. energetic_materials means explosives, pyrotechnics or propellants (Spain 1B1901).'),
    meets_national_safety_standards_for_explosive_munitions_environments: z
      .boolean()
      .optional()
      .describe('true if the machine meets national safety standards for use in explosive-munitions environments (Spain 1B1901.a).'),
    ultrasonic_extruder_count: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .optional()
      .describe('Number of ultrasonic extruders fitted (Spain 1B1901.b).'),
    specially_designed_for_firearms_production: z
      .boolean()
      .optional()
      .describe("true if the machine is 'specially designed' to produce firearms or their parts (US 0B501). A general-purpose AM machine is false."),
  })
  .strict()
  .describe('The additive-manufacturing machine.')
  .meta({ id: 'Machine' });

// ---------------------------------------------------------------- materials

/** Chemical element symbols, for `material.composition.<Symbol>_wt_pct`. */
export const ELEMENTS = (
  'H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe ' +
  'Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr ' +
  'Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og'
).split(' ');

const percent = z.number().min(0).max(100);

export const compositionSchema = z
  .object(
    Object.fromEntries(ELEMENTS.map((el) => [`${el}_wt_pct`, percent.optional().describe(`${el} content in percent by weight.`)])),
  )
  .strict()
  .describe(
    'Chemical composition in percent by weight, one field per element (e.g. {"Al_wt_pct": 99.7, "Fe_wt_pct": 0.2}). List every element present; an element not listed is taken as absent (0 wt%).',
  )
  .meta({ id: 'Composition' });

export const BASE_METALS = [
  'aluminium',
  'titanium',
  'nickel',
  'niobium',
  'magnesium',
  'molybdenum',
  'tungsten',
  'tantalum',
  'iron',
  'cobalt',
  'copper',
  'zirconium',
  'beryllium',
  'other',
] as const;

export const COMPOSITION_SYSTEMS = ['Ni-Al-X', 'Nb-Al-X', 'Nb-Si-X', 'Nb-Ti-X', 'Ti-Al-X', 'Al-Mg-X', 'Al-Zn-X', 'Al-Fe-X', 'Mg-Al-X', 'other'] as const;

export const PRODUCTION_PROCESSES = [
  'vacuum_atomisation',
  'gas_atomisation',
  'rotary_atomisation',
  'splat_quenching',
  'melt_spinning+comminution',
  'melt_extraction+comminution',
  'mechanical_alloying',
  'plasma_atomisation',
  'ultrasonic_atomisation',
  'water_atomisation',
  'chemical_reduction',
  'other',
] as const;

export const MATERIAL_FORMS = [
  'powder',
  'particulate',
  'wire',
  'filament',
  'rod',
  'bar',
  'ingot',
  'block',
  'plate',
  'sheet',
  'solid',
  'uncomminuted_flakes',
  'ribbons',
  'thin_rods',
  'resin',
  'pellets',
  'other',
] as const;

const stressRuptureTest = z
  .object({
    temperature: quantity('temperature', 'Test temperature.'),
    stress: quantity('pressure', 'Applied stress.'),
    rupture_life: quantity('time', 'Time to rupture (stress-rupture life, ASTM E-139).'),
  })
  .strict()
  .describe('One stress-rupture test result.')
  .meta({ id: 'StressRuptureTest' });

const lowCycleFatigueTest = z
  .object({
    temperature: quantity('temperature', 'Test temperature.'),
    max_stress: quantity('pressure', 'Maximum stress of the cycle (ASTM E-606, axial, load ratio R = 1, stress concentration Kt = 1).'),
    cycles_to_failure: z.number().min(0).describe('Number of cycles to failure.'),
  })
  .strict()
  .describe('One low-cycle-fatigue test result.')
  .meta({ id: 'LowCycleFatigueTest' });

const tensileTest = z
  .object({
    temperature: quantity('temperature', 'Test temperature.'),
    ultimate_tensile_strength: quantity('pressure', 'Ultimate tensile strength measured.'),
  })
  .strict()
  .describe('One tensile test result.')
  .meta({ id: 'TensileTest' });

const machinableShape = z
  .object({
    shape: z.enum(['cylinder', 'tube', 'block']).describe('Shape that can be machined from the material: cylinder, tube or block.'),
    diameter: quantity('length', 'Cylinder diameter.').optional(),
    inner_diameter: quantity('length', 'Tube inner diameter.').optional(),
    wall_thickness: quantity('length', 'Tube wall thickness.').optional(),
    length: quantity('length', 'Cylinder or tube length.').optional(),
    block_dimensions: z
      .array(quantity('length', 'One edge of the block.'))
      .length(3)
      .optional()
      .describe('The three edges of a block, in any order.'),
  })
  .strict()
  .describe('A shape the (solid) material can be machined into (US/EU 1C117.c).')
  .meta({ id: 'MachinableShape' });

export const materialSchema = z
  .object({
    form: z
      .enum(MATERIAL_FORMS)
      .optional()
      .describe('Physical form as supplied: powder, particulate, wire, filament, rod, bar, ingot, block, plate, sheet, solid, uncomminuted_flakes, ribbons, thin_rods, resin, pellets, other.'),
    base_metal: z
      .enum(BASE_METALS)
      .optional()
      .describe("The metal with the highest weight percentage (an alloy 'of metal X' contains more X than any other element). If left out it is derived from composition."),
    composition: compositionSchema.optional(),
    composition_system: z
      .enum(COMPOSITION_SYSTEMS)
      .optional()
      .describe('Alloy system as named in 1C002.c.1 (X = one or more further alloying elements; the order of the elements does not matter, Ti-X-Al is Ti-Al-X). other if none of these.'),
    qualified_for_turbine_engine_parts: z
      .boolean()
      .optional()
      .describe('For Ni-Al-X powders: true if qualified for gas-turbine engine parts, i.e. fewer than 3 non-metallic particles larger than 100 µm in 10⁹ alloy particles.'),
    aluminide: z
      .enum(['nickel_aluminide', 'titanium_aluminide', 'none'])
      .optional()
      .describe('If the material is an aluminide (intermetallic of aluminium): nickel_aluminide or titanium_aluminide; none otherwise.'),
    additional_alloying_elements_count: z
      .number()
      .int()
      .min(0)
      .max(118)
      .optional()
      .describe('For aluminides: how many alloying elements are added besides the base metal and aluminium.'),
    production_process: z
      .enum(PRODUCTION_PROCESSES)
      .optional()
      .describe('How the powder or particulate was made, in a controlled environment: vacuum_atomisation, gas_atomisation, rotary_atomisation, splat_quenching, melt_spinning+comminution, melt_extraction+comminution, mechanical_alloying, plasma_atomisation, ultrasonic_atomisation, water_atomisation, chemical_reduction, other.'),
    capable_of_forming: list(z.enum(['1C002.a', '1C002.b']))
      .optional()
      .describe('Whether the powder is capable of forming the alloys of 1C002.a (aluminides) or 1C002.b (the high-performance alloys). Empty list if neither.'),
    made_from_powder_controlled_by: z
      .enum(['1C002.c', 'none'])
      .optional()
      .describe('For solid alloys: 1C002.c if made from a powder or particulate specified in 1C002.c, none otherwise.'),
    specially_formulated_for_coating: z
      .boolean()
      .optional()
      .describe('true if the alloy or powder is specially formulated for coating purposes (released from 1C002).'),
    particle_shape: z
      .enum(['spherical', 'spheroidal', 'atomised', 'flaked', 'ground', 'irregular', 'other'])
      .optional()
      .describe('Particle shape of a powder.'),
    max_particle_size: quantity('length', 'Largest particle size of the powder (e.g. the upper sieve cut or D100).').optional(),
    fraction_below_63um: quantity('mass_fraction', 'Weight fraction of particles smaller than 63 µm (ISO 2591-1:1988 sieve, 250 mesh Tyler / 230 mesh ASTM E-11).').optional(),
    fraction_of_particles_below_60um: quantity(
      'particle_fraction',
      'Fraction of particles smaller than 60 µm, by volume or by weight (sieve, laser diffraction or optical scanning).',
    ).optional(),
    infiltrated_with: z
      .enum(['copper', 'silver', 'none'])
      .optional()
      .describe('For tungsten solids: the metal the tungsten is infiltrated with (copper, silver), or none.'),
    machinable_to: list(machinableShape)
      .optional()
      .describe('Largest shapes the solid material can be machined into. An empty list means none of the shapes of 1C117.c.2.'),
    ultimate_tensile_strength_at_20C: quantity(
      'pressure',
      "Ultimate tensile strength at 20 °C (293 K) the alloy is capable of, before or after heat treatment.",
    ).optional(),
    properties: z
      .object({
        stress_rupture_tests: list(stressRuptureTest).optional().describe('Stress-rupture test results (ASTM E-139).'),
        low_cycle_fatigue_tests: list(lowCycleFatigueTest).optional().describe('Low-cycle-fatigue test results (ASTM E-606).'),
        tensile_tests: list(tensileTest).optional().describe('Tensile test results at given temperatures.'),
        corrosion_rate_3pct_NaCl_ASTM_G31: quantity('corrosion_rate', 'Corrosion rate in 3 % NaCl aqueous solution measured per ASTM G-31.').optional(),
      })
      .strict()
      .optional()
      .describe('Measured properties of the alloy (for 1C002.b). A test at the stated conditions, or at harsher ones that the alloy still passes, decides; tests at other conditions do not.'),
    is_high_entropy_alloy: z
      .boolean()
      .optional()
      .describe("true if a 'high-entropy alloy': at least 5 principal metallic elements, each 5-35 at%, from Al, Ti, V, Cr, Mn, Fe, Co, Ni, Cu, Zr, Nb, Mo, Hf, Ta, W."),
    principal_elements_count_5to35at_pct: z
      .number()
      .int()
      .min(0)
      .max(118)
      .optional()
      .describe('Number of principal metallic elements present at 5 to 35 atomic percent each.'),
    surface_modified_with_inoculants: z
      .boolean()
      .optional()
      .describe('true if the powder surface is modified with inoculants (additives that promote grain nucleation to inhibit solidification defects).'),
    specified_in_1C002: z
      .boolean()
      .optional()
      .describe('Your own statement whether the material is specified in 1C002. If left out, Fabgate evaluates 1C002 itself.'),
  })
  .strict()
  .describe('The material: powder, alloy or other feedstock.')
  .meta({ id: 'Material' });

// ---------------------------------------------------------------- parts

export const partSchema = z
  .object({
    form: z
      .enum(['tube', 'cylindrical_solid', 'forging', 'sheet', 'block', 'complex_shape', 'other'])
      .optional()
      .describe('Shape of the part or semi-finished product: tube, cylindrical_solid, forging, sheet, block, complex_shape, other.'),
    outside_diameter: quantity('length', 'Outside diameter of a tube or cylindrical solid.').optional(),
    is_firearm_or_firearm_part: z
      .boolean()
      .optional()
      .describe('true if the part is a firearm, a frame or receiver, or another firearm part (US 0A501).'),
    component_type: z
      .enum(['turbine_blade', 'vane', 'tip_shroud', 'fan_blade', 'combustor', 'rotor_disk', 'other'])
      .optional()
      .describe('For gas-turbine parts: turbine_blade, vane, tip_shroud, fan_blade, combustor, rotor_disk, other.'),
    alloy_solidification: z
      .enum(['directionally_solidified', 'single_crystal', 'equiaxed', 'other'])
      .optional()
      .describe('Microstructure of the part alloy: directionally_solidified (DS), single_crystal (SC), equiaxed, other.'),
    stress_rupture_tests: list(stressRuptureTest)
      .optional()
      .describe('Stress-rupture results of the part alloy (001 Miller-index direction, average property values).'),
    uncooled_blade_vane_shroud_gas_path_temperature: quantity(
      'temperature',
      'For uncooled blades, vanes or tip shrouds: gas-path temperature they are designed to operate at.',
    ).optional(),
    cooled_blade_vane_shroud_gas_path_temperature: quantity(
      'temperature',
      'For cooled blades, vanes or tip shrouds: gas-path temperature they are designed to operate at.',
    ).optional(),
    damage_tolerant_rotor_using_powder_metallurgy_1C002b: z
      .boolean()
      .optional()
      .describe('true for damage-tolerant gas-turbine rotor parts using powder-metallurgy materials controlled by 1C002.b.'),
    internal_cavity_volume_fraction: quantity('volume_fraction', 'For hollow fan blades: share of the total volume that is internal cavities.').optional(),
    largest_internal_cavity_volume: quantity('volume', 'For hollow fan blades: volume of the largest single internal cavity.').optional(),
  })
  .strict()
  .describe('The part (printed part, semi-finished product, or the part a technology or design file is for).')
  .meta({ id: 'Part' });

// ---------------------------------------------------------------- targets, components, software, technology, files

const targetKinds = ['am_machine', 'metal_powder', 'metal_alloy', 'am_feedstock', 'printed_part'] as const;

/** The item that software, technology or a design file is for: itself an item spec without further nesting. */
export const targetSchema = z
  .object({
    kind: z.enum(targetKinds).describe('What kind of item the target is.'),
    machine: machineSchema.optional(),
    material: materialSchema.optional(),
    part: partSchema.optional(),
  })
  .strict()
  .describe('Specification of the item this software, technology or file is for. Fabgate classifies it to decide whether the target is a controlled item.')
  .meta({ id: 'Target' });

const functions = ['development', 'production', 'use', 'operation', 'installation', 'maintenance', 'repair', 'overhaul'] as const;

const targetItem = list(text(100))
  .optional()
  .describe('Your own statement of the entries (keys such as "US-EAR:2B910", or entry numbers such as "2B910") that the target item is specified in. If you give `target`, Fabgate classifies the target instead and this statement is shown only.');

export const softwareSchema = z
  .object({
    function: list(z.enum(functions))
      .optional()
      .describe("What the software is for, in the regulations' words: development (design), production (manufacturing), use/operation, installation, maintenance, repair, overhaul."),
    target_item: targetItem,
    target: targetSchema.optional(),
    specially_designed_or_modified: z.boolean().optional().describe("true if 'specially designed' or modified for the target item."),
    specified_elsewhere_on_CCL: z.boolean().optional().describe('true if the software is controlled by another ECCN of the US Commerce Control List.'),
    is_part_programming_generating_NC_codes_for_machining: z
      .boolean()
      .optional()
      .describe('true if the software is part-programming software that generates numerical-control codes for machining parts (released from EU 2D001).'),
  })
  .strict()
  .describe('The software.')
  .meta({ id: 'Software' });

export const technologySchema = z
  .object({
    function: list(z.enum(functions))
      .optional()
      .describe("What the technology is for: development, production, use/operation, installation, maintenance, repair, overhaul."),
    target_item: targetItem,
    target: targetSchema.optional(),
    specially_designed_or_modified: z.boolean().optional().describe("true if 'specially designed' or modified for the target item."),
    specified_elsewhere_on_CCL: z.boolean().optional().describe('true if the technology is controlled by another ECCN of the US Commerce Control List.'),
    required: z
      .boolean()
      .optional()
      .describe("true if the technology is 'required' in the sense of the General Technology Note: peculiarly responsible for reaching the controlled performance or functions."),
  })
  .strict()
  .describe('The technology (technical data, know-how, build parameters).')
  .meta({ id: 'Technology' });

export const fileSchema = z
  .object({
    format: text(50).optional().describe('File format, e.g. 3MF, AMF, STL, STEP, G-code.'),
    enables_production_of: z
      .enum(['firearm', 'firearm_frame_or_receiver', 'firearm_part', 'other'])
      .optional()
      .describe('What the file lets a machine produce: firearm (complete), firearm_frame_or_receiver, firearm_part, other.'),
    format_machine_ready: z
      .boolean()
      .optional()
      .describe('true if the file is in an electronic format ready for insertion into a CNC machine tool, AM equipment or other equipment to make the item (e.g. AMF, G-code).'),
    made_available_by_posting_on_internet: z
      .boolean()
      .optional()
      .describe('true if the file is (or will be) made available by posting on the internet (15 CFR 734.7(c)).'),
  })
  .strict()
  .describe('The design or build file.')
  .meta({ id: 'File' });

export const componentSchema = z
  .object({
    description: text().optional().describe('What the component is, e.g. "recoater blade", "scanner head", "build plate heater".'),
    specially_designed: z
      .boolean()
      .optional()
      .describe("true if the component is 'specially designed' for the machine below (US: 15 CFR 772.1 definition)."),
    specially_designed_for_entry: list(text(100))
      .optional()
      .describe('Your own statement of the entries (e.g. "US-EAR:2B910") whose equipment this component is specially designed for. If you give for_machine, Fabgate classifies that machine instead.'),
    for_machine: machineSchema.optional().describe('Specification of the machine the component is specially designed for; Fabgate classifies it.'),
    us_specially_designed_release: list(z.enum(['b1', 'b2', 'b3', 'b4', 'b5', 'b6']))
      .optional()
      .describe("US only: release paragraphs of the 'specially designed' definition (15 CFR 772.1 (b)(1)-(6)) you claim for the component, e.g. b3 (same form, fit and function as a part in production that is not controlled). Leave out if none is claimed."),
  })
  .strict()
  .describe('The machine component, part or sub-assembly.')
  .meta({ id: 'Component' });

export const exclusionsSchema = z
  .object({
    published: z
      .boolean()
      .optional()
      .describe('Claim: the information or software is published / in the public domain, available without restriction (US 15 CFR 734.7; EU General Technology and Software Notes). Firearm build files posted online are not published in the US (15 CFR 734.7(c)).'),
    fundamental_research: z
      .boolean()
      .optional()
      .describe('Claim: the technology arises from fundamental research meant to be published (US 15 CFR 734.8) or is basic scientific research (EU General Technology Note).'),
    educational: z
      .boolean()
      .optional()
      .describe('Claim: the information is released by instruction in catalogue courses and teaching laboratories of academic institutions (US 15 CFR 734.3(b)(3)(iii)). The EU has no such release.'),
    patent_application: z
      .boolean()
      .optional()
      .describe('Claim: the information is the minimum necessary for a patent application (US 15 CFR 734.10; EU General Technology Note).'),
    generally_available_to_public: z
      .boolean()
      .optional()
      .describe('Claim (software, EU): generally available to the public by being sold from stock at retail without restriction and designed for installation by the user (General Software Note a).'),
  })
  .strict()
  .describe('Exclusions and releases you claim. A claim left out is not applied.')
  .meta({ id: 'Exclusions' });

// ---------------------------------------------------------------- the item

const common = {
  id: text(200).optional().describe('Your own identifier for the item (part number, SKU).'),
  name: text(200).optional().describe('Name of the item, e.g. the product name.'),
  description: text(2000).optional().describe('Free text for the officer.'),
};

export const ITEM_KINDS = [
  'am_machine',
  'am_machine_component',
  'metal_powder',
  'metal_alloy',
  'am_feedstock',
  'printed_part',
  'am_software',
  'am_technology',
  'design_file',
] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

export const itemSchema = z
  .discriminatedUnion('kind', [
    z
      .object({ kind: z.literal('am_machine').describe('An additive-manufacturing machine (also hybrid additive/subtractive machines).'), ...common, machine: machineSchema })
      .strict(),
    z
      .object({ kind: z.literal('am_machine_component').describe('A part, component or sub-assembly of an AM machine.'), ...common, component: componentSchema })
      .strict(),
    z
      .object({ kind: z.literal('metal_powder').describe('Metal or alloy powder (AM feedstock).'), ...common, material: materialSchema, part: partSchema.optional() })
      .strict(),
    z
      .object({ kind: z.literal('metal_alloy').describe('Metal alloy in solid form: wire, bar, ingot, semi-finished product.'), ...common, material: materialSchema, part: partSchema.optional() })
      .strict(),
    z
      .object({ kind: z.literal('am_feedstock').describe('Other AM feedstock: polymer, ceramic, composite, resin.'), ...common, material: materialSchema, part: partSchema.optional() })
      .strict(),
    z
      .object({ kind: z.literal('printed_part').describe('A part produced by additive manufacturing.'), ...common, part: partSchema, material: materialSchema.optional() })
      .strict(),
    z
      .object({ kind: z.literal('am_software').describe('Software: machine software, build processors, slicers, simulation.'), ...common, software: softwareSchema, exclusions: exclusionsSchema.optional() })
      .strict(),
    z
      .object({
        kind: z.literal('am_technology').describe('Technology: technical data, know-how, process parameters.'),
        ...common,
        technology: technologySchema,
        part: partSchema.optional(),
        exclusions: exclusionsSchema.optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('design_file').describe('A design or build file (CAD, 3MF, STL, G-code).'),
        ...common,
        file: fileSchema,
        technology: technologySchema.optional(),
        software: softwareSchema.optional(),
        part: partSchema.optional(),
        exclusions: exclusionsSchema.optional(),
      })
      .strict(),
  ])
  .describe('An item specification for classification by Fabgate.');

export type ItemSpec = z.infer<typeof itemSchema>;
export type TargetSpec = z.infer<typeof targetSchema>;

/** The published JSON Schema of item specifications (`fabgate schema item`, `item.schema.json`). */
export function itemJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(itemSchema),
    $id: 'https://fabgate.dev/schemas/item.schema.json',
    title: 'Fabgate item specification',
  };
}
