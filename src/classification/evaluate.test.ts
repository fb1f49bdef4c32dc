import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify, compileRuleSets, evaluateEntry } from './evaluate.js';
import { parseItem } from './item.js';
import type { ItemSpec } from './item-schema.js';
import { defaultEngine, shippedRuleSets } from './rules/index.js';
import { item, machine, powder, sensor, SPINE_MACHINE } from './test-support/items.js';
import type { EntryResult, TraceNode } from './types.js';

const engine = defaultEngine();
const run = (key: string, it: ItemSpec): EntryResult => evaluateEntry(engine.byKey.get(key)!, it, engine);

/** Every node of a trace, depth first. */
function nodes(t: TraceNode): TraceNode[] {
  return [t, ...(t.children ?? []).flatMap(nodes)];
}
const conditionById = (t: TraceNode, id: string) => nodes(t).filter((n) => n.node === 'condition' && n.id === id);

/** A machine whose only monitoring sensor is `s`. */
const withSensor = (s: Record<string, unknown>) => machine((m) => (m.in_process_monitoring = [s]));

describe('the spine: laser powder-bed machine, argon, co-axial melt-pool camera, closed-loop laser power', () => {
  const spine = machine();

  it('is controlled by US 2B910, EU 2B510, with a trace per parameter', () => {
    for (const key of ['US-EAR:2B910', 'EU-2021/821:2B510']) {
      const r = run(key, spine);
      expect(r.status).toBe('controlled');
      expect(r.branch).toBe('equipment');
      expect(r.trace.node).toBe('all');
      expect(r.trace.result).toBe('met');
    }
    const t = run('US-EAR:2B910', spine).trace;
    const [laser] = conditionById(t, '2B910.a.1');
    expect(laser).toMatchObject({ parameter: 'machine.consolidation_sources', operator: 'includes', threshold: 'laser', found: ['laser'], result: 'met' });
    const [wave] = conditionById(t, '2B910.c.1.w');
    expect(wave).toMatchObject({
      parameter: 'machine.in_process_monitoring[0].peak_response_wavelength',
      operator: 'in_range',
      threshold: { min: 380, min_inclusive: false, max: 14000, max_inclusive: true, unit: 'nm' },
      found: { value: 850, unit: 'nm' },
      converted: { value: 850, unit: 'nm' },
      result: 'met',
    });
    const monitoring = nodes(t).find((n) => n.node === 'any_element')!;
    expect(monitoring).toMatchObject({ path: 'machine.in_process_monitoring', satisfied_by: [0], result: 'met' });
    const [cl] = conditionById(t, '2B910.d');
    expect(cl).toMatchObject({ parameter: 'machine.closed_loop_control.present', found: true, result: 'met' });
    // notes (technical, scope) travel with the result
    expect(run('US-EAR:2B910', spine).notes.some((n) => n.type === 'technical_note' && /Co-axial/.test(n.summary))).toBe(true);
  });

  it('the UK entry needs review, naming what was not retrieved, after its known heading is met', () => {
    const r = run('UK-ECO2008:PL9015', spine);
    expect(r.status).toBe('needs_review');
    expect(r.review).toEqual(['UK-ECO2008:PL9015: remaining PL9015 parameters not retrieved']);
    expect(conditionById(r.trace, 'PL9015.src')[0]!.result).toBe('met');
  });

  it('without closed loop it is not controlled, and the trace says why', () => {
    const r = run('US-EAR:2B910', machine((m) => (m.closed_loop_control = { present: false, modifies: [], uses_feedback_from_qualifying_monitoring: false })));
    expect(r.status).toBe('not_controlled');
    expect(conditionById(r.trace, '2B910.d')[0]).toMatchObject({ found: false, result: 'not_met' });
  });

  it('monitoring that only records (closed loop present but not fed by the qualifying sensor) is not controlled', () => {
    const r = run('EU-2021/821:2B510', machine((m) => (m.closed_loop_control = { present: true, modifies: ['equipment_settings'], uses_feedback_from_qualifying_monitoring: false })));
    expect(r.status).toBe('not_controlled');
  });
});

