/**
 * The modal state a printer (or CNC/laser controller) keeps while it runs G-code, and the
 * envelope checks made against it, one tokenized line at a time.
 *
 * Semantics follow Marlin where firmwares differ (Fabgate's main target is FFF printers), and
 * RS274/NGC for what Marlin lacks. Every choice that matters for the envelope:
 *
 * - Positions are tracked in millimetres in machine coordinates: `machine = logical + offset`,
 *   where G92 sets the offset (without moving) and G92.1/G92.2 clear it. G92 without axis
 *   words does nothing (Marlin). G53 makes that line's targets machine coordinates.
 *   G54–G59 work offsets are taken as zero: only the controller knows them, and setting them
 *   from the program (G10 L2/L20) is reported as `coordinate_transform`.
 * - G90/G91 set absolute/relative for X, Y, Z and E; M82/M83 then set E alone (Marlin order:
 *   `G90` then `M83` gives relative E). G20/G21 switch inch/mm for every length and feed.
 * - A position is unknown until an absolute move, G28 or a probing command; a relative move on
 *   an unknown axis that the build volume constrains is reported as `position_unknown`.
 *   G28 puts the homed axes (all, if none is named) at 0 and clears their G92 offsets. Commands
 *   that move to places only the machine knows (G29 bed levelling, G12, G26, G27, G30, G33–G35,
 *   G76, G80, G425) leave X, Y and Z unknown afterwards.
 * - Each move is checked where it goes: the end point for G0/G1, the swept quadrant points and
 *   the end point for G2/G3 (planes G17/G18/G19, I/J/K or R form, G90.1/G91.1), the control
 *   points for G5 Béziers (their convex hull contains the curve). The start of a move was checked
 *   when it was reached (or is a home position, which is not a commanded position).
 * - The feed of a move is the modal F (inch/min converted; F ≤ 0 is ignored as in Marlin) times
 *   the M220 override; under G93 inverse time it is distance × F. G0 uses F too (Marlin).
 * - Extrusion is net E travel times the M221 flow factor; the envelope's `extrusion_mm` caps the
 *   running total. Layers: a planar extruding move (Z unchanged, E > 0) at a new Z starts a
 *   layer; its height is the rise from the previous layer's Z (the first from Z = 0). An
 *   extruding move that rises in Z (spiral vase, non-planar) is checked against
 *   `layer_height_mm.min` with its own rise, because nothing else bounds the resolution of a
 *   spiral.
 * - S is the spindle/laser word only on lines whose commands take no S themselves (moves,
 *   M3/M4/M5, or none): `M104 S200` is a temperature, `G1 X1 S100` inline laser power.
 *   Laser power = S / `laser_power.s_max` (default 255, Marlin's PWM range) while M3/M4 is on.
 * - Commands that change how commanded positions map to the physical machine (M92 steps/mm,
 *   M206 home offsets, M218 hotend offsets, M290 babystepping, M428, M665/M666 delta geometry,
 *   M851 probe offset, M852 skew, G10 L2/L20) make every position check meaningless, so they are
 *   reported as `coordinate_transform` whenever `build_volume_mm` is set.
 * - Commands the model cannot follow but which move the tool (canned cycles G81–G89, cutter
 *   compensation G41/G42, tool length G43, G60/G61 saved positions, any unknown G with axis
 *   words) are reported as `unsupported_command`; extra axes A/B/C/U/V/W on a move as
 *   `unsupported_axis`.
 * - Acceleration limits are the M201 X/Y/Z and M204 P/S/T values (mm/s², inch-converted); the
 *   extruder's own (M201 E, M204 R) are not motion of the tool. M203 (per-axis feed caps) and
 *   M205 (jerk) only bound what the firmware allows; the feed each move commands is what is checked.
 * - Estimated time: move length / feed for each move (E length for extrude-only moves) plus
 *   G4 dwells. No acceleration, no heating time: a lower bound, for comparing programs.
 */
import type { Envelope } from './envelope.js';
import { arcBounds, arcCentreFromRadius } from './arc.js';
import { CMD_G, CMD_M, SYNTAX_ERRORS, type LineTokens } from './line-tokenizer.js';

// Letter indexes (A = 0).
const A = 0, B = 1, C = 2, E = 4, F = 5, I = 8, J = 9, K = 10, L = 11, N = 13, P = 15, Q = 16, R = 17, S = 18, T = 19, U = 20, V = 21, W = 22, X = 23, Y = 24, Z = 25;
const bit = (letter: number) => 1 << letter;
const XYZ = bit(X) | bit(Y) | bit(Z);
const ARC_WORDS = bit(I) | bit(J) | bit(K) | bit(R);
const AXIS_WORDS = XYZ | ARC_WORDS;
const EXTRA_AXES = bit(A) | bit(B) | bit(C) | bit(U) | bit(V) | bit(W);
/** Acceleration words of the tool's motion: M201 X/Y/Z (per axis), M204 P/S/T (print, legacy, travel). */
const M201_WORDS = [X, Y, Z] as const;
const M204_WORDS = [P, S, T] as const;

/** Tolerance for positions and heights computed from sums and unit conversions (1 nm). */
const LENGTH_EPS = 1e-6;
/** Layers remembered to find the one a new layer rests on, and how far outside its XY extent still counts (mm). */
const RING = 16;
const LAYER_MARGIN = 1;

/** One rule broken on one line. */
export interface Violation {
  /** 1-based physical line of the input (of the decoded G-code for .bgcode). */
  line: number;
  /** The envelope field (`nozzle_temp_c`, `build_volume_mm.x`, …) or a checker rule (`checksum`, `malformed_line`, …). */
  rule: string;
  value: number | string | null;
  limit: number | string | readonly number[] | null;
}

/** Where the machine reports what it finds. */
export interface ViolationSink {
  report(v: Violation): void;
}

