/**
 * Classification throughput in process: items evaluated per second against
 * every entry of every shipped rule set (36 entries, 6 regimes), with the full
 * trace built for each. There is no named peer; the target is from issue 4.
 */
import type { BenchRow } from './types.js';
import { classify } from '../src/classification/evaluate.js';
import { parseItem } from '../src/classification/item.js';
import { defaultEngine } from '../src/classification/rules/index.js';
import { item, machine, powder, sensor, SPINE_MACHINE } from '../src/classification/test-support/items.js';
import type { ItemSpec } from '../src/classification/item-schema.js';

/** A realistic mix: machines (controlled and not), powders, a component, software, technology, a build file. */
function workload(): ItemSpec[] {
  return [
    machine(),
    machine((m) => (m.closed_loop_control = { present: false, modifies: [], uses_feedback_from_qualifying_monitoring: false })),
    machine((m) => Object.assign(m, { consolidation_sources: ['electric_arc'], in_process_monitoring: [sensor('imaging_camera', 'paraxial', { peak_response_wavelength: { value: 1.1, unit: 'um' } })] })),
    machine((m) => Object.assign(m, { output_material_class: ['polymer'] })),
    machine((m) => Object.assign(m, { consolidation_sources: ['electron_beam'], process_atmosphere: ['vacuum'], chamber_vacuum_pressure: { value: 0.5, unit: 'mbar' }, in_process_monitoring: [sensor('pyrometer', 'co-axial', { max_measurable_temperature: { value: 2500, unit: 'K' } }), sensor('imaging_camera', 'off-axis', { peak_response_wavelength: { value: 550, unit: 'nm' } })] })),
    powder((m) => Object.assign(m, { composition: { Ti_wt_pct: 51, Al_wt_pct: 33, Nb_wt_pct: 16 }, composition_system: 'Ti-Al-X', capable_of_forming: ['1C002.a'] })),
    powder((m) => Object.assign(m, { composition: { Al_wt_pct: 89.6, Si_wt_pct: 10, Mg_wt_pct: 0.4 } })),
    powder((m) => Object.assign(m, { composition: { W_wt_pct: 99.9 }, surface_modified_with_inoculants: true })),
    item({ kind: 'am_machine_component', component: { specially_designed: true, for_machine: SPINE_MACHINE.machine } }),
    item({ kind: 'am_software', software: { function: ['development'], target: { kind: 'am_machine', machine: SPINE_MACHINE.machine }, specially_designed_or_modified: true, specified_elsewhere_on_CCL: false, is_part_programming_generating_NC_codes_for_machining: false } }),
    item({ kind: 'am_technology', technology: { function: ['production'], target_item: ['US-EAR:2B910', 'EU-2021/821:2B510'], specially_designed_or_modified: true, specified_elsewhere_on_CCL: false, required: true } }),
    item({ kind: 'design_file', file: { enables_production_of: 'firearm_frame_or_receiver', format_machine_ready: true, made_available_by_posting_on_internet: true }, technology: { function: ['production'], target_item: ['0A501'] }, software: { function: ['production'], target_item: ['0A501'] }, exclusions: { published: true } }),
  ];
}

/**
 * Operations per CPU-second of this process over one window of `seconds` of CPU time. CPU time, not wall
 * time: on a shared machine a descheduled process would otherwise count other processes' work against us.
 */
function window(seconds: number, step: () => void): number {
  let n = 0;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const start = cpu();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (let i = 0; i < 1000; i++) step();
    n += 1000;
    elapsed = cpu() - start;
  }
  return n / elapsed;
}

/** Median of several windows: robust against other processes sharing the machine. */
function measure(windows: number, seconds: number, step: () => void): { median: number; min: number; max: number } {
  const rates = Array.from({ length: windows }, () => window(seconds, step)).sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)]!, min: rates[0]!, max: rates[rates.length - 1]! };
}

export default async function bench(): Promise<BenchRow[]> {
  const engine = defaultEngine();
  const items = workload();
  const raw = items.map((x) => JSON.parse(JSON.stringify(x)) as unknown);
  const entries = engine.entries.length;
  let i = 0;
  // warm-up: let the JIT settle before measuring
  window(0.5, () => classify(engine, items[i++ % items.length]!));
  const evals = measure(7, 0.5, () => classify(engine, items[i++ % items.length]!));
  const withParse = measure(5, 0.5, () => classify(engine, parseItem(raw[i++ % raw.length])));
  const spread = (m: { min: number; max: number }) => `windows ${Math.round(m.min).toLocaleString('en')}-${Math.round(m.max).toLocaleString('en')}/s`;
  return [
    {
      what: `classification: item evaluations, ${entries} entries / ${engine.ruleSets.length} rule sets, full trace (mix of ${items.length} items)`,
      ours: evals.median,
      unit: 'items/CPU-s',
      higherIsBetter: true,
      target: '>= 50,000 items/s',
      note: `median of 7 windows (${spread(evals)}); ${Math.round(evals.median * entries).toLocaleString('en')} entry evaluations/s`,
    },
    {
      what: 'classification: validate item (zod) + evaluate',
      ours: withParse.median,
      unit: 'items/CPU-s',
      higherIsBetter: true,
      note: `median of 5 windows (${spread(withParse)}); what an API request pays before serialisation`,
    },
  ];
}