describe('exact boundaries', () => {
  const camera = (value: number, unit = 'nm', configuration = 'co-axial') =>
    run('US-EAR:2B910', withSensor(sensor('imaging_camera', configuration, { peak_response_wavelength: { value, unit } }))).status;
  const pyrometer = (value: number, unit = 'degC') =>
    run('EU-2021/821:2B510', withSensor(sensor('pyrometer', 'paraxial', { max_measurable_temperature: { value, unit } }))).status;
  const radiometer = (value: number, unit = 'nm') =>
    run('US-EAR:2B910', withSensor(sensor('radiometer', 'co-axial', { peak_response_wavelength: { value, unit } }))).status;
  const vacuum = (value: number, unit: string) =>
    run('US-EAR:2B910', machine((m) => Object.assign(m, { consolidation_sources: ['electron_beam'], process_atmosphere: ['vacuum'], chamber_vacuum_pressure: { value, unit } }))).status;

  it('a camera peaking at exactly 380 nm is outside; just above is inside', () => {
    expect(camera(380)).toBe('not_controlled');
    expect(camera(0.38, 'um')).toBe('not_controlled');
    expect(camera(380.000001)).toBe('controlled');
  });

  it('a camera peaking at exactly 14,000 nm is inside; above is outside', () => {
    expect(camera(14000)).toBe('controlled');
    expect(camera(14, 'µm')).toBe('controlled');
    expect(camera(0.014, 'mm')).toBe('controlled');
    expect(camera(14000.001)).toBe('not_controlled');
  });

  it('a pyrometer up to exactly 1,000 °C (1273.15 K, 1832 °F) is outside; above is inside', () => {
    expect(pyrometer(1000)).toBe('not_controlled');
    expect(pyrometer(1273.15, 'K')).toBe('not_controlled');
    expect(pyrometer(1832, 'degF')).toBe('not_controlled');
    expect(pyrometer(1000.01)).toBe('controlled');
    expect(pyrometer(1273.16, 'K')).toBe('controlled');
    expect(pyrometer(1832.01, '°F')).toBe('controlled');
    expect(pyrometer(2200)).toBe('controlled');
  });

  it('a radiometer counts up to exactly 3,000 nm', () => {
    expect(radiometer(3000)).toBe('controlled');
    expect(radiometer(3, 'um')).toBe('controlled');
    expect(radiometer(3000.5)).toBe('not_controlled');
  });

  it('a vacuum of 100 Pa is inside (1 mbar, 0.1 kPa, 0.001 bar the same); above is outside', () => {
    expect(vacuum(100, 'Pa')).toBe('controlled');
    expect(vacuum(1, 'mbar')).toBe('controlled');
    expect(vacuum(0.1, 'kPa')).toBe('controlled');
    expect(vacuum(0.001, 'bar')).toBe('controlled');
    expect(vacuum(0.75, 'Torr')).toBe('controlled'); // 99.99 Pa
    expect(vacuum(0.7501, 'Torr')).toBe('not_controlled'); // 100.007 Pa
    expect(vacuum(100.001, 'Pa')).toBe('not_controlled');
    expect(vacuum(1e-3, 'Pa')).toBe('controlled');
  });

  it('the trace shows the value converted into the threshold unit', () => {
    const r = run('US-EAR:2B910', withSensor(sensor('pyrometer', 'co-axial', { max_measurable_temperature: { value: 1273.15, unit: 'K' } })));
    const [t] = conditionById(r.trace, '2B910.c.2.t');
    expect(t).toMatchObject({ found: { value: 1273.15, unit: 'K' }, converted: { value: 1000, unit: 'degC' }, threshold: { value: 1000, unit: 'degC' }, result: 'not_met' });
    const v = run('US-EAR:2B910', machine((m) => Object.assign(m, { process_atmosphere: ['vacuum'], chamber_vacuum_pressure: { value: 1, unit: 'mbar' } })));
    expect(conditionById(v.trace, '2B910.b.2.p')[0]).toMatchObject({ converted: { value: 100, unit: 'Pa' }, result: 'met' });
  });
});