/** Statistics of a checked program (all lengths in mm, in machine coordinates). */
export interface GcodeStats {
  format: 'gcode' | 'bgcode';
  bytes: number;
  lines: number;
  moves: number;
  layers: number;
  bounding_box_mm: { x: [number, number] | null; y: [number, number] | null; z: [number, number] | null };
  max_nozzle_temp_c: number | null;
  max_bed_temp_c: number | null;
  max_chamber_temp_c: number | null;
  max_feed_rate_mm_min: number | null;
  max_acceleration_mm_s2: number | null;
  max_laser_power: number | null;
  max_spindle_s: number | null;
  min_layer_height_mm: number | null;
  max_layer_height_mm: number | null;
  extrusion_mm: number;
  estimated_time_s: number;
  tools_used: number[];
  violation_count: number;
}

/** Membership tables over command numbers 0…999. */
const table = (codes: number[]) => {
  const t = new Uint8Array(1000);
  for (const c of codes) t[c] = 1;
  return { has: (major: number) => major < 1000 && t[major] === 1 };
};
/** M codes that change the mapping from commanded to physical positions (see file comment). */
const TRANSFORM_M = table([92, 206, 218, 290, 428, 665, 666, 851, 852]);
/** G codes after which the machine is somewhere only it knows. */
const MACHINE_DEFINED_MOVE_G = table([12, 26, 27, 29, 30, 33, 34, 35, 76, 80, 425]);
/** G codes that move along paths the model does not follow. */
const UNSUPPORTED_G = table([41, 42, 43, 60, 61, 81, 82, 83, 84, 85, 86, 87, 88, 89]);
/** G codes that only set modes, so S and F on their line still belong to the spindle/feed. */
const MODAL_G = table([17, 18, 19, 20, 21, 40, 49, 53, 54, 55, 56, 57, 58, 59, 64, 90, 91, 93, 94]);

const MOTION_NONE = -1;
const MOTION_LINEAR = 1;
const MOTION_CW = 2;
const MOTION_CCW = 3;
const MOTION_BEZIER = 5;

/**
 * A compiled command list: entries without subcode match every subcode. Commands below 1000
 * (all real ones) are looked up in a table: 1 = every subcode listed, 2 = some subcodes listed.
 */
class CommandSet {
  private readonly table = new Uint8Array(3 * 1000);
  private readonly all = new Set<number>();
  private readonly exact = new Set<number>();
  readonly size: number;
  constructor(names: readonly string[]) {
    for (const name of names) {
      const m = /^([GMTgmt])(\d+)(?:\.(\d+))?$/.exec(name)!;
      const letter = m[1]!.toUpperCase().charCodeAt(0) - 65;
      const major = Number(m[2]);
      const key = commandKey(letter, major);
      if (m[3] === undefined) this.all.add(key);
      else this.exact.add(key * 1000 + Number(m[3]));
      const slot = tableSlot(letter, major);
      if (slot >= 0) this.table[slot] = m[3] === undefined ? 1 : Math.max(this.table[slot]!, 2);
    }
    this.size = names.length;
  }
  has(letter: number, major: number, sub: number): boolean {
    const slot = tableSlot(letter, major);
    if (slot >= 0) {
      const t = this.table[slot]!;
      if (t !== 2) return t === 1;
    }
    const key = commandKey(letter, major);
    return this.all.has(key) || (sub >= 0 && this.exact.has(key * 1000 + sub));
  }
}
const commandKey = (letter: number, major: number) => letter * 1_000_000 + major;
const tableSlot = (letter: number, major: number) =>
  major >= 1000 ? -1 : letter === CMD_G ? major : letter === CMD_M ? 1000 + major : letter === T ? 2000 + major : -1;

/** `G1`, `M862.3`, `T0`: the canonical name used in violations. */
export function commandName(letter: number, major: number, sub: number): string {
  return String.fromCharCode(65 + letter) + major + (sub >= 0 ? '.' + sub : '');
}

/** The envelope as numbers the hot path compares against (±Infinity = unconstrained). */
class Limits {
  readonly volLo = new Float64Array([-Infinity, -Infinity, -Infinity]);
  readonly volHi = new Float64Array([Infinity, Infinity, Infinity]);
  readonly volMask: number;
  readonly nozzle: number;
  readonly bed: number;
  readonly chamber: number;
  readonly laser: number;
  readonly sMax: number;
  readonly spindle: number;
  readonly feed: number;
  readonly accel: number;
  readonly layerMin: number;
  readonly layerMax: number;
  readonly tools: ReadonlySet<number> | null;
  readonly toolsList: readonly number[] | null;
  readonly forbidden: CommandSet;
  readonly allowed: CommandSet | null;
  readonly allowedExtended: ReadonlySet<string>;
  readonly extrusion: number;
  /** `G0`/`G1` (index = major) pass both command lists: the common line needs no lookup. */
  readonly plainMove: readonly boolean[];
  constructor(e: Envelope) {
    let mask = 0;
    const v = e.build_volume_mm;
    ([v?.x, v?.y, v?.z] as const).forEach((range, i) => {
      if (range) {
        this.volLo[i] = range[0];
        this.volHi[i] = range[1];
        mask |= 1 << i;
      }
    });
    this.volMask = mask;
    this.nozzle = e.nozzle_temp_c?.max ?? Infinity;
    this.bed = e.bed_temp_c?.max ?? Infinity;
    this.chamber = e.chamber_temp_c?.max ?? Infinity;
    this.laser = e.laser_power?.max ?? Infinity;
    this.sMax = e.laser_power?.s_max ?? 255;
    this.spindle = e.spindle_rpm?.max ?? Infinity;
    this.feed = e.feed_rate_mm_min?.max ?? Infinity;
    this.accel = e.acceleration_mm_s2?.max ?? Infinity;
    this.layerMin = e.layer_height_mm?.min ?? -Infinity;
    this.layerMax = e.layer_height_mm?.max ?? Infinity;
    this.tools = e.tools ? new Set(e.tools) : null;
    this.toolsList = e.tools ?? null;
    this.forbidden = new CommandSet(e.forbidden_commands ?? []);
    this.allowed = e.allowed_commands ? new CommandSet(e.allowed_commands) : null;
    const passes = (major: number) => !this.forbidden.has(CMD_G, major, -1) && (this.allowed === null || this.allowed.has(CMD_G, major, -1));
    this.plainMove = [passes(0), passes(1)];
    this.allowedExtended = new Set((e.allowed_extended_commands ?? []).map((n) => n.toUpperCase()));
    this.extrusion = e.extrusion_mm?.max ?? Infinity;
  }
}

