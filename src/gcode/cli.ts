/**
 * `fabgate gcode check --envelope ENV.json FILE [--json]`: check a G-code program (text or
 * PrusaSlicer .bgcode; `-` reads stdin) against a parameter envelope.
 *
 * With --json it prints exactly the checker's result as one JSON object:
 * `{"ok", "violations": [{"line", "rule", "value", "limit"}], "stats", "sha256"}`.
 * Exit codes: 0 inside the envelope, 1 violations found, 2 unreadable input or invalid envelope.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliExit, EXIT, emit, type CliIO } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { FabgateError } from '../shared/errors.js';
import type { CheckResult } from './checker.js';
import { parseEnvelope, type Envelope } from './envelope.js';
import { checkStream, type ByteSource } from './stream.js';

/** An envelope is a small JSON document; anything bigger is not one. */
const MAX_ENVELOPE_BYTES = 1024 * 1024;

export const registerGcodeCommands: CommandRegistrar = (program: Command, { io }) => {
  const gcode = program.command('gcode').description('G-code programs: check them against a print envelope');
  gcode
    .command('check')
    .description('check a G-code or .bgcode program against a parameter envelope (exit 0 ok, 1 violations, 2 bad input)')
    .requiredOption('--envelope <file>', 'the envelope JSON (the same document a print ticket carries)')
    .option('--json', 'print the result as one JSON object')
    .option('--max-violations <n>', 'violations to list (the rest are counted)', (v) => positiveInt(v), 1000)
    .argument('<file>', 'the G-code program, or - for stdin')
    .action(async (file: string, opts: { envelope: string; json?: boolean; maxViolations: number }) => {
      const envelope = loadEnvelope(io, opts.envelope);
      const result = await checkStream(openInput(io, file), envelope, { maxViolations: opts.maxViolations });
      emit(io, opts.json === true, result, (out) => printHuman(out, file, result));
      if (!result.ok) throw new CliExit(EXIT.failure);
    });
};

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new FabgateError('GCODE_USAGE', `--max-violations needs a whole number, not ${v}`, 'invalid_input');
  return n;
}

function fullPath(io: CliIO, path: string): string {
  return isAbsolute(path) ? path : resolve(io.cwd, path);
}

function loadEnvelope(io: CliIO, path: string): Envelope {
  let text: string;
  try {
    const full = fullPath(io, path);
    if (statSync(full).size > MAX_ENVELOPE_BYTES) throw new FabgateError('GCODE_ENVELOPE_INVALID', `${path}: larger than ${MAX_ENVELOPE_BYTES} bytes`, 'too_large');
    text = readFileSync(full, 'utf8');
  } catch (e) {
    if (e instanceof FabgateError) throw e;
    throw new FabgateError('GCODE_ENVELOPE_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'invalid_input');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FabgateError('GCODE_ENVELOPE_INVALID', `${path}: not valid JSON (${(e as Error).message})`, 'invalid_input');
  }
  return parseEnvelope(value);
}

/** The program as a byte stream; read errors (missing file, a directory) become GCODE_INPUT_UNREADABLE. */
async function* openInput(io: CliIO, path: string): AsyncGenerator<Uint8Array> {
  const source: ByteSource = path === '-' ? io.stdin : createReadStream(fullPath(io, path), { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      yield typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    }
  } catch (e) {
    if (e instanceof FabgateError) throw e;
    throw new FabgateError('GCODE_INPUT_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'invalid_input');
  }
}

function printHuman(out: (line: string) => void, file: string, r: CheckResult): void {
  const s = r.stats;
  out(`${file}: ${r.ok ? 'inside the envelope' : `${s.violation_count} violation${s.violation_count === 1 ? '' : 's'}`}`);
  for (const v of r.violations.slice(0, 20)) out(`  line ${v.line}: ${v.rule} ${JSON.stringify(v.value)} (limit ${JSON.stringify(v.limit)})`);
  if (s.violation_count > 20) out(`  … and ${s.violation_count - 20} more (use --json for the list)`);
  const box = (['x', 'y', 'z'] as const).map((a) => (s.bounding_box_mm[a] ? `${a} ${s.bounding_box_mm[a]![0]}..${s.bounding_box_mm[a]![1]}` : `${a} -`)).join(', ');
  out(`  ${s.format}, ${s.bytes} bytes, ${s.lines} lines, ${s.moves} moves, ${s.layers} layers`);
  out(`  bounding box (mm): ${box}`);
  out(`  max nozzle ${s.max_nozzle_temp_c ?? '-'} °C, bed ${s.max_bed_temp_c ?? '-'} °C, extrusion ${s.extrusion_mm.toFixed(1)} mm, time ~${Math.round(s.estimated_time_s / 60)} min`);
  out(`  sha256 ${r.sha256}`);
}
