/**
 * The parameter envelope a print ticket carries: the limits a G-code program must stay inside.
 *
 * The field names of issue 8 are fixed so that tickets from other issuers work; every field is
 * optional and an absent field means "unconstrained". Fabgate adds a few fields (marked below).
 *
 * The schema is strict: an envelope with a field this checker does not know is refused
 * (`GCODE_ENVELOPE_INVALID`). An unknown field is most likely a constraint from a newer issuer;
 * silently ignoring it would let a program through that the issuer meant to stop (fail closed).
 *
 * `envelope.schema.json` beside this file is generated from {@link EnvelopeSchema} with
 * `z.toJSONSchema` (a test keeps it up to date) and is the document other issuers implement.
 */
import { z } from 'zod';
import { FabgateError } from '../shared/errors.js';
import { describeIssues } from '../shared/zod-issues.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** `[min, max]` in millimetres, machine coordinates, inclusive. */
const AxisRange = z
  .tuple([finite, finite])
  .refine(([lo, hi]) => lo <= hi, 'min must not exceed max')
  .describe('Inclusive [min, max] in millimetres, machine coordinates');

const Maximum = (what: string) =>
  z.strictObject({ max: finite.describe(`Highest allowed ${what}`) }).describe(`Upper limit on ${what}`);

/**
 * A G-code command name as written in the envelope: a letter and a number, optionally with a
 * subcode (`M302`, `G29`, `M862.3`, `G92.1`). Case and leading zeros do not matter (`g01` = `G1`).
 * A name without subcode matches every subcode of that command (`G92` also matches `G92.1`).
 */
export const CommandName = z
  .string()
  .regex(/^[GMTgmt]\d{1,5}(\.\d{1,3})?$/, 'a command name such as M302, G29 or M862.3');

/** A Klipper-style extended command name (`PRINT_START`, `EXCLUDE_OBJECT_DEFINE`). */
const ExtendedCommandName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'an extended command name such as PRINT_START');

export const EnvelopeSchema = z
  .strictObject({
    build_volume_mm: z
      .strictObject({ x: AxisRange.optional(), y: AxisRange.optional(), z: AxisRange.optional() })
      .describe('Every position the tool reaches (moves, arc bulges) must lie inside these ranges')
      .optional(),
    nozzle_temp_c: Maximum('nozzle (hotend) temperature in °C: M104/M109 S, R and B, M303, G10/M568 S and R').optional(),
    bed_temp_c: Maximum('bed temperature in °C: M140/M190 S and R').optional(),
    chamber_temp_c: Maximum('chamber temperature in °C: M141/M191 S and R').optional(),
    laser_power: z
      .strictObject({
        max: finite.describe('Highest allowed power as a fraction of full power (0..1)'),
        s_max: z
          .number()
          .positive()
          .refine(Number.isFinite)
          .optional()
          .describe('Fabgate addition: the S value that means full power (Marlin PWM: 255, the default; GRBL: 1000). Power = S / s_max.'),
      })
      .describe('Laser power while M3/M4 is on, from the S word; fraction = S / s_max')
      .optional(),
    spindle_rpm: Maximum('spindle speed (the raw S word of M3/M4) — Fabgate addition for CNC').optional(),
    feed_rate_mm_min: Maximum('feed rate of a move in mm/min, after G20 inch conversion and the M220 override').optional(),
    acceleration_mm_s2: Maximum('acceleration in mm/s² set by M201 X/Y/Z and M204 P/S/T').optional(),
    layer_height_mm: z
      .strictObject({ min: finite.optional(), max: finite.optional() })
      .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must not exceed max')
      .describe('Height of each new planar layer (Z rise between extruding layers), and the Z rise of non-planar extruding moves against min')
      .optional(),
    tools: z
      .array(z.number().int().min(0))
      .describe('Tool numbers the program may select (T commands, M6 T, M104/M109 T)')
      .optional(),
    forbidden_commands: z
      .array(CommandName)
      .describe(
        'Commands that must not appear. Worth forbidding besides M302/M500/M502: M28/M32/M23/M24 (SD-card files bypass the checker), M211 (software endstops off), M997 (firmware update), M303 (PID autotune)',
      )
      .optional(),
    allowed_commands: z
      .array(CommandName)
      .nullable()
      .describe('If a list, only these commands may appear (tool changes are named T0, T1, …); null = all not forbidden')
      .optional(),
    allowed_extended_commands: z
      .array(ExtendedCommandName)
      .describe(
        'Fabgate addition: Klipper-style extended commands (PRINT_START, …) the program may use. Absent = none; such commands are refused because macros can do anything.',
      )
      .optional(),
    extrusion_mm: Maximum('net filament extruded in mm (E axis, after M221 flow)').optional(),
  })
  .describe('Fabgate G-code parameter envelope (issue 8); every field optional, absent = unconstrained');

export type Envelope = z.infer<typeof EnvelopeSchema>;

/**
 * Validate an envelope once at the boundary (a ticket, a file, a request body).
 * @throws FabgateError `GCODE_ENVELOPE_INVALID` with the zod issues in `details`.
 */
export function parseEnvelope(input: unknown): Envelope {
  const result = EnvelopeSchema.safeParse(input);
  if (!result.success) {
    throw new FabgateError(
      'GCODE_ENVELOPE_INVALID',
      `envelope is not valid: ${describeIssues(result.error)}`,
      'invalid_input',
      { issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) },
    );
  }
  return result.data;
}

/** The published JSON Schema of the envelope (`envelope.schema.json`, generated from {@link EnvelopeSchema}). */
export function envelopeJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(EnvelopeSchema),
    $id: 'https://fabgate.dev/schemas/gcode-envelope.schema.json',
    title: 'Fabgate G-code parameter envelope',
  };
}

/** `envelope.schema.json` as committed: the schema, pretty-printed, with a final newline. */
export function envelopeJsonSchemaText(): string {
  return JSON.stringify(envelopeJsonSchema(), null, 2) + '\n';
}
