import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FabgateError } from '../shared/errors.js';
import { envelopeJsonSchema, envelopeJsonSchemaText, parseEnvelope } from './envelope.js';

const schemaFile = fileURLToPath(new URL('./envelope.schema.json', import.meta.url));

describe('envelope', () => {
  it('envelope.schema.json is the JSON Schema generated from the zod schema (UPDATE_SCHEMA=1 rewrites it)', () => {
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(schemaFile, envelopeJsonSchemaText());
    expect(readFileSync(schemaFile, 'utf8')).toBe(envelopeJsonSchemaText());
    const schema = envelopeJsonSchema() as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['build_volume_mm', 'nozzle_temp_c', 'bed_temp_c', 'chamber_temp_c', 'laser_power', 'feed_rate_mm_min', 'acceleration_mm_s2', 'layer_height_mm', 'tools', 'forbidden_commands', 'allowed_commands', 'extrusion_mm']),
    );
    expect(schema.additionalProperties).toBe(false);
  });

  it('accepts the example of issue 8 verbatim, and the empty envelope', () => {
    const example = {
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
    expect(parseEnvelope(example)).toEqual(example);
    expect(parseEnvelope({})).toEqual({});
  });

  it.each<[unknown, string]>([
    [{ humidity_pct: { max: 40 } }, 'an unknown constraint (fail closed)'],
    [{ nozzle_temp_c: { max: 260, min: 180 } }, 'an unknown sub-field'],
    [{ build_volume_mm: { x: [0] } }, 'a range without max'],
    [{ build_volume_mm: { x: [10, 0] } }, 'min above max'],
    [{ layer_height_mm: { min: 0.3, max: 0.1 } }, 'layer min above max'],
    [{ nozzle_temp_c: { max: '260' } }, 'a number as text'],
    [{ forbidden_commands: ['M302 S1'] }, 'a command with words'],
    [{ tools: [-1] }, 'a negative tool'],
    [{ laser_power: { max: 0.8, s_max: 0 } }, 'a zero full-power S'],
    [[], 'not an object'],
  ])('refuses %j (%s) with GCODE_ENVELOPE_INVALID', (input) => {
    try {
      parseEnvelope(input);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FabgateError);
      expect((e as FabgateError).code).toBe('GCODE_ENVELOPE_INVALID');
    }
  });
});
