/**
 * Node stream edges of the checker: check a whole stream, or gate a stream line by line on its
 * way to a printer.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { FabgateError } from '../shared/errors.js';
import { createChecker, type CheckOptions, type CheckResult, type Violation } from './checker.js';
import type { Envelope } from './envelope.js';

/** Anything that yields byte chunks: a `fs.ReadStream`, a `Readable`, an async generator. */
export type ByteSource = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

/**
 * Check everything `source` yields, chunk by chunk (memory stays flat).
 * @throws FabgateError `GCODE_STREAM_NOT_BINARY` when the stream yields strings (a stream with an
 *   encoding set would have decoded, and possibly altered, the bytes being checked and hashed).
 */
export async function checkStream(source: ByteSource, envelope: Envelope, options?: CheckOptions): Promise<CheckResult> {
  const checker = createChecker(envelope, options);
  for await (const chunk of source as AsyncIterable<unknown>) checker.push(asBytes(chunk));
  return checker.end();
}

export interface GateOptions extends Omit<CheckOptions, 'onLine'> {
  /** Receives the full result when the input ended without a violation. */
  onResult?: (result: CheckResult) => void;
}

const LF = 10;

/**
 * A Transform for the print-host agent: bytes of a G-code program in (text or .bgcode), checked
 * G-code lines out (each ending in LF, comments kept). A line is passed on only after it was
 * checked; at the first violation the stream fails with `GCODE_ENVELOPE_VIOLATION` (kind
 * `forbidden`, the violation in `details`) and nothing from that line on is passed, so a
 * printer fed from this stream stops before the offending line.
 *
 * @example
 * await pipeline(decryptedDesign, createGcodeGate(ticket.envelope), printerSerialPort);
 */
export function createGcodeGate(envelope: Envelope, options: GateOptions = {}): Transform {
  let out = new Uint8Array(64 * 1024);
  let n = 0;
  let stopped: Violation | null = null;
  const append = (bytes: Uint8Array) => {
    if (n + bytes.length + 1 > out.length) {
      const bigger = new Uint8Array(Math.max(out.length * 2, n + bytes.length + 1));
      bigger.set(out.subarray(0, n));
      out = bigger;
    }
    out.set(bytes, n);
    n += bytes.length;
    out[n++] = LF;
  };
  const checker = createChecker(envelope, {
    ...options,
    onLine: (verdict) => {
      if (stopped !== null) return;
      if (verdict.violations.length > 0) stopped = verdict.violations[0]!;
      else append(verdict.bytes);
    },
  });
  const drain = (stream: Transform) => {
    if (n > 0) {
      stream.push(Buffer.from(out.subarray(0, n)));
      n = 0;
    }
  };
  const violation = (v: Violation) =>
    new FabgateError('GCODE_ENVELOPE_VIOLATION', `line ${v.line} breaks ${v.rule} (value ${JSON.stringify(v.value)}, limit ${JSON.stringify(v.limit)})`, 'forbidden', v);
  return new Transform({
    transform(chunk: unknown, _encoding: BufferEncoding, done: TransformCallback) {
      try {
        checker.push(asBytes(chunk));
      } catch (e) {
        return done(e as Error);
      }
      drain(this);
      done(stopped === null ? null : violation(stopped));
    },
    flush(done: TransformCallback) {
      let result: CheckResult;
      try {
        result = checker.end();
      } catch (e) {
        return done(e as Error);
      }
      drain(this);
      if (stopped !== null) return done(violation(stopped));
      options.onResult?.(result);
      done();
    },
  });
}

function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new FabgateError('GCODE_STREAM_NOT_BINARY', 'the G-code stream must yield bytes (do not set an encoding on it)', 'invalid_input');
}