const AXIS_NAMES = ['x', 'y', 'z'] as const;

/** The interpreter: feed it tokenized lines with {@link execute}, read {@link stats} at the end. */
export class Machine {
  private readonly lim: Limits;
  // modal state
  /** The position; after a move it is that move's `target` array, and `start` the one before (swapped, not copied). */
  private pos = new Float64Array(3);
  private readonly offset = new Float64Array(3);
  private known = 0; // bit per axis: position known
  private offsetUnknown = 0; // bit per axis: G92 set while the position was unknown
  private absolute = true;
  private eRelative = false;
  private unit = 1;
  private plane = 0; // 0 = G17 XY, 1 = G18 ZX, 2 = G19 YZ
  private arcCentreAbsolute = false;
  private inverseTime = false;
  private motion = MOTION_NONE;
  private feed = NaN;
  private feedFactor = 1;
  private feedFactorSaved = 1;
  private flowFactor = 1;
  private eLogical = 0;
  private spindleOn = false;
  private spindleS = 0;
  private spindleStarted = false;
  private lastChecksummedN = -1;
  /** Recent layers: [z, minX, maxX, minY, maxY] × RING, replaced oldest first. */
  private readonly ring = new Float64Array(RING * 5);
  private ringSize = 0;
  private ringNext = 0;
  /** Ring index of the planar layer being printed, and of the surface built by rising extrusion; -1 for none. */
  private planarLayer = -1;
  private risingLayer = -1;
  // statistics
  private moves = 0;
  private layers = 0;
  private readonly boxLo = new Float64Array([Infinity, Infinity, Infinity]);
  private readonly boxHi = new Float64Array([-Infinity, -Infinity, -Infinity]);
  private maxNozzle = -Infinity;
  private maxBed = -Infinity;
  private maxChamber = -Infinity;
  private maxFeed = -Infinity;
  private maxAccel = -Infinity;
  private maxSpindle = -Infinity;
  private minLayer = Infinity;
  private maxLayer = -Infinity;
  private extrusion = 0;
  private seconds = 0;
  private readonly toolsUsed = new Set<number>();
  // scratch
  private readonly scratch = new Float64Array(5);
  private readonly centre = new Float64Array(2);
  private target = new Float64Array(3);
  private start = new Float64Array(3);
  private readonly point = new Float64Array(2);
  private line = 0;

  constructor(
    envelope: Envelope,
    private readonly sink: ViolationSink,
  ) {
    this.lim = new Limits(envelope);
  }

  private report(rule: string, value: Violation['value'], limit: Violation['limit']): void {
    this.sink.report({ line: this.line, rule, value, limit });
  }

  /** Run one line. `extName` is the extended command's name when the line has one. */
  execute(t: LineTokens, line: number, extName: string | null): void {
    this.line = line;
    if (t.syntaxError !== 0) {
      this.report('malformed_line', SYNTAX_ERRORS[t.syntaxError]!, null);
      return;
    }
    if (t.checksumStated >= 0) this.checkHostProtocol(t);
    if (extName !== null) {
      if (!this.lim.allowedExtended.has(extName.toUpperCase())) this.report('allowed_extended_commands', extName, null);
      return;
    }
    const n = t.cmdCount;
    if (n === 1 && t.cmdLetter[0] === CMD_G && t.cmdSub[0]! < 0) {
      const major = t.cmdMajor[0]!;
      if (major <= 1 && this.lim.plainMove[major] === true) {
        // the common line, a lone `G0`/`G1` no command list names: what the general path
        // does for it in commands() (one consumer, S and F for the spindle and feed, no M command)
        const valued = t.valued;
        if ((valued & bit(F)) !== 0) this.setFeed(t);
        this.spindleStarted = false;
        if ((valued & bit(S)) !== 0) this.setSpindle(t.values[S]!, this.spindleOn);
        if ((t.present & bit(T)) !== 0) this.toolChange(t);
        this.motion = major;
        this.move(t, major, false);
        return;
      }
    }
    if (n === 0) {
      if (t.present === 0) return;
      this.wordsOnly(t);
      return;
    }
    this.commands(t, n);
  }

  /** RepRap host protocol: a line with `*cs` must carry the right checksum and the next line number. */
  private checkHostProtocol(t: LineTokens): void {
    if (t.checksumStated !== t.checksumComputed) this.report('checksum', t.checksumStated, t.checksumComputed);
    if (t.lineNumber >= 0) {
      const isM110 = t.cmdCount > 0 && t.cmdLetter[0] === CMD_M && t.cmdMajor[0] === 110;
      if (!isM110 && this.lastChecksummedN >= 0 && t.lineNumber !== this.lastChecksummedN + 1) {
        this.report('line_number', t.lineNumber, this.lastChecksummedN + 1);
      }
      this.lastChecksummedN = t.lineNumber;
    }
  }

