/**
 * The modal state, one case at a time: small programs through the whole checker, with the exact
 * line and rule of each violation.
 */
import { describe, expect, it } from 'vitest';
import { checkBytes } from './checker.js';
import type { Envelope } from './envelope.js';

const VOLUME: Envelope = { build_volume_mm: { x: [0, 250], y: [0, 210], z: [0, 210] } };

function check(program: string, envelope: Envelope = VOLUME) {
  return checkBytes(new Uint8Array(Buffer.from(program.replace(/^\n/, ''), 'latin1')), envelope);
}
const found = (program: string, envelope: Envelope = VOLUME) => check(program, envelope).violations.map((v) => [v.line, v.rule, v.value]);
const box = (program: string, envelope: Envelope = VOLUME) => check(program, envelope).stats.bounding_box_mm;

describe('positioning: G90/G91, G92, G53, G28', () => {
  it('absolute and relative moves land where the firmware puts them', () => {
    expect(box('G28\nG1 X10 Y20 Z5\nG91\nG1 X5 Y-5 Z1\nG90\nG1 X100')).toEqual({ x: [10, 100], y: [15, 20], z: [5, 6] });
  });

  it('reports the first move beyond the volume, on its line, for each axis', () => {
    expect(found('G28\nG1 X250 Y210 Z210\nG1 X250.0001\nG91\nG1 Y1\nG1 Z-300')).toEqual([
      [3, 'build_volume_mm.x', 250.0001],
      [5, 'build_volume_mm.y', 211],
      [6, 'build_volume_mm.z', -90],
    ]);
  });

  it('G92 renames the current position without moving; later absolute moves shift by the offset', () => {
    // at machine X100, call it X0; X160 (logical) is then machine 260
    expect(found('G28\nG1 X100\nG92 X0\nG1 X150\nG1 X160')).toEqual([[5, 'build_volume_mm.x', 260]]);
    expect(box('G28\nG1 X100\nG92 X0\nG1 X150')).toMatchObject({ x: [100, 250] });
  });

  it('G92.1 clears the offsets; G92 without words does nothing (Marlin)', () => {
    expect(box('G28\nG1 X100\nG92 X0\nG92\nG1 X10')).toMatchObject({ x: [100, 110] });
    expect(box('G28\nG1 X100\nG92 X0\nG92.1\nG1 X10')).toMatchObject({ x: [10, 100] });
  });

  it('G53 moves in machine coordinates for its line only', () => {
    expect(box('G28\nG1 X100\nG92 X0\nG53 G1 X20\nG1 X5')).toMatchObject({ x: [20, 105] });
  });

  it('G28 homes the named axes (all without words) to 0 and clears their offsets', () => {
    expect(box('G28\nG1 X50 Y50\nG92 X0\nG28 X\nG91\nG1 X1 Y1')).toMatchObject({ x: [1, 50], y: [50, 51] });
  });

  it('a relative move before the position is known cannot be checked', () => {
    expect(found('G91\nG1 X10\nG90\nG1 X20\nG91\nG1 X5')).toEqual([[2, 'position_unknown', 'x']]);
    expect(found('G91\nG1 X10', {})).toEqual([]); // no volume: nothing to check
  });

  it('bed levelling and parking leave the position unknown until the next absolute move', () => {
    expect(found('G28\nG1 X10 Y10\nG29\nG91\nG1 X1\nG90\nG1 X5 Y5 Z1\nG91\nG1 X1')).toEqual([[5, 'position_unknown', 'x']]);
  });

  it('modal motion: axis words alone repeat the last G0/G1/G2/G3', () => {
    // the box holds the positions moves reached (home itself is not one)
    expect(box('G28\nG1 X1\nX2 Y3\nZ4')).toEqual({ x: [1, 2], y: [3, 3], z: [4, 4] });
    expect(found('X2')).toEqual([[1, 'unsupported_command', 'axis words without a motion mode']]);
  });
});

describe('units: G20/G21', () => {
  it('inches are converted for positions, offsets, arcs and feeds', () => {
    const r = check('G20\nG28\nG1 X1 Y2 F10\nG2 X3 Y2 I1 J0\nG21\nG1 X100', { feed_rate_mm_min: { max: 250 } });
    expect(r.stats.bounding_box_mm.x).toEqual([25.4, 100]);
    expect(r.stats.bounding_box_mm.y![1]).toBeCloseTo(2 * 25.4 + 25.4, 9);
    expect(r.violations.map((v) => [v.line, v.rule, v.value])).toEqual([
      [3, 'feed_rate_mm_min', 254],
      [4, 'feed_rate_mm_min', 254],
      [6, 'feed_rate_mm_min', 254],
    ]);
  });
});

