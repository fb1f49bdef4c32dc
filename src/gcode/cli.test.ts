import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../shared/test-support/cli.js';
import { sharedData } from '../shared/test-support/shared-data.js';
import { registerGcodeCommands } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fabgate-gcode-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = {
  build_volume_mm: { x: [0, 250], y: [0, 210], z: [0, 210] },
  nozzle_temp_c: { max: 260 },
  bed_temp_c: { max: 110 },
  chamber_temp_c: { max: 60 },
  laser_power: { max: 0.8 },
  feed_rate_mm_min: { max: 12000 },
  acceleration_mm_s2: { max: 5000 },
  layer_height_mm: { min: 0.05, max: 0.35 },
  tools: [0],
  forbidden_commands: ['M302', 'M500', 'M502'],
  allowed_commands: null,
  extrusion_mm: { max: 100000 },
};
function file(name: string, content: string | object): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const envelope = file('envelope.json', EXAMPLE);
const gcode = (...p: string[]) => sharedData('gcode', ...p);
const check = (...args: string[]) => runCli([registerGcodeCommands], ['gcode', 'check', ...args], { cwd: dir });

describe('fabgate gcode check', () => {
  it('exit 0 and exactly {ok, violations, stats, sha256} for a program inside the envelope', async () => {
    const path = gcode('prusaslicer', 'part.gcode');
    const r = await check('--envelope', envelope, path, '--json');
    expect(r.code).toBe(0);
    const out = r.json<Record<string, unknown>>();
    expect(Object.keys(out)).toEqual(['ok', 'violations', 'stats', 'sha256']);
    expect(out.ok).toBe(true);
    expect(out.violations).toEqual([]);
    expect(out.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
    expect(out.stats).toMatchObject({ format: 'gcode', layers: 133, max_nozzle_temp_c: 200 });
  });

  it('exit 1 with each violation’s physical line, rule, value and limit', async () => {
    const program = file('hot.gcode', 'G28\nG1 X10 Y10 Z0.3 F3000\nM104 S300\nM302 P1\nG1 X251\n');
    const r = await check('--envelope', 'envelope.json', program, '--json');
    expect(r.code).toBe(1);
    expect(r.json<{ violations: unknown[] }>().violations).toEqual([
      { line: 3, rule: 'nozzle_temp_c', value: 300, limit: 260 },
      { line: 4, rule: 'forbidden_commands', value: 'M302', limit: null },
      { line: 5, rule: 'build_volume_mm.x', value: 251, limit: [0, 250] },
    ]);
  });

  it('checks .bgcode by decoding its blocks', async () => {
    const r = await check('--envelope', envelope, gcode('libbgcode', 'tests', 'data', 'mini_cube_ps2.8.1.bgcode'), '--json');
    expect(r.code).toBe(1); // the MK4S start G-code uses M302 and purges at Y-4
    const out = r.json<{ stats: { format: string }; violations: Array<{ rule: string }> }>();
    expect(out.stats.format).toBe('bgcode');
    expect(out.violations.map((v) => v.rule)).toContain('forbidden_commands');
  });

  it('reads the program from stdin with -', async () => {
    const r = await runCli([registerGcodeCommands], ['gcode', 'check', '--envelope', envelope, '-', '--json'], { cwd: dir, stdin: 'G28\nG1 X300\n' });
    expect(r.code).toBe(1);
    expect(r.json<{ violations: unknown[] }>().violations).toEqual([{ line: 2, rule: 'build_volume_mm.x', value: 300, limit: [0, 250] }]);
  });

  it.each([
    ['a missing program', () => ['--envelope', envelope, join(dir, 'nope.gcode'), '--json'], 'GCODE_INPUT_UNREADABLE'],
    ['a binary file (STL)', () => ['--envelope', envelope, gcode('prusaslicer', 'M3x10_screw.stl'), '--json'], 'GCODE_BINARY_INPUT'],
    ['a missing envelope', () => ['--envelope', join(dir, 'none.json'), gcode('prusaslicer', 'part.gcode'), '--json'], 'GCODE_ENVELOPE_UNREADABLE'],
    ['an envelope that is not JSON', () => ['--envelope', file('bad.json', '{"nozzle_temp_c": '), gcode('prusaslicer', 'part.gcode'), '--json'], 'GCODE_ENVELOPE_INVALID'],
    ['an envelope with an unknown constraint', () => ['--envelope', file('newer.json', { nozzle_temp_c: { max: 260 }, humidity_pct: { max: 40 } }), gcode('prusaslicer', 'part.gcode'), '--json'], 'GCODE_ENVELOPE_INVALID'],
    ['an envelope with min above max', () => ['--envelope', file('upside.json', { build_volume_mm: { x: [250, 0] } }), gcode('prusaslicer', 'part.gcode'), '--json'], 'GCODE_ENVELOPE_INVALID'],
  ])('exit 2 for %s', async (_what, args, code) => {
    const r = await check(...args());
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string } }>().error.code).toBe(code);
    expect(r.stderr).toContain(`error ${code}`);
  });

  it('prints a summary for people without --json', async () => {
    const r = await check('--envelope', envelope, file('one.gcode', 'G28\nM140 S120\n'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1 violation');
    expect(r.stdout).toContain('line 2: bed_temp_c 120 (limit 110)');
    expect(r.stdout).toMatch(/sha256 [0-9a-f]{64}/);
  });
});