describe('monitoring sensors: one and the same sensor must meet the conditions', () => {
  it('an off-axis camera does not count', () => {
    expect(run('US-EAR:2B910', withSensor(sensor('imaging_camera', 'off-axis', { peak_response_wavelength: { value: 850, unit: 'nm' } }))).status).toBe('not_controlled');
  });

  it('a co-axial pyrometer of 900 °C and an off-axis pyrometer of 2,200 °C do not add up', () => {
    const it_ = machine(
      (m) =>
        (m.in_process_monitoring = [
          sensor('pyrometer', 'co-axial', { max_measurable_temperature: { value: 900, unit: 'degC' } }),
          sensor('pyrometer', 'off-axis', { max_measurable_temperature: { value: 2200, unit: 'degC' } }),
        ]),
    );
    const r = run('EU-2021/821:2B510', it_);
    expect(r.status).toBe('not_controlled');
    expect(nodes(r.trace).find((n) => n.node === 'any_element')!.satisfied_by).toEqual([]);
  });

  it('the trace names which sensor satisfied the entry', () => {
    const it_ = machine(
      (m) =>
        (m.in_process_monitoring = [
          sensor('imaging_camera', 'off-axis', { peak_response_wavelength: { value: 550, unit: 'nm' } }),
          sensor('photodiode', 'co-axial', { peak_response_wavelength: { value: 1000, unit: 'nm' } }),
          sensor('pyrometer', 'co-axial', { max_measurable_temperature: { value: 2200, unit: 'degC' } }),
        ]),
    );
    const r = run('US-EAR:2B910', it_);
    expect(r.status).toBe('controlled');
    expect(nodes(r.trace).find((n) => n.node === 'any_element')).toMatchObject({ satisfied_by: [2] });
  });

  it('an empty sensor list is "no monitoring", not missing information', () => {
    const r = run('US-EAR:2B910', machine((m) => (m.in_process_monitoring = [])));
    expect(r.status).toBe('not_controlled');
  });
});

describe('missing parameters never count as false', () => {
  it('lists exactly the parameters that could change the answer', () => {
    const it_ = parseItem({ kind: 'am_machine', machine: { output_material_class: ['metal'], consolidation_sources: ['laser'], process_atmosphere: ['inert_gas'] } });
    const r = run('US-EAR:2B910', it_);
    expect(r.status).toBe('needs_information');
    expect(r.missing).toEqual(['machine.in_process_monitoring', 'machine.closed_loop_control.present', 'machine.closed_loop_control.modifies', 'machine.closed_loop_control.uses_feedback_from_qualifying_monitoring']);
  });

  it('a missing value inside a sensor is named with the sensor index', () => {
    const r = run('US-EAR:2B910', withSensor(sensor('pyrometer', 'co-axial')));
    expect(r.status).toBe('needs_information');
    expect(r.missing).toEqual(['machine.in_process_monitoring[0].max_measurable_temperature']);
  });

  it('a missing parameter that cannot change the answer is not asked for', () => {
    // the machine is polymer-only: 2B910 is settled whatever its sensors are
    const it_ = parseItem({ kind: 'am_machine', machine: { output_material_class: ['polymer'] } });
    const r = run('US-EAR:2B910', it_);
    expect(r.status).toBe('not_controlled');
    expect(r.missing).toEqual([]);
  });

  it('vacuum without its pressure asks for the pressure', () => {
    const r = run('EU-2021/821:2B510', machine((m) => Object.assign(m, { consolidation_sources: ['electron_beam'], process_atmosphere: ['vacuum'] })));
    expect(r).toMatchObject({ status: 'needs_information', missing: ['machine.chamber_vacuum_pressure'] });
  });
});

