import { PassThrough, Writable } from 'node:stream';
import type { CliIO } from '../../cli/io.js';
import { runProgram, type CommandRegistrar } from '../../cli/program.js';

/** Run a `fabgate` command in process and collect what it printed. */
export async function runCli(
  registrars: CommandRegistrar[],
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string; json<T = unknown>(): T }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const stdin = new PassThrough();
  stdin.end(opts.stdin ?? '');
  const io: CliIO = {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
  };
  const code = await runProgram(argv, io, registrars);
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout.trim().split('\n').at(-1)!) as T };
}
