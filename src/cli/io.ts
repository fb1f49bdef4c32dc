import { FabgateError, type ErrorKind } from '../shared/errors.js';

/** Documented exit codes of every `fabgate` command. */
export const EXIT = {
  /** The command ran and found nothing wrong. */
  ok: 0,
  /** The command ran and found a failure (a violation, an integrity error, a finding). */
  failure: 1,
  /** Bad usage or unreadable input. */
  usage: 2,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where a command writes; tests pass their own to capture output. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Input errors map to 2; integrity and other findings map to 1. */
export function exitCodeForError(kind: ErrorKind): ExitCode {
  return kind === 'invalid_input' || kind === 'too_large' ? EXIT.usage : EXIT.failure;
}

/** Thrown by a command to end with a given exit code after it printed its result. */
export class CliExit extends Error {
  constructor(readonly exitCode: ExitCode) {
    super(`exit ${exitCode}`);
  }
}

/** Print `value` as JSON (one line, for machines) or call `human` to print it for people. */
export function emit(io: CliIO, json: boolean, value: unknown, human: (out: (line: string) => void) => void): void {
  if (json) {
    io.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
  } else {
    human((line) => io.stdout.write(line + '\n'));
  }
}

/** Report a FabgateError the same way from every command: code first, so scripts can grep it. */
export function reportError(io: CliIO, json: boolean, e: FabgateError): void {
  if (json) io.stdout.write(JSON.stringify({ error: e.toJSON() }) + '\n');
  io.stderr.write(`error ${e.code}: ${e.message}\n`);
}

/**
 * A progress bar on a terminal, silent otherwise (pipes and CI logs stay clean).
 * Small enough not to need a dependency.
 */
export function progress(io: CliIO, label: string, total?: number): { tick(n?: number): void; done(): void } {
  const tty = io.stderr.isTTY === true;
  let count = 0;
  let last = 0;
  const render = (final: boolean) => {
    if (!tty) return;
    const now = Date.now();
    if (!final && now - last < 100) return;
    last = now;
    let line: string;
    if (total && total > 0) {
      const frac = Math.min(1, count / total);
      const width = 30;
      const filled = Math.round(frac * width);
      line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0)}% ${count}/${total}`;
    } else {
      line = `${label} ${count}`;
    }
    io.stderr.write(`\r${line}${final ? '\n' : ''}`);
  };
  return {
    tick(n = 1) {
      count += n;
      render(false);
    },
    done() {
      render(true);
    },
  };
}