describe('components, targets, exclusions', () => {
  const component = (forMachine: unknown, extra: Record<string, unknown> = {}) =>
    item({ kind: 'am_machine_component', component: { description: 'scanner head with co-axial camera port', specially_designed: true, for_machine: forMachine, ...extra } });

  it('a component specially designed for a 2B910 machine is caught by the components branch', () => {
    const r = run('US-EAR:2B910', component(SPINE_MACHINE.machine));
    expect(r).toMatchObject({ status: 'controlled', branch: 'components' });
    const ref = nodes(r.trace).find((n) => n.operator === 'specified_in')!;
    expect(ref.referenced![0]).toMatchObject({ key: 'US-EAR:2B910', status: 'controlled', branch: 'equipment' });
  });

  it('a component for a polymer machine is not caught', () => {
    expect(run('EU-2021/821:2B510', component({ ...SPINE_MACHINE.machine, output_material_class: ['polymer'] })).status).toBe('not_controlled');
  });

  it('a US 772.1(b) release takes the component out of 2B910 but not out of the EU entry', () => {
    const released = component(SPINE_MACHINE.machine, { us_specially_designed_release: ['b3'] });
    expect(run('US-EAR:2B910', released).status).toBe('not_controlled');
    expect(run('EU-2021/821:2B510', released).status).toBe('controlled');
  });

  it("missing information about the target machine is named under the component's path", () => {
    const r = run('US-EAR:2B910', component({ output_material_class: ['metal'], consolidation_sources: ['laser'], process_atmosphere: ['inert_gas'], in_process_monitoring: [] }));
    expect(r.status).toBe('not_controlled');
    const open = run('US-EAR:2B910', component({ output_material_class: ['metal'], consolidation_sources: ['laser'], process_atmosphere: ['inert_gas'] }));
    expect(open.status).toBe('needs_information');
    expect(open.missing).toContain('component.for_machine.in_process_monitoring');
  });

  it("the exporter's own statement is used when no target specification is given", () => {
    const declared = item({ kind: 'am_machine_component', component: { specially_designed: true, specially_designed_for_entry: ['US-EAR:2B910'] } });
    expect(run('US-EAR:2B910', declared).status).toBe('controlled');
    // the EU entry cannot rely on a statement about the US entry: it asks for the machine
    expect(run('EU-2021/821:2B510', declared)).toMatchObject({ status: 'not_controlled' });
  });

  it('published software is not subject to the EAR; education is a US release the EU does not have', () => {
    const sw = (exclusions: Record<string, boolean>) =>
      item({ kind: 'am_technology', technology: { function: ['development'], target_item: ['2B910', '2B510'], specially_designed_or_modified: true, specified_elsewhere_on_CCL: false, required: true }, exclusions });
    expect(run('US-EAR:2E910', sw({ published: true })).status).toBe('not_controlled');
    expect(run('US-EAR:2E910', sw({ educational: true })).status).toBe('not_controlled');
    expect(run('EU-2021/821:2E001', sw({ educational: true })).status).toBe('controlled');
    expect(run('EU-2021/821:2E001', sw({ fundamental_research: true })).status).toBe('not_controlled');
    const r = run('US-EAR:2E910', sw({ published: true }));
    expect(conditionById(r.trace, '2E910.excl.published')[0]).toMatchObject({ result: 'not_met', found: true });
  });

  it('15 CFR 734.7(c): a firearm build file posted online stays subject to the EAR even if claimed published', () => {
    const file = (posted: boolean) =>
      item({
        kind: 'design_file',
        file: { enables_production_of: 'firearm', format_machine_ready: true, made_available_by_posting_on_internet: posted },
        technology: { function: ['production'], target_item: ['US-EAR:0A501'] },
        exclusions: { published: true },
      });
    const posted = run('US-EAR:0E501', file(true));
    expect(posted.status).toBe('controlled');
    const override = conditionById(posted.trace, '0E501.excl.published.override')[0]!;
    expect(override.referenced![0]).toMatchObject({ key: 'US-EAR:734.7(c)', status: 'controlled' });
    expect(run('US-EAR:0E501', file(false)).status).toBe('not_controlled');
  });

  it('1C513 "not specified in 1C002" is decided by classifying the same powder against 1C002', () => {
    const inoculated = (p: (m: Record<string, unknown>) => void) =>
      powder((m) => {
        Object.assign(m, { composition: { W_wt_pct: 99.9 }, surface_modified_with_inoculants: true });
        p(m);
      });
    expect(run('EU-2021/821:1C513', inoculated(() => {})).status).toBe('controlled');
    // a Ti-Al-X powder with inoculants is in 1C002, so not in 1C513
    const tial = powder((m) =>
      Object.assign(m, { composition: { Ti_wt_pct: 51, Al_wt_pct: 33, Nb_wt_pct: 16 }, composition_system: 'Ti-Al-X', capable_of_forming: ['1C002.a'], is_high_entropy_alloy: true, principal_elements_count_5to35at_pct: 5, surface_modified_with_inoculants: true }),
    );
    expect(run('EU-2021/821:1C002', tial).status).toBe('controlled');
    expect(run('EU-2021/821:1C513', tial).status).toBe('not_controlled');
    // the exporter's statement is taken when given
    expect(run('EU-2021/821:1C513', inoculated((m) => (m.specified_in_1C002 = true))).status).toBe('not_controlled');
  });

  it('composition: an unlisted element counts as 0 wt%, the base metal is derived from the composition', () => {
    const r = run('US-EAR:1C111', powder((m) => Object.assign(m, { composition: { Mg_wt_pct: 98.5, Al_wt_pct: 1.5 }, fraction_of_particles_below_60um: { value: 92, unit: 'wt%' } })));
    expect(r.status).toBe('controlled');
    expect(conditionById(r.trace, '1C111.a.1.al')[0]).toMatchObject({ found: 1.5 });
    expect(conditionById(r.trace, '1C111.a.2.a.Zr')[0]).toMatchObject({ found: 0, detail: 'element not listed in the declared composition: 0 wt%' });
  });
});