  /** A line of words without G/M: a tool change (`T1`), a modal move (`X10 Y5`), or `S`/`F` alone. */
  private wordsOnly(t: LineTokens): void {
    const present = t.present;
    if ((present & bit(F)) !== 0 && (t.valued & bit(F)) !== 0) this.setFeed(t);
    if ((present & bit(T)) !== 0) this.toolChange(t);
    if ((present & bit(S)) !== 0 && (t.valued & bit(S)) !== 0) this.setSpindle(t.values[S]!, this.spindleOn);
    if ((present & (AXIS_WORDS | bit(E) | EXTRA_AXES)) !== 0) {
      if (this.motion === MOTION_NONE) this.report('unsupported_command', 'axis words without a motion mode', null);
      else this.move(t, this.motion, false);
    }
  }

  private commands(t: LineTokens, n: number): void {
    const lim = this.lim;
    let motion = MOTION_NONE;
    let consumers = 0; // commands that read the axis words
    let machineCoords = false;
    let spindleWords = true; // S and F belong to the spindle and feed
    let mCount = 0;
    for (let i = 0; i < n; i++) {
      const letter = t.cmdLetter[i]!;
      const major = t.cmdMajor[i]!;
      const sub = t.cmdSub[i]!;
      if (lim.forbidden.size > 0 && lim.forbidden.has(letter, major, sub)) this.report('forbidden_commands', commandName(letter, major, sub), null);
      if (lim.allowed !== null && !lim.allowed.has(letter, major, sub)) this.report('allowed_commands', commandName(letter, major, sub), null);
      if (letter === CMD_M) {
        mCount++;
        if (major !== 3 && major !== 4 && major !== 5) spindleWords = false;
        continue;
      }
      // G: modal settings take effect before the line's move (RS274/NGC order of execution)
      if (sub < 0) {
        switch (major) {
          case 0:
          case 1:
          case 2:
          case 3:
          case 5:
            motion = major;
            consumers++;
            continue;
          case 17:
            this.plane = 0;
            continue;
          case 18:
            this.plane = 1;
            continue;
          case 19:
            this.plane = 2;
            continue;
          case 20:
            this.unit = 25.4;
            continue;
          case 21:
            this.unit = 1;
            continue;
          case 53:
            machineCoords = true;
            continue;
          case 90:
            this.absolute = true;
            this.eRelative = false;
            continue;
          case 91:
            this.absolute = false;
            this.eRelative = true;
            continue;
          case 93:
            this.inverseTime = true;
            continue;
          case 94:
            this.inverseTime = false;
            continue;
        }
        if (MODAL_G.has(major)) continue;
      } else if (major === 38 && sub >= 2 && sub <= 5) {
        motion = MOTION_LINEAR; // probing move toward the target
        consumers++;
        continue;
      } else if ((major === 90 || major === 91) && sub === 1) {
        this.arcCentreAbsolute = major === 90;
        continue;
      }
      spindleWords = false;
      if (major === 31 && (t.present & XYZ) !== 0) {
        motion = MOTION_LINEAR; // Mach3 probe move `G31 Z-11.8`
        consumers++;
        continue;
      }
      consumers++;
    }
    const present = t.present;
    const valued = t.valued;
    if (consumers > 1 && (present & (AXIS_WORDS | bit(E))) !== 0) {
      // `G92 G1 X10`: which command do the axis words belong to? Firmwares disagree.
      this.report('malformed_line', 'conflicting_commands', null);
      return;
    }
    if (spindleWords && (valued & bit(F)) !== 0) this.setFeed(t);
    this.spindleStarted = false;
    if (mCount > 0) this.mCommands(t, n);
    if (spindleWords) {
      if ((valued & bit(S)) !== 0) this.setSpindle(t.values[S]!, this.spindleOn);
      else if (this.spindleStarted) this.setSpindle(this.spindleS, true);
    }
    if (mCount === 0 && (present & bit(T)) !== 0) this.toolChange(t);
    for (let i = 0; i < n && (n > 1 || motion === MOTION_NONE); i++) {
      if (t.cmdLetter[i] !== CMD_G) continue;
      const major = t.cmdMajor[i]!;
      const sub = t.cmdSub[i]!;
      if (motion !== MOTION_NONE && (major === motion || major === 38 || major === 31)) continue;
      this.gCommand(t, major, sub);
    }
    if (motion !== MOTION_NONE) {
      if (motion <= MOTION_CCW || motion === MOTION_BEZIER) this.motion = motion;
      this.move(t, motion, machineCoords);
    } else if (consumers === 0 && spindleWords && (present & (AXIS_WORDS | bit(E) | EXTRA_AXES)) !== 0) {
      // modal settings, M3/M4/M5 and axis words: the modal motion mode moves (`G90 X10`, `X5 M3 S1000`)
      if (this.motion === MOTION_NONE) this.report('unsupported_command', 'axis words without a motion mode', null);
      else this.move(t, this.motion, machineCoords);
    }
  }

  private gCommand(t: LineTokens, major: number, sub: number): void {
    const present = t.present;
    if (sub >= 0) {
      if (major === 92 && (sub === 1 || sub === 2)) {
        this.offset.fill(0);
        this.offsetUnknown = 0;
        return;
      }
      if ((major === 90 || major === 91) && sub === 1) return;
      if (major === 38) return;
      if ((major >= 54 && major <= 59) || MACHINE_DEFINED_MOVE_G.has(major)) return this.afterMachineMove(major);
      if ((present & AXIS_WORDS) !== 0) this.report('unsupported_command', commandName(CMD_G, major, sub), null);
      return;
    }
    switch (major) {
      case 4: {
        const v = t.values;
        if ((t.valued & bit(P)) !== 0) this.seconds += v[P]! / 1000;
        else if ((t.valued & bit(S)) !== 0) this.seconds += v[S]!;
        return;
      }
      case 10:
        if ((present & bit(L)) !== 0) {
          if (this.lim.volMask !== 0) this.report('coordinate_transform', 'G10', null);
        } else if ((present & bit(P)) !== 0) {
          this.nozzleTemperature(t); // RepRapFirmware `G10 P0 S205 R150`: tool temperatures
        }
        return;
      case 11:
        return;
      case 28:
        return this.home(present);
      case 92:
        return this.setPosition(t);
      case 31:
        return; // Marlin: dock the probe sled (no axis words)
    }
    if (MODAL_G.has(major)) return;
    if (MACHINE_DEFINED_MOVE_G.has(major)) return this.afterMachineMove(major);
    if (UNSUPPORTED_G.has(major) || (present & AXIS_WORDS) !== 0) this.report('unsupported_command', commandName(CMD_G, major, -1), null);
  }

