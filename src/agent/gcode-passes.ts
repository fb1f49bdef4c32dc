/**
 * The G-code's ways through the envelope checker (src/gcode/):
 *
 * - `checkWhole`: one streaming pass over the decrypted G-code that checks
 *   every line and measures what the gate will let through (length, SHA-256)
 *   without keeping any of it — the pass that decides whether a file may be
 *   uploaded at all.
 * - `gatedStream`: a second decryption through `createGcodeGate`, which
 *   releases only checked lines; its output must hash to what the first pass
 *   measured, or the stream fails before its end (so an upload never completes).
 * - `streamLines`: the serial path: each checked line goes to the printer as
 *   it is released; the first violating line is never sent.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createChecker, type CheckResult, type Violation } from '../gcode/checker.js';
import type { Envelope } from '../gcode/envelope.js';
import { createGcodeGate } from '../gcode/stream.js';
import { FabgateError } from '../shared/errors.js';
import { AgentError } from './errors.js';
import { wireLine } from './printers/serial.js';
import type { LinePrinter } from './printers/types.js';
import { MAX_RECORD_VIOLATIONS } from './usage.js';

const LF = new Uint8Array([10]);

export interface WholeCheck {
  result: CheckResult;
  /** Bytes and SHA-256 of what the gate releases (checked lines, each ending in LF). */
  gated: { length: number; sha256: string };
}

/** Check the whole G-code in one streaming pass; nothing of it is kept. */
export async function checkWhole(plaintext: Readable, envelope: Envelope): Promise<WholeCheck> {
  const gatedHash = createHash('sha256');
  let gatedLength = 0;
  let stopped = false;
  // Lines are hashed in 64 KiB batches: one hash update per line would cost more than the check.
  const batch = new Uint8Array(64 * 1024);
  let filled = 0;
  const flush = () => {
    gatedHash.update(batch.subarray(0, filled));
    filled = 0;
  };
  const checker = createChecker(envelope, {
    maxViolations: MAX_RECORD_VIOLATIONS,
    onLine: (v) => {
      if (stopped) return;
      if (v.violations.length > 0) {
        stopped = true;
        return;
      }
      const n = v.bytes.length + 1;
      gatedLength += n;
      if (filled + n > batch.length) flush();
      if (n > batch.length) {
        gatedHash.update(v.bytes).update(LF);
        return;
      }
      batch.set(v.bytes, filled);
      batch[filled + n - 1] = 10;
      filled += n;
    },
  });
  for await (const chunk of plaintext) checker.push(chunk as Buffer);
  const result = checker.end();
  flush();
  return { result, gated: { length: gatedLength, sha256: gatedHash.digest('hex') } };
}

/** The checked lines again, from a fresh decryption, held to the first pass's length and hash. */
export function gatedStream(plaintext: Readable, envelope: Envelope, expected: { length: number; sha256: string }): Readable {
  const hash = createHash('sha256');
  let length = 0;
  const verify = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      length += chunk.length;
      hash.update(chunk);
      if (length > expected.length) return done(changed());
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      done(length === expected.length && hash.digest('hex') === expected.sha256 ? null : changed());
    },
  });
  const gate = createGcodeGate(envelope);
  plaintext.on('error', (e) => gate.destroy(e));
  gate.on('error', (e) => verify.destroy(e));
  return plaintext.pipe(gate).pipe(verify);
}

function changed(): AgentError {
  return new AgentError('AGENT_GCODE_CHANGED', 'the G-code of the second pass differs from the G-code checked');
}

export interface StreamOutcome {
  outcome: 'completed' | 'violation' | 'cancelled' | 'failed';
  /** The violation (or unreadable input) that stopped the job. */
  violations: Violation[];
  /** SHA-256 of all the plaintext (decrypted to the end even after a stop, for the record); absent when decryption failed. */
  sha256?: string;
  linesSent: number;
  /** Lines of the cancel sequence the printer acknowledged. */
  cancelled?: string[];
  error?: FabgateError;
  result?: CheckResult;
}

/**
 * Stream the G-code to a line printer through the checker: a line is sent only
 * after it was checked and every line before it was acknowledged. At the first
 * violation (or abort, or printer failure) nothing more is sent and the
 * printer's cancel sequence runs.
 */
export async function streamLines(plaintext: Readable, envelope: Envelope, printer: LinePrinter, signal?: AbortSignal): Promise<StreamOutcome> {
  const all = createHash('sha256');
  const queue: string[] = [];
  let stop: Violation | undefined;
  let lastLine = 0;
  const checker = createChecker(envelope, {
    maxViolations: MAX_RECORD_VIOLATIONS,
    onLine: (v) => {
      if (stop) return;
      lastLine = v.line;
      if (v.violations.length > 0) {
        stop = v.violations[0]!;
        return;
      }
      const line = wireLine(v.bytes);
      if (line !== '') queue.push(line);
    },
  });
  let sent = 0;
  let failure: FabgateError | undefined;
  let aborted = false;
  let result: CheckResult | undefined;
  const drain = async () => {
    while (queue.length > 0 && !failure && !aborted) {
      if (signal?.aborted) {
        aborted = true;
        return;
      }
      try {
        await printer.send(queue.shift()!);
        sent++;
      } catch (e) {
        failure = asFabgate(e);
      }
    }
  };
  const unreadable = (e: unknown) => {
    const err = asFabgate(e);
    stop = { line: lastLine + 1, rule: 'unreadable_gcode', value: err.code, limit: null };
    failure = err;
  };
  let hashed = true;
  try {
    for await (const chunk of plaintext) {
      all.update(chunk as Buffer);
      if (stop || failure || aborted) continue; // decrypt on to the end for the record's hash, send nothing
      try {
        checker.push(chunk as Buffer);
      } catch (e) {
        unreadable(e);
      }
      await drain();
    }
  } catch (e) {
    // The decryption failed (a tag or digest at the end of the stream): stop, whatever was sent.
    failure ??= asFabgate(e);
    hashed = false;
  }
  if (!stop && !failure && !aborted) {
    try {
      result = checker.end();
    } catch (e) {
      unreadable(e);
    }
    await drain();
    if (!stop && !failure && !aborted) {
      try {
        await printer.finish();
      } catch (e) {
        failure = asFabgate(e);
      }
    }
  }
  const digest = all.digest('hex');
  const sha256 = hashed ? digest : undefined;
  const base = { linesSent: sent, ...(sha256 ? { sha256 } : {}) };
  if (!stop && !failure && !aborted) return { outcome: 'completed', violations: [], ...base, ...(result ? { result } : {}) };
  const cancelled = await printer.cancel();
  if (stop) return { outcome: 'violation', violations: [stop], ...base, cancelled, ...(failure ? { error: failure } : {}) };
  if (aborted) return { outcome: 'cancelled', violations: [], ...base, cancelled };
  return { outcome: 'failed', violations: [], ...base, cancelled, ...(failure ? { error: failure } : {}) };
}

function asFabgate(e: unknown): FabgateError {
  return e instanceof FabgateError ? e : new AgentError('AGENT_PRINTER_PROTOCOL', (e as Error).message);
}