describe('1C002.b test results: stated or harsher conditions decide', () => {
  const nickel = (tests: unknown[]) =>
    item({
      kind: 'metal_alloy',
      material: { form: 'bar', composition: { Ni_wt_pct: 60, Cr_wt_pct: 20, Co_wt_pct: 20 }, aluminide: 'none', composition_system: 'other', made_from_powder_controlled_by: '1C002.c', specially_formulated_for_coating: false, properties: { stress_rupture_tests: tests } },
    });
  const t = (temp: number, stress: number, hours: number) => ({ temperature: { value: temp, unit: 'degC' }, stress: { value: stress, unit: 'MPa' }, rupture_life: { value: hours, unit: 'h' } });

  it('a test at the stated conditions decides either way', () => {
    expect(run('US-EAR:1C002', nickel([t(650, 676, 10000)])).status).toBe('controlled');
    const below = run('US-EAR:1C002', nickel([t(650, 676, 9999)]));
    expect(below.status).toBe('needs_information'); // low-cycle fatigue still open
    expect(below.missing).toEqual(['material.properties.low_cycle_fatigue_tests (a test at temperature 550 degC, max_stress 1095 MPa)']);
  });

  it('a pass at harsher conditions controls; a test at milder conditions that passes does not decide', () => {
    expect(run('US-EAR:1C002', nickel([t(700, 700, 12000)])).status).toBe('controlled');
    expect(run('US-EAR:1C002', nickel([t(600, 676, 20000)])).status).toBe('needs_information');
  });
});