  private afterMachineMove(major: number): void {
    if (major >= 54 && major <= 59) return; // work offsets: taken as zero (see file comment)
    this.known = 0;
  }

  private mCommands(t: LineTokens, n: number): void {
    const v = t.values;
    const valued = t.valued;
    for (let i = 0; i < n; i++) {
      if (t.cmdLetter[i] !== CMD_M) continue;
      const major = t.cmdMajor[i]!;
      switch (major) {
        case 3:
        case 4:
          this.spindleOn = true;
          this.spindleStarted = true; // its power is checked with the line's S (or the modal S)
          break;
        case 5:
          this.spindleOn = false;
          break;
        case 6:
          if ((t.present & bit(T)) !== 0) this.toolChange(t);
          break;
        case 82:
          this.eRelative = false;
          break;
        case 83:
          this.eRelative = true;
          break;
        case 104:
        case 109:
        case 568:
          this.nozzleTemperature(t);
          break;
        case 140:
        case 190:
          this.bedTemperature(t);
          break;
        case 141:
        case 191:
          this.chamberTemperature(t);
          break;
        case 303:
          if ((valued & bit(S)) !== 0) {
            const heater = (valued & bit(E)) !== 0 ? v[E]! : 0;
            if (heater === -1) this.bedValue(v[S]!);
            else if (heater === -2) this.chamberValue(v[S]!);
            else this.nozzleValue(v[S]!);
          }
          break;
        case 201:
          for (const axis of M201_WORDS) if ((valued & bit(axis)) !== 0) this.acceleration(v[axis]! * this.unit);
          break;
        case 204:
          for (const w of M204_WORDS) if ((valued & bit(w)) !== 0) this.acceleration(v[w]! * this.unit);
          break;
        case 220:
          if ((t.present & bit(B)) !== 0) this.feedFactorSaved = this.feedFactor;
          if ((t.present & bit(R)) !== 0) this.feedFactor = this.feedFactorSaved;
          if ((valued & bit(S)) !== 0) this.feedFactor = v[S]! / 100;
          break;
        case 221:
          if ((valued & bit(S)) !== 0) this.flowFactor = v[S]! / 100;
          break;
        case 110:
          this.lastChecksummedN = (valued & bit(N)) !== 0 ? v[N]! : t.lineNumber;
          break;
        default:
          if (TRANSFORM_M.has(major) && this.lim.volMask !== 0) this.report('coordinate_transform', commandName(CMD_M, major, t.cmdSub[i]!), null);
      }
    }
  }

  /** F: the modal feed (F ≤ 0 is ignored, as Marlin does). */
  private setFeed(t: LineTokens): void {
    const f = t.values[F]!;
    if (f > 0) this.feed = this.inverseTime ? f : f * this.unit;
  }

  private setSpindle(s: number, on: boolean): void {
    this.spindleS = s;
    if (!on) return;
    if (s > this.maxSpindle) this.maxSpindle = s;
    if (!(s <= this.lim.spindle)) this.report('spindle_rpm', s, this.lim.spindle);
    const power = s / this.lim.sMax;
    if (!(power <= this.lim.laser)) this.report('laser_power', power, this.lim.laser);
  }

  /** A tool change (`T1`, `M6 T1`): the tool must be allowed, and `T<n>` is a command for the command lists. */
  private toolChange(t: LineTokens): void {
    if ((t.valued & bit(T)) === 0) {
      this.report('malformed_line', 'tool_without_number', null);
      return;
    }
    const tool = t.values[T]!;
    const lim = this.lim;
    if (tool >= 0 && tool === Math.floor(tool)) {
      if (lim.forbidden.size > 0 && lim.forbidden.has(T, tool, -1)) this.report('forbidden_commands', `T${tool}`, null);
      if (lim.allowed !== null && !lim.allowed.has(T, tool, -1)) this.report('allowed_commands', `T${tool}`, null);
    }
    this.checkTool(tool);
  }

  private checkTool(tool: number): void {
    if (this.toolsUsed.size < 64) this.toolsUsed.add(tool);
    const tools = this.lim.tools;
    if (tools !== null && !tools.has(tool)) this.report('tools', tool, this.lim.toolsList);
  }

  private nozzleTemperature(t: LineTokens): void {
    const v = t.values;
    const valued = t.valued;
    if ((valued & bit(T)) !== 0) this.checkTool(v[T]!);
    if ((valued & bit(S)) !== 0) this.nozzleValue(v[S]!);
    if ((valued & bit(R)) !== 0) this.nozzleValue(v[R]!);
    if ((valued & bit(B)) !== 0) this.nozzleValue(v[B]!); // Marlin autotemp upper bound
  }

  private nozzleValue(c: number): void {
    if (c > this.maxNozzle) this.maxNozzle = c;
    if (!(c <= this.lim.nozzle)) this.report('nozzle_temp_c', c, this.lim.nozzle);
  }

  private bedTemperature(t: LineTokens): void {
    if ((t.valued & bit(S)) !== 0) this.bedValue(t.values[S]!);
    if ((t.valued & bit(R)) !== 0) this.bedValue(t.values[R]!);
  }

  private bedValue(c: number): void {
    if (c > this.maxBed) this.maxBed = c;
    if (!(c <= this.lim.bed)) this.report('bed_temp_c', c, this.lim.bed);
  }