describe('arcs: G2/G3, planes, I/J/K and R', () => {
  it('catches an arc that bulges out while both ends are inside', () => {
    // (240, 100) → (240, 110) around (245, 105): clockwise is the short way on the left (x ≥ 237.9),
    // counter-clockwise the long way round through x = 245 + 7.07 = 252.07, outside a 250 mm bed
    expect(found('G28\nG1 X240 Y100\nG3 X240 Y110 I5 J5')).toEqual([[3, 'build_volume_mm.x', 245 + Math.hypot(5, 5)]]);
    expect(found('G28\nG1 X240 Y100\nG2 X240 Y110 I5 J5')).toEqual([]);
  });

  it('full circles with I/J, both directions', () => {
    expect(box('G28\nG1 X100 Y100\nG2 I10 J0')).toMatchObject({ x: [100, 120], y: [90, 110] });
    expect(box('G28\nG1 X100 Y100\nG3 I10 J0')).toMatchObject({ x: [100, 120], y: [90, 110] });
  });

  it('R form: short arc for R > 0, long arc for R < 0', () => {
    // (100,100) → (120,100), R 10: a half circle bulging up (G2) or down (G3)
    expect(box('G28\nG1 X100 Y100\nG2 X120 Y100 R10')).toMatchObject({ y: [100, 110] });
    expect(box('G28\nG1 X100 Y100\nG3 X120 Y100 R10')).toMatchObject({ y: [90, 100] });
    // centre (110, 100 + 10√3); clockwise the long way (300°) over the top
    const long = box('G28\nG1 X100 Y100\nG2 X120 Y100 R-20');
    expect(long.y![0]).toBe(100);
    expect(long.y![1]).toBeCloseTo(100 + 10 * Math.sqrt(3) + 20, 9);
    expect(long.x).toEqual([90, 130]);
  });

  it('G18 (ZX) and G19 (YZ) planes use K and sweep in their own axes', () => {
    expect(box('G28\nG1 X100 Y100 Z100\nG18\nG2 I0 K10', VOLUME)).toMatchObject({ x: [90, 110], z: [100, 120], y: [100, 100] });
    expect(box('G28\nG1 X100 Y100 Z100\nG19\nG3 J10 K0', VOLUME)).toMatchObject({ y: [100, 120], z: [90, 110], x: [100, 100] });
  });

  it('helical arcs move the third axis linearly', () => {
    expect(box('G28\nG1 X100 Y100 Z1\nG2 X100 Y100 Z3 I5 J0')).toMatchObject({ z: [1, 3] });
  });

  it('G90.1 takes the centre as an absolute position', () => {
    expect(box('G28\nG1 X100 Y100\nG90.1\nG2 X100 Y100 I110 J100')).toMatchObject({ x: [100, 120] });
  });

  it('an arc without a centre is refused by the firmware: reported, and nothing moves', () => {
    const r = check('G28\nG1 X10 Y10\nG2 X20 Y20\nG91\nG1 X1');
    expect(r.violations.map((v) => [v.line, v.rule, v.value])).toEqual([[3, 'malformed_line', 'arc_without_centre']]);
    expect(r.stats.bounding_box_mm.x).toEqual([10, 11]);
  });

  it('G5 Bézier: its control points bound the curve', () => {
    expect(found('G28\nG1 X200 Y100\nG5 I60 J0 P-10 Q0 X240 Y100')).toEqual([[3, 'build_volume_mm.x', 260]]);
  });
});

describe('extrusion: M82/M83, G92 E, M221', () => {
  it('absolute and relative E, and G92 E resets', () => {
    expect(check('G28\nM82\nG1 X10 E5\nG1 X20 E8\nG92 E0\nG1 X30 E2\nM83\nG1 X40 E1.5\nG1 E-1\n').stats.extrusion_mm).toBeCloseTo(5 + 3 + 2 + 1.5 - 1, 12);
  });

  it('G90/G91 set E too, M82/M83 afterwards set E alone (Marlin)', () => {
    expect(check('G28\nG91\nG1 X1 E1\nG1 X1 E1\nG90\nG1 X5 E5\n').stats.extrusion_mm).toBeCloseTo(5, 12); // E2 then absolute E5
    expect(check('G28\nG90\nM83\nG1 X1 E1\nG1 X2 E1\n').stats.extrusion_mm).toBe(2);
  });

  it('M221 scales the flow and the running total is capped', () => {
    const r = check('G28\nM83\nG1 X1 E60\nM221 S150\nG1 X2 E30\nG1 X3 E1\n', { extrusion_mm: { max: 100 } });
    expect(r.stats.extrusion_mm).toBe(60 + 45 + 1.5);
    expect(r.violations.map((v) => [v.line, v.rule, v.value])).toEqual([[5, 'extrusion_mm', 105]]);
  });
});

