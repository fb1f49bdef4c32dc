/**
 * A printer on a serial port, fed line by line as a host program (OctoPrint,
 * Pronterface) does: one line, then wait for the firmware's `ok` before the
 * next. Nothing is stored on the way, so this is the mode with the least
 * plaintext exposure, and the envelope gate sits directly in front of the
 * firmware: a line is written only after it was checked.
 *
 * Protocol (the RepRap host protocol Marlin, Prusa, RepRapFirmware and Klipper's
 * serial emulation share): lines end in LF; `ok` acknowledges one line;
 * `Resend: N` / `rs N` asks for line N again (only for lines the design itself
 * numbered with `N… *cs`); `echo:busy`, temperature reports and other chatter
 * mean "still working"; `Error:…halted` / `!!` mean the firmware stopped.
 * The port is set to raw mode (and the baud rate) with stty, part of every
 * Linux system, so no native serial module is needed.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, open as openFd } from 'node:fs';
import { ReadStream, WriteStream, isatty } from 'node:tty';
import { promisify } from 'node:util';
import type { z } from 'zod';
import type { SerialConfigSchema } from '../config.js';
import { AgentError } from '../errors.js';
import type { LinePrinter } from './types.js';

const run = promisify(execFile);
const openPort = promisify(openFd);

export type SerialConfig = z.infer<typeof SerialConfigSchema>;

/** The line a firmware will see: `;` comments and surrounding blanks removed (firmware ignores them; hosts strip them). */
export function wireLine(bytes: Uint8Array): string {
  let end = bytes.indexOf(0x3b); // ';'
  if (end < 0) end = bytes.length;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1').trim();
}

export class SerialPrinter implements LinePrinter {
  readonly kind = 'serial' as const;
  #reader: ReadStream | undefined;
  #writer: WriteStream | undefined;
  #partial = '';
  readonly #lines: string[] = [];
  #waiter: (() => void) | undefined;
  #failure: AgentError | undefined;
  /** What the printer was sent, in order (for reports and tests). */
  readonly sent: string[] = [];

  constructor(private readonly config: SerialConfig) {}

  async open(): Promise<void> {
    const { path } = this.config;
    if (this.config.baud !== undefined) {
      await run('stty', ['-F', path, String(this.config.baud), 'raw', '-echo'], { timeout: 10_000 }).catch((e: Error) => {
        throw new AgentError('AGENT_PRINTER_UNREACHABLE', `cannot set up ${path}: ${e.message}`);
      });
    }
    // One descriptor for reading and one for writing, each owned (and closed) by its tty stream.
    const openOne = () =>
      openPort(path, constants.O_RDWR | constants.O_NOCTTY).catch((e: NodeJS.ErrnoException) => {
        throw new AgentError('AGENT_PRINTER_UNREACHABLE', `cannot open ${path}: ${e.code ?? e.message}`);
      });
    const readFd = await openOne();
    if (!isatty(readFd)) {
      closeSync(readFd);
      throw new AgentError('AGENT_CONFIG_INVALID', `${path} is not a serial device (not a tty)`);
    }
    const writeFd = await openOne().catch((e: unknown) => {
      closeSync(readFd);
      throw e;
    });
    this.#reader = new ReadStream(readFd);
    this.#writer = new WriteStream(writeFd);
    this.#reader.on('data', (chunk: Buffer) => this.#receive(chunk.toString('latin1')));
    this.#reader.on('error', (e) => this.#fail(new AgentError('AGENT_PRINTER_UNREACHABLE', `the serial port failed: ${e.message}`)));
    this.#writer.on('error', (e) => this.#fail(new AgentError('AGENT_PRINTER_UNREACHABLE', `the serial port failed: ${e.message}`)));

    // Opening the port resets most boards; wait for their "start" banner (or the boot time).
    await this.#waitFor((line) => /^start\b/i.test(line), this.config.boot_wait_ms).catch(() => undefined);
    this.#lines.length = 0;
    // Hello: reset the firmware's line numbering, as hosts do, and prove the firmware answers.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.#exchange('M110 N0', this.config.handshake_timeout_ms);
        return;
      } catch (e) {
        lastError = e;
        if (this.#failure) break;
      }
    }
    throw lastError instanceof AgentError ? lastError : new AgentError('AGENT_PRINTER_UNREACHABLE', `no answer from ${path}`);
  }

  send(line: string): Promise<void> {
    return this.#exchange(line, this.config.response_timeout_ms);
  }

  async finish(): Promise<void> {
    await this.#exchange('M400', this.config.response_timeout_ms); // finish moves: the job is done when the machine is
  }

  async cancel(): Promise<string[]> {
    const done: string[] = [];
    for (const line of this.config.cancel_gcode) {
      try {
        await this.#exchange(line, Math.min(this.config.response_timeout_ms, 30_000));
        done.push(line);
      } catch {
        break; // best effort: the printer may be gone
      }
    }
    return done;
  }

  async close(): Promise<void> {
    // Each tty stream closes its own descriptor.
    this.#reader?.destroy();
    this.#writer?.destroy();
    this.#reader = undefined;
    this.#writer = undefined;
  }

  /** Write one line and wait for its `ok`, answering resend requests for it. */
  async #exchange(line: string, timeoutMs: number): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (!this.#writer) throw new AgentError('AGENT_PRINTER_UNREACHABLE', 'the serial port is not open');
    const number = /^N(\d+)/.exec(line)?.[1];
    this.#writer.write(`${line}\n`, 'latin1');
    this.sent.push(line);
    for (;;) {
      const reply = await this.#nextLine(timeoutMs);
      if (/^ok\b/i.test(reply)) return;
      const resend = /^(?:resend:|rs)\s*N?(\d+)/i.exec(reply);
      if (resend) {
        if (number === undefined || resend[1] !== number) {
          throw new AgentError('AGENT_PRINTER_PROTOCOL', `the printer asked to resend line ${resend[1]}, which was not the line just sent`, { reply });
        }
        this.#writer.write(`${line}\n`, 'latin1');
        continue;
      }
      if (/^!!|^error:.*(halted|kill|stopped)/i.test(reply)) throw this.#fail(new AgentError('AGENT_PRINTER_PROTOCOL', `the printer stopped: ${reply}`, { reply }));
      // echo:, busy:, temperature reports, "Error:" before a resend: keep waiting.
    }
  }

  #receive(text: string): void {
    this.#partial += text;
    let nl: number;
    while ((nl = this.#partial.indexOf('\n')) >= 0) {
      const line = this.#partial.slice(0, nl).replace(/\r$/, '').trim();
      this.#partial = this.#partial.slice(nl + 1);
      if (line !== '') this.#lines.push(line);
    }
    if (this.#partial.length > 4096) this.#partial = ''; // a firmware never sends such a line; do not grow
    this.#waiter?.();
  }

  #fail(error: AgentError): AgentError {
    this.#failure ??= error;
    this.#waiter?.();
    return this.#failure;
  }

  /** The next line from the printer; the timeout restarts with every line (a heating wait reports temperatures). */
  #nextLine(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#lines.length > 0) {
          cleanup();
          resolve(this.#lines.shift()!);
        } else if (this.#failure) {
          cleanup();
          reject(this.#failure);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new AgentError('AGENT_PRINTER_UNREACHABLE', `the printer did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiter = undefined;
      };
      this.#waiter = check;
      check();
    });
  }

  async #waitFor(match: (line: string) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout');
      if (match(await this.#nextLine(left))) return;
    }
  }
}