  private chamberTemperature(t: LineTokens): void {
    if ((t.valued & bit(S)) !== 0) this.chamberValue(t.values[S]!);
    if ((t.valued & bit(R)) !== 0) this.chamberValue(t.values[R]!);
  }

  private chamberValue(c: number): void {
    if (c > this.maxChamber) this.maxChamber = c;
    if (!(c <= this.lim.chamber)) this.report('chamber_temp_c', c, this.lim.chamber);
  }

  private acceleration(a: number): void {
    if (a > this.maxAccel) this.maxAccel = a;
    if (!(a <= this.lim.accel)) this.report('acceleration_mm_s2', a, this.lim.accel);
  }

  /** G28: the named axes (all if none) go home to 0 and lose their G92 offsets. */
  private home(present: number): void {
    const axes = (present & XYZ) === 0 ? 7 : ((present >> X) & 7);
    for (let a = 0; a < 3; a++) {
      if ((axes & (1 << a)) === 0) continue;
      this.pos[a] = 0;
      this.offset[a] = 0;
      this.known |= 1 << a;
      this.offsetUnknown &= ~(1 << a);
    }
  }

  /** G92: the current position is now called the given logical position. */
  private setPosition(t: LineTokens): void {
    const v = t.values;
    const valued = t.valued;
    for (let a = 0; a < 3; a++) {
      if ((valued & bit(X + a)) === 0) continue;
      if ((this.known & (1 << a)) !== 0) {
        this.offset[a] = this.pos[a]! - v[X + a]! * this.unit;
        this.offsetUnknown &= ~(1 << a);
      } else {
        this.offsetUnknown |= 1 << a;
      }
    }
    if ((valued & bit(E)) !== 0) this.eLogical = v[E]! * this.unit;
  }

  /** Execute a move: G0/G1 (and probes), G2/G3 arcs, G5 Bézier. */
  private move(t: LineTokens, motion: number, machineCoords: boolean): void {
    const v = t.values;
    const valued = t.valued;
    const present = t.present;
    const unit = this.unit;
    const lim = this.lim;
    if ((present & EXTRA_AXES) !== 0) this.report('unsupported_axis', extraAxisName(present), null);
    const pos = this.pos;
    const target = this.target;
    let targeted = 0;
    let known = this.known;
    if ((valued & XYZ) === 0) {
      target[0] = pos[0]!;
      target[1] = pos[1]!;
      target[2] = pos[2]!;
    } else if (machineCoords || !this.absolute || this.offsetUnknown !== 0) {
      for (let a = 0; a < 3; a++) {
        target[a] = pos[a]!;
        if ((valued & bit(X + a)) === 0) continue;
        targeted |= 1 << a;
        const w = v[X + a]! * unit;
        if (machineCoords) {
          target[a] = w;
          known |= 1 << a;
        } else if (this.absolute) {
          target[a] = w + this.offset[a]!;
          if ((this.offsetUnknown & (1 << a)) !== 0) known &= ~(1 << a);
          else known |= 1 << a;
        } else {
          target[a] = pos[a]! + w;
        }
      }
    } else {
      // the common case: absolute coordinates with known offsets
      const offset = this.offset;
      target[0] = (valued & bit(X)) !== 0 ? v[X]! * unit + offset[0]! : pos[0]!;
      target[1] = (valued & bit(Y)) !== 0 ? v[Y]! * unit + offset[1]! : pos[1]!;
      target[2] = (valued & bit(Z)) !== 0 ? v[Z]! * unit + offset[2]! : pos[2]!;
      targeted = (valued >>> X) & 7;
      known |= targeted;
    }
    let eDelta = 0;
    if ((valued & bit(E)) !== 0) {
      const e = v[E]! * unit;
      if (this.eRelative) {
        eDelta = e;
        this.eLogical += e;
      } else {
        eDelta = e - this.eLogical;
        this.eLogical = e;
      }
    }
    const unknownTargets = targeted & ~known & lim.volMask;
    if (unknownTargets !== 0) this.report('position_unknown', axisNames(unknownTargets), null);

    const dx = target[0]! - pos[0]!;
    const dy = target[1]! - pos[1]!;
    const dz = target[2]! - pos[2]!;
    let length: number;
    if (motion === MOTION_CW || motion === MOTION_CCW) {
      const arcLength = this.arc(t, motion === MOTION_CW, known, targeted);
      if (arcLength < 0) {
        this.eLogical -= eDelta; // the firmware refuses the arc: nothing moves
        return;
      }
      length = arcLength;
    } else {
      length = Math.sqrt(dx * dx + dy * dy + dz * dz);
      if (motion === MOTION_BEZIER) this.bezierBounds(t, known);
      this.include(target, targeted & known);
    }
    // the target becomes the position, the old position the move's start (for layer())
    this.target = this.start;
    this.start = pos;
    this.pos = target;
    this.known = known;
    if (targeted === 0 && eDelta === 0 && (valued & (bit(E) | ARC_WORDS)) === 0) return;
    this.moves++;

    // feed and time
    const feed = this.inverseTime ? length * this.feed : this.feed * this.feedFactor;
    if (length > 0) {
      if (feed > this.maxFeed) this.maxFeed = feed;
      if (!(feed <= lim.feed * (1 + 1e-12))) {
        if (feed === feed) this.report('feed_rate_mm_min', feed, lim.feed);
      }
      if (feed > 0) this.seconds += this.inverseTime ? 60 / this.feed : (length / feed) * 60;
    } else if (eDelta !== 0 && feed > 0) {
      this.seconds += (Math.abs(eDelta) / feed) * 60;
    }

    // extrusion and layers
    if (eDelta !== 0) {
      const flowed = eDelta * this.flowFactor;
      const before = this.extrusion;
      this.extrusion = before + flowed;
      if (before <= lim.extrusion && !(this.extrusion <= lim.extrusion)) this.report('extrusion_mm', this.extrusion, lim.extrusion);
      if (flowed > 0 && length > 0 && (known & 7) === 7) this.layer();
    }
  }