describe('layers', () => {
  const LAYERS: Envelope = { layer_height_mm: { min: 0.05, max: 0.35 } };

  it('counts planar layers and checks each height against the layer below', () => {
    const r = check('G28\nM83\nG1 Z0.2\nG1 X10 Y10 E1\nG1 Z0.4\nG1 X0 E1\nG1 Z0.43\nG1 X10 E1\nG1 Z0.9\nG1 X0 E1\n', LAYERS);
    expect(r.stats.layers).toBe(4);
    expect(r.violations.map((v) => [v.line, v.rule])).toEqual([
      [8, 'layer_height_mm'],
      [10, 'layer_height_mm'],
    ]);
    expect(r.violations[0]!.value).toBeCloseTo(0.03, 12);
    expect(r.violations[1]!.value).toBeCloseTo(0.47, 12);
  });

  it('a prime line beside the part is not the layer under the first layer', () => {
    const r = check('G28\nM83\nG1 Z0.28 X2 Y10\nG1 Y140 E10\nG1 Z0.3 X60 Y60\nG1 X80 E2\nG1 Z0.6\nG1 X60 E2\n', LAYERS);
    expect(r.violations).toEqual([]);
    expect([r.stats.min_layer_height_mm, r.stats.layers]).toEqual([0.28, 3]);
  });

  it('travel and retraction moves are not layers', () => {
    expect(check('G28\nM83\nG1 Z0.2\nG1 X10 E1\nG1 Z5 E-1\nG1 X20\nG1 Z0.2 E1\nG1 X30 E1\n', LAYERS).stats.layers).toBe(1);
  });

  it('rising while extruding (spiral) is checked against the minimum with its own rise', () => {
    const r = check('G28\nM83\nG1 Z0.2\nG1 X10 E1\nG1 X20 Z0.21 E1\nG1 X30 Z0.3 E1\n', LAYERS);
    expect(r.violations.map((v) => [v.line, v.rule])).toEqual([[5, 'layer_height_mm']]);
    expect(r.violations[0]!.value).toBeCloseTo(0.01, 12);
  });
});

describe('feed: F, M220, G93', () => {
  const FEED: Envelope = { feed_rate_mm_min: { max: 12000 } };

  it('checks the modal feed on each move, times the M220 override', () => {
    expect(found('G28\nG1 F12000\nG1 X10\nM220 S110\nG1 X20\nM220 S100\nG1 X30\nG1 X40 F12001\nG1 F0\nG1 X50', FEED)).toEqual([
      [5, 'feed_rate_mm_min', 13200.000000000002],
      [8, 'feed_rate_mm_min', 12001],
      [10, 'feed_rate_mm_min', 12001],
    ]);
  });

  it('M220 B/R save and restore the override', () => {
    expect(found('G28\nG1 F10000\nM220 B\nM220 S200\nM220 R\nG1 X10', FEED)).toEqual([]);
  });

  it('G93 inverse time: feed = distance × F', () => {
    expect(found('G28\nG93\nG1 X100 F200', FEED)).toEqual([[3, 'feed_rate_mm_min', 20000]]);
  });

  it('estimates time as distance / feed plus dwells', () => {
    expect(check('G28\nG1 X100 F6000\nG4 P500\nG4 S2\n').stats.estimated_time_s).toBeCloseTo(1 + 0.5 + 2, 12);
  });
});

