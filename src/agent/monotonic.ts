/**
 * An optional hardware monotonic counter that the state is bound to. Without
 * one, restoring a copy of the whole state directory on a device that stays
 * offline cannot be noticed on the device (README.md, "Anti-rollback"). With
 * one, every state version carries the counter value it was written at, and
 * a restored older state meets a counter that has moved on.
 *
 * The counter is reached through two commands from the configuration, so any
 * device that keeps a counter outside the file system can serve: on a TPM 2.0,
 * an NV index defined with the counter attribute (`tpm2_nvdefine -a
 * "nt=counter|ownerread|ownerwrite"`), read with `tpm2_nvread` and stepped with
 * `tpm2_nvincrement`. A TPM NV counter can only go up, and only the TPM holds it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AgentError } from './errors.js';

const run = promisify(execFile);

export interface MonotonicCounter {
  /** The current value. */
  read(): Promise<number>;
  /** Step the counter by one. */
  increment(): Promise<void>;
}

/** A counter read and stepped by external commands (argv arrays, no shell). */
export class CommandCounter implements MonotonicCounter {
  constructor(private readonly commands: { read: readonly string[]; increment: readonly string[] }) {}

  async read(): Promise<number> {
    const out = await this.#run(this.commands.read);
    // Decimal, or hex with 0x (tpm2_nvread piped through xxd prints hex).
    const text = out.trim();
    const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < 0) throw new AgentError('AGENT_MONOTONIC_COUNTER', `the counter read command printed '${text.slice(0, 40)}', not a number`);
    return value;
  }

  async increment(): Promise<void> {
    await this.#run(this.commands.increment);
  }

  async #run(argv: readonly string[]): Promise<string> {
    const [file, ...args] = argv;
    try {
      const { stdout } = await run(file!, args, { timeout: 30_000, maxBuffer: 64 * 1024 });
      return stdout;
    } catch (e) {
      throw new AgentError('AGENT_MONOTONIC_COUNTER', `the counter command '${file}' failed: ${(e as Error).message}`);
    }
  }
}