  /**
   * Layer bookkeeping for the extruding move just made, from `start` to `pos` (read from the
   * arrays: doubles passed to a call that is not inlined would each be boxed on the heap). A new planar layer rests on the highest recent layer whose XY extent holds
   * the move (so a prime line beside the part, or the previous object of a sequential print, is
   * not taken for the layer below); with none, it rests on the bed at Z = 0.
   */
  private layer(): void {
    const sx = this.start[0]!;
    const sy = this.start[1]!;
    const ex = this.pos[0]!;
    const ey = this.pos[1]!;
    const z = this.pos[2]!;
    const dz = z - this.start[2]!;
    const ring = this.ring;
    if (Math.abs(dz) <= LENGTH_EPS) {
      const cur = this.planarLayer;
      if (cur >= 0 && Math.abs(z - ring[cur * 5]!) <= LENGTH_EPS) {
        this.grow(cur);
        return;
      }
      const rising = this.risingLayer;
      if (rising >= 0 && z <= ring[rising * 5]! + LENGTH_EPS && this.holds(rising, ex, ey)) {
        this.grow(rising); // a level step of a spiral: part of that surface, not a layer
        return;
      }
      let below = 0;
      for (let i = 0; i < this.ringSize; i++) {
        const zi = ring[i * 5]!;
        if (zi < z - LENGTH_EPS && zi > below && (this.holds(i, sx, sy) || this.holds(i, ex, ey))) below = zi;
      }
      const height = z - below;
      this.layers++;
      if (height < this.minLayer) this.minLayer = height;
      if (height > this.maxLayer) this.maxLayer = height;
      if (height < this.lim.layerMin - LENGTH_EPS) this.report('layer_height_mm', height, this.lim.layerMin);
      else if (height > this.lim.layerMax + LENGTH_EPS) this.report('layer_height_mm', height, this.lim.layerMax);
      this.planarLayer = this.newLayer(z, sx, sy, ex, ey);
    } else if (dz > 0) {
      // rising while extruding (spiral vase, non-planar): its own rise is the only height known;
      // the surface it builds is one more "layer" for planar layers above to rest on
      if (dz < this.lim.layerMin - LENGTH_EPS) this.report('layer_height_mm', dz, this.lim.layerMin);
      const cur = this.risingLayer;
      if (cur >= 0) {
        this.grow(cur);
        if (z > ring[cur * 5]!) ring[cur * 5] = z;
      } else {
        this.risingLayer = this.newLayer(z, sx, sy, ex, ey);
      }
    }
  }

  /** Store a layer in the ring (replacing the oldest); returns its index. */
  private newLayer(z: number, sx: number, sy: number, ex: number, ey: number): number {
    const i = this.ringNext;
    this.ringNext = (i + 1) % RING;
    if (this.ringSize < RING) this.ringSize++;
    if (this.planarLayer === i) this.planarLayer = -1;
    if (this.risingLayer === i) this.risingLayer = -1;
    const o = i * 5;
    this.ring[o] = z;
    this.ring[o + 1] = Math.min(sx, ex);
    this.ring[o + 2] = Math.max(sx, ex);
    this.ring[o + 3] = Math.min(sy, ey);
    this.ring[o + 4] = Math.max(sy, ey);
    return i;
  }

  /** Widen layer `i` to hold the move just made. */
  private grow(i: number): void {
    const sx = this.start[0]!;
    const sy = this.start[1]!;
    const ex = this.pos[0]!;
    const ey = this.pos[1]!;
    const r = this.ring;
    const o = i * 5;
    if (ex < r[o + 1]!) r[o + 1] = ex;
    if (ex > r[o + 2]!) r[o + 2] = ex;
    if (ey < r[o + 3]!) r[o + 3] = ey;
    if (ey > r[o + 4]!) r[o + 4] = ey;
    if (sx < r[o + 1]!) r[o + 1] = sx;
    if (sx > r[o + 2]!) r[o + 2] = sx;
    if (sy < r[o + 3]!) r[o + 3] = sy;
    if (sy > r[o + 4]!) r[o + 4] = sy;
  }

  private holds(i: number, x: number, y: number): boolean {
    const r = this.ring;
    const o = i * 5;
    return x >= r[o + 1]! - LAYER_MARGIN && x <= r[o + 2]! + LAYER_MARGIN && y >= r[o + 3]! - LAYER_MARGIN && y <= r[o + 4]! + LAYER_MARGIN;
  }