describe('temperatures, fans, laser, acceleration, tools', () => {
  it('nozzle, bed and chamber temperatures, every form that sets them', () => {
    const env: Envelope = { nozzle_temp_c: { max: 260 }, bed_temp_c: { max: 110 }, chamber_temp_c: { max: 60 } };
    expect(
      found('M104 S260\nM109 R261\nM104 S200 B270\nM140 S110\nM190 S111\nM141 S61\nM191 R60\nM303 E0 S300\nM303 E-1 S120\nG10 P0 S265 R150\nM568 P0 S262', env),
    ).toEqual([
      [2, 'nozzle_temp_c', 261],
      [3, 'nozzle_temp_c', 270],
      [5, 'bed_temp_c', 111],
      [6, 'chamber_temp_c', 61],
      [8, 'nozzle_temp_c', 300],
      [9, 'bed_temp_c', 120],
      [10, 'nozzle_temp_c', 265],
      [11, 'nozzle_temp_c', 262],
    ]);
    expect(check('M104 S200\nM109 S215\nM140 S60\nM104 S0', env).stats).toMatchObject({ max_nozzle_temp_c: 215, max_bed_temp_c: 60, max_chamber_temp_c: null });
  });

  it('S on a fan or temperature line is not laser power', () => {
    expect(found('M106 S255\nM104 S200\nG4 S1', { laser_power: { max: 0.5 } })).toEqual([]);
  });

  it('laser power is S / s_max while M3/M4 is on, inline on moves too', () => {
    const env: Envelope = { laser_power: { max: 0.8, s_max: 1000 } };
    expect(found('G28\nS900\nM3 S700\nG1 X10 S850\nM5\nS1000\nM4\nG1 X1 S100', env)).toEqual([
      [4, 'laser_power', 0.85],
      [7, 'laser_power', 1],
    ]);
    expect(found('M3 S255', { laser_power: { max: 0.8 } })).toEqual([[1, 'laser_power', 1]]); // default s_max 255
    expect(found('M3 S20000', { spindle_rpm: { max: 18000 } })).toEqual([[1, 'spindle_rpm', 20000]]);
  });

  it('acceleration from M201 X/Y/Z and M204 P/S/T', () => {
    expect(found('M201 X5000 Y5001 E9000\nM204 P4000 R9000 T6000\nM204 S5000', { acceleration_mm_s2: { max: 5000 } })).toEqual([
      [1, 'acceleration_mm_s2', 5001],
      [2, 'acceleration_mm_s2', 6000],
    ]);
  });

  it('tools: T commands, M6 T, and the heater a temperature names', () => {
    expect(found('T0\nT1\nM6 T2\nM104 T3 S200\nM204 T4000', { tools: [0] })).toEqual([
      [2, 'tools', 1],
      [3, 'tools', 2],
      [4, 'tools', 3],
    ]);
    expect(check('T0\nT1').stats.tools_used).toEqual([0, 1]);
  });
});

describe('command policy', () => {
  it('forbidden commands, with and without subcodes, any spelling', () => {
    expect(found('M302 S160\nG92.1\nM0500\nG92 X1', { forbidden_commands: ['M302', 'M500', 'G92.1'] })).toEqual([
      [1, 'forbidden_commands', 'M302'],
      [2, 'forbidden_commands', 'G92.1'],
      [3, 'forbidden_commands', 'M500'],
    ]);
  });

  it('an allow-list admits only what it names', () => {
    expect(found('G28\nG1 X1\nM104 S200\nT0', { allowed_commands: ['G1', 'G28', 'T0'] })).toEqual([[3, 'allowed_commands', 'M104']]);
    expect(found('M104 S200', { allowed_commands: null })).toEqual([]);
    expect(found('T0\nT1\nM6 T2', { allowed_commands: ['T0', 'M6'], forbidden_commands: ['T2'] })).toEqual([
      [2, 'allowed_commands', 'T1'],
      [3, 'forbidden_commands', 'T2'],
      [3, 'allowed_commands', 'T2'],
    ]);
  });

  it('extended (Klipper) commands are refused unless allowed by name', () => {
    expect(found('PRINT_START\nSET_VELOCITY_LIMIT ACCEL=50000', { allowed_extended_commands: ['print_start'] })).toEqual([
      [2, 'allowed_extended_commands', 'SET_VELOCITY_LIMIT'],
    ]);
  });

  it('commands that remap coordinates defeat the volume check and are reported', () => {
    expect(found('M206 X100\nM92 X200\nG10 L2 P1 X5\nG10\nM851 Z-1')).toEqual([
      [1, 'coordinate_transform', 'M206'],
      [2, 'coordinate_transform', 'M92'],
      [3, 'coordinate_transform', 'G10'],
      [5, 'coordinate_transform', 'M851'],
    ]);
    expect(found('M206 X100', {})).toEqual([]);
  });

  it('moves the model cannot follow are reported', () => {
    expect(found('G28\nG81 X1 Y1 Z-1 R1\nG42 D8\nG1 A10\nG0 G92 X1')).toEqual([
      [2, 'unsupported_command', 'G81'],
      [3, 'unsupported_command', 'G42'],
      [4, 'unsupported_axis', 'A'],
      [5, 'malformed_line', 'conflicting_commands'],
    ]);
  });
});

describe('line numbers and checksums (RepRap host protocol)', () => {
  it('a wrong checksum and a skipped line number are reported; M110 resets the count', () => {
    const line = (n: number, body: string) => {
      const text = `N${n} ${body}`;
      let cs = 0;
      for (const c of Buffer.from(text)) cs ^= c;
      return `${text}*${cs}`;
    };
    const program = [line(1, 'G28'), line(2, 'G1 X1'), line(4, 'G1 X2'), 'N5 G1 X3*0', line(100, 'M110 N100'), line(101, 'G1 X4')].join('\n');
    expect(found(program)).toEqual([
      [3, 'line_number', 4],
      [4, 'checksum', 0],
    ]);
  });
});
