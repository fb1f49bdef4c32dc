import { createReadStream, readFileSync } from 'node:fs';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { FabgateError } from '../shared/errors.js';
import { sharedData } from '../shared/test-support/shared-data.js';
import { checkBytes, type CheckResult } from './checker.js';
import { parseEnvelope } from './envelope.js';
import { checkStream, createGcodeGate } from './stream.js';

const ENVELOPE = parseEnvelope({ build_volume_mm: { x: [0, 250], y: [0, 210], z: [0, 210] }, nozzle_temp_c: { max: 260 }, forbidden_commands: ['M302'] });

/** Collects what comes out of the gate, like a printer's serial port would. */
function sink() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('latin1') };
}

describe('checkStream', () => {
  it('checks a file stream in small chunks with the same result as the whole buffer', async () => {
    const path = sharedData('gcode', 'prusaslicer', 'screw.gcode');
    const streamed = await checkStream(createReadStream(path, { highWaterMark: 1000 }), ENVELOPE);
    expect(streamed).toEqual(checkBytes(new Uint8Array(readFileSync(path)), ENVELOPE));
  });

  it('refuses a stream that yields strings (an encoding was set)', async () => {
    const path = sharedData('gcode', 'prusaslicer', 'screw.gcode');
    await expect(checkStream(createReadStream(path, { encoding: 'utf8' }), ENVELOPE)).rejects.toMatchObject({ code: 'GCODE_STREAM_NOT_BINARY' });
  });
});

describe('createGcodeGate', () => {
  it('passes every checked line through when the program is inside the envelope', async () => {
    const out = sink();
    let result: CheckResult | undefined;
    await pipeline(Readable.from([Buffer.from('G28\r\nG1 X10 ; go\nM104 S200')]), createGcodeGate(ENVELOPE, { onResult: (r) => (result = r) }), out.stream);
    expect(out.text()).toBe('G28\nG1 X10 ; go\nM104 S200\n');
    expect(result?.ok).toBe(true);
  });

  it('stops before the first violating line: nothing from that line on reaches the printer', async () => {
    const out = sink();
    const input = Readable.from([Buffer.from('G28\nG1 X10\nM104 S2'), Buffer.from('90\nG1 X20\n'), Buffer.from('G1 X30\n')]);
    const failure = await pipeline(input, createGcodeGate(ENVELOPE), out.stream).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FabgateError);
    expect(failure).toMatchObject({ code: 'GCODE_ENVELOPE_VIOLATION', kind: 'forbidden', details: { line: 3, rule: 'nozzle_temp_c', value: 290 } });
    expect(out.text()).toBe('G28\nG1 X10\n');
  });

  it('forwards decoded G-code for a .bgcode program and stops at its forbidden M302', async () => {
    const out = sink();
    const source = new PassThrough();
    source.end(readFileSync(sharedData('gcode', 'libbgcode', 'tests', 'data', 'mini_cube_ps2.8.1.bgcode')));
    const mk4s = parseEnvelope({ ...ENVELOPE, build_volume_mm: { x: [0, 250], y: [-4, 210], z: [0, 220] } }); // the MK4S purges at Y-4
    const failure = await pipeline(source, createGcodeGate(mk4s), out.stream).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'GCODE_ENVELOPE_VIOLATION', details: { rule: 'forbidden_commands', value: 'M302' } });
    const forwarded = out.text().split('\n');
    expect(forwarded.at(-2)).toBe('G1 X42 Y-4 Z5 F4800'); // the line before `M302 S160`
    expect(forwarded).not.toContain('M302 S160');
  });

  it('passes errors on: binary input fails the pipeline with its code', async () => {
    const failure = await pipeline(Readable.from([Buffer.from([0x47, 0x31, 0x00])]), createGcodeGate(ENVELOPE), sink().stream).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'GCODE_BINARY_INPUT' });
  });
});