describe('never throws, never flips on missing information (properties)', () => {
  const sensorArb = fc.record(
    {
      sensor_type: fc.constantFrom('imaging_camera', 'pyrometer', 'radiometer', 'spectrometer', 'photodiode', 'other'),
      configuration: fc.constantFrom('co-axial', 'paraxial', 'off-axis'),
      peak_response_wavelength: fc.record({ value: fc.double({ min: 0, max: 30000, noNaN: true }), unit: fc.constantFrom('nm', 'um', 'µm', 'mm') }),
      max_measurable_temperature: fc.record({ value: fc.double({ min: -300, max: 5000, noNaN: true }), unit: fc.constantFrom('degC', 'K', 'degF') }),
    },
    { requiredKeys: ['sensor_type', 'configuration'] },
  );
  const machineArb = fc.record(
    {
      output_material_class: fc.subarray(['metal', 'metal_alloy', 'polymer', 'ceramic']),
      consolidation_sources: fc.subarray(['laser', 'electron_beam', 'electric_arc', 'binder', 'heated_nozzle']),
      process_atmosphere: fc.subarray(['inert_gas', 'vacuum', 'air']),
      chamber_vacuum_pressure: fc.record({ value: fc.double({ min: 0, max: 1e6, noNaN: true }), unit: fc.constantFrom('Pa', 'kPa', 'mbar', 'bar', 'Torr', 'atm') }),
      in_process_monitoring: fc.array(sensorArb, { maxLength: 4 }),
      closed_loop_control: fc.record(
        { present: fc.boolean(), modifies: fc.subarray(['consolidation_source_parameters', 'build_path', 'equipment_settings']), uses_feedback_from_qualifying_monitoring: fc.boolean() },
        { requiredKeys: [] },
      ),
      solidification_mode: fc.constantFrom('directional_solidification', 'single_crystal', 'equiaxed'),
      designed_for_superalloys: fc.boolean(),
      is_additive_manufacturing: fc.boolean(),
      has_additive_capability_and_any_of: fc.subarray(['turning', 'milling', 'grinding']),
      material_removal_by: fc.subarray(['laser_beam', 'electron_beam']),
      feedstock_class: fc.subarray(['metal_powder', 'energetic_materials']),
      meets_national_safety_standards_for_explosive_munitions_environments: fc.boolean(),
      ultrasonic_extruder_count: fc.integer({ min: 0, max: 4 }),
      specially_designed_for_firearms_production: fc.boolean(),
    },
    { requiredKeys: [] },
  );

  it('evaluation never throws on schema-valid random machines', () => {
    fc.assert(
      fc.property(machineArb, (m) => {
        const c = classify(engine, parseItem({ kind: 'am_machine', machine: m }));
        expect(c.results).toHaveLength(engine.entries.length);
      }),
      { numRuns: 300 },
    );
  });

  it('removing a parameter never turns an answer into its opposite', () => {
    // Kleene monotonicity: a known answer on the reduced item must be the answer on the full item.
    const fields = ['output_material_class', 'consolidation_sources', 'process_atmosphere', 'chamber_vacuum_pressure', 'in_process_monitoring', 'closed_loop_control'];
    fc.assert(
      fc.property(machineArb, fc.constantFrom(...fields), (m, drop) => {
        const full = classify(engine, parseItem({ kind: 'am_machine', machine: m }));
        const reduced = { ...m } as Record<string, unknown>;
        delete reduced[drop];
        const partial = classify(engine, parseItem({ kind: 'am_machine', machine: reduced }));
        partial.results.forEach((r, i) => {
          if (r.status === 'controlled' || r.status === 'not_controlled') expect(full.results[i]!.status).toBe(r.status);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('rule compilation refuses rules that do not fit the item schema', () => {
  const withEntry = (patch: (e: Record<string, unknown>) => void) => {
    const us = structuredClone(shippedRuleSets()[0]!);
    patch(us.ruleSet.entries[0] as unknown as Record<string, unknown>);
    return () => compileRuleSets([us]);
  };

  it('an unknown field, a wrong unit, an impossible enum value, a dangling parameter id', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(withEntry((e) => ((e.parameters as Array<Record<string, unknown>>)[0]!.name = 'machine.colour')))).toBe('CLASSIFICATION_RULESET_INVALID');
    expect(code(withEntry((e) => ((e.parameters as Array<Record<string, unknown>>).find((p) => p.id === '2B910.b.2.p')!.unit = 'K')))).toBe('CLASSIFICATION_RULESET_INVALID');
    expect(code(withEntry((e) => ((e.parameters as Array<Record<string, unknown>>).find((p) => p.id === '2B910.c.cfg')!.value = ['coaxial'])))).toBe('CLASSIFICATION_RULESET_INVALID');
    expect(code(withEntry((e) => ((e.branches as Array<Record<string, unknown>>)[0]!.logic = { all: ['2B910.nope'] })))).toBe('CLASSIFICATION_RULESET_INVALID');
    expect(code(() => compileRuleSets(shippedRuleSets()))).toBe('no error');
  });
});