  /**
   * G2/G3 in the selected plane. Returns the path length, or -1 when the firmware would refuse
   * the arc (no centre given): the position then stays where it is.
   */
  private arc(t: LineTokens, clockwise: boolean, known: number, targeted: number): number {
    const plane = this.plane;
    // plane axes (p, q) and linear axis l as indexes 0..2, with their centre-offset letters
    const p = plane === 0 ? 0 : plane === 1 ? 2 : 1;
    const q = plane === 0 ? 1 : plane === 1 ? 0 : 2;
    const l = 3 - p - q;
    const op = p === 0 ? I : p === 1 ? J : K;
    const oq = q === 0 ? I : q === 1 ? J : K;
    const v = t.values;
    const valued = t.valued;
    const pos = this.pos;
    const target = this.target;
    const planeBits = (1 << p) | (1 << q);
    if ((known & planeBits) !== planeBits || (this.known & planeBits) !== planeBits) {
      // the arc's centre or start is not known: its bulge cannot be checked
      const notYetReported = planeBits & ~(known & this.known) & ~(targeted & ~known) & this.lim.volMask;
      if (notYetReported !== 0) this.report('position_unknown', axisNames(notYetReported), null);
      this.include(target, targeted & known);
      return 0;
    }
    const sp = pos[p]!;
    const sq = pos[q]!;
    const ep = target[p]!;
    const eq = target[q]!;
    const centre = this.centre;
    if ((valued & (bit(op) | bit(oq))) !== 0) {
      const ip = (valued & bit(op)) !== 0 ? v[op]! * this.unit : 0;
      const iq = (valued & bit(oq)) !== 0 ? v[oq]! * this.unit : 0;
      centre[0] = this.arcCentreAbsolute ? ip + this.offset[p]! : sp + ip;
      centre[1] = this.arcCentreAbsolute ? iq + this.offset[q]! : sq + iq;
      if (!this.arcCentreAbsolute && ip === 0 && iq === 0) {
        this.report('malformed_line', 'arc_without_centre', null);
        return -1;
      }
    } else if ((valued & bit(R)) !== 0) {
      if (!arcCentreFromRadius(sp, sq, ep, eq, v[R]! * this.unit, clockwise, centre)) {
        this.include(target, targeted & known);
        return 0; // zero chord or R0: Marlin does not move in the plane
      }
    } else {
      this.report('malformed_line', 'arc_without_centre', null);
      return -1;
    }
    const out = this.scratch;
    const sweep = arcBounds(sp, sq, ep, eq, centre[0]!, centre[1]!, clockwise, out);
    // the plane box, then the linear axis end point
    this.reach(p, out, 0, 1);
    this.reach(q, out, 2, 3);
    if ((targeted & known & (1 << l)) !== 0) this.reach(l, target, l, l);
    const planar = sweep * out[4]!;
    const dl = target[l]! - pos[l]!;
    return Math.sqrt(planar * planar + dl * dl);
  }

  /** G5: the curve lies inside the hull of start, start + (I, J), end + (P, Q), end (XY plane). */
  private bezierBounds(t: LineTokens, known: number): void {
    if ((known & 3) !== 3) return;
    const v = t.values;
    const valued = t.valued;
    const u = this.unit;
    const i = (valued & bit(I)) !== 0 ? v[I]! * u : 0;
    const j = (valued & bit(J)) !== 0 ? v[J]! * u : 0;
    const pp = (valued & bit(P)) !== 0 ? v[P]! * u : 0;
    const qq = (valued & bit(Q)) !== 0 ? v[Q]! * u : 0;
    const point = this.point;
    point[0] = this.pos[0]! + i;
    point[1] = this.pos[1]! + j;
    this.reach(0, point, 0, 0);
    this.reach(1, point, 1, 1);
    point[0] = this.target[0]! + pp;
    point[1] = this.target[1]! + qq;
    this.reach(0, point, 0, 0);
    this.reach(1, point, 1, 1);
  }

  /** Check and record the end point of a move on the axes it reached. */
  private include(target: Float64Array, axes: number): void {
    if ((axes & 1) !== 0) this.reach(0, target, 0, 0);
    if ((axes & 2) !== 0) this.reach(1, target, 1, 1);
    if ((axes & 4) !== 0) this.reach(2, target, 2, 2);
  }

  /**
   * The tool reaches [values[loIndex], values[hiIndex]] on `axis`: grow the bounding box and check
   * the build volume. (Values come in an array: doubles passed as arguments to a call that is not
   * inlined are boxed on the heap, and this runs for every move.)
   */
  private reach(axis: number, values: Float64Array, loIndex: number, hiIndex: number): void {
    const lo = values[loIndex]!;
    const hi = values[hiIndex]!;
    if (lo < this.boxLo[axis]!) this.boxLo[axis] = lo;
    if (hi > this.boxHi[axis]!) this.boxHi[axis] = hi;
    const vlo = this.lim.volLo[axis]!;
    const vhi = this.lim.volHi[axis]!;
    if (!(hi <= vhi + LENGTH_EPS)) this.report(`build_volume_mm.${AXIS_NAMES[axis]}`, hi, [vlo, vhi]);
    else if (!(lo >= vlo - LENGTH_EPS)) this.report(`build_volume_mm.${AXIS_NAMES[axis]}`, lo, [vlo, vhi]);
  }

  /** Statistics so far (`format`, `bytes`, `lines` and `violation_count` are filled by the checker). */
  stats(): Omit<GcodeStats, 'format' | 'bytes' | 'lines' | 'violation_count'> {
    const range = (a: number): [number, number] | null =>
      this.boxLo[a]! <= this.boxHi[a]! ? [this.boxLo[a]!, this.boxHi[a]!] : null;
    const orNull = (x: number) => (Number.isFinite(x) ? x : null);
    return {
      moves: this.moves,
      layers: this.layers,
      bounding_box_mm: { x: range(0), y: range(1), z: range(2) },
      max_nozzle_temp_c: orNull(this.maxNozzle),
      max_bed_temp_c: orNull(this.maxBed),
      max_chamber_temp_c: orNull(this.maxChamber),
      max_feed_rate_mm_min: orNull(this.maxFeed),
      max_acceleration_mm_s2: orNull(this.maxAccel),
      max_laser_power: Number.isFinite(this.maxSpindle) ? this.maxSpindle / this.lim.sMax : null,
      max_spindle_s: orNull(this.maxSpindle),
      min_layer_height_mm: orNull(this.minLayer),
      max_layer_height_mm: orNull(this.maxLayer),
      extrusion_mm: this.extrusion,
      estimated_time_s: this.seconds,
      tools_used: [...this.toolsUsed].sort((a, b) => a - b),
    };
  }
}

function axisNames(mask: number): string {
  return (mask & 1 ? 'x' : '') + (mask & 2 ? 'y' : '') + (mask & 4 ? 'z' : '');
}

function extraAxisName(present: number): string {
  let s = '';
  for (const [letter, name] of [[A, 'A'], [B, 'B'], [C, 'C'], [U, 'U'], [V, 'V'], [W, 'W']] as const) if (present & bit(letter)) s += name;
  return s;
}
