import type { Readable } from 'node:stream';

/** How a job ended on the printer's side. */
export type HostOutcome = 'completed' | 'cancelled' | 'failed';

/** A checked G-code file to upload: its exact length and SHA-256 are known from the check pass. */
export interface UploadFile {
  name: string;
  length: number;
  sha256: string;
  /** A fresh stream of the checked lines (it fails if they differ from what was checked). */
  open(): Readable;
}

/**
 * A print host that takes a whole file and then prints it (OctoPrint,
 * Moonraker). The file is the one place G-code leaves the agent's process.
 */
export interface UploadHost {
  readonly kind: 'octoprint' | 'moonraker';
  /** Upload the file; returns its path on the host. */
  upload(file: UploadFile): Promise<string>;
  start(remote: string): Promise<void>;
  /**
   * Wait until the job on `remote` ends. When `signal` aborts, the job is
   * cancelled through the host's documented cancel path, and the wait goes on
   * until the host reports it ended.
   */
  waitForEnd(remote: string, signal?: AbortSignal): Promise<HostOutcome>;
  cancel(): Promise<void>;
  /** Delete the uploaded file, so the plaintext does not rest on the host. */
  remove(remote: string): Promise<void>;
  close(): Promise<void>;
}

/** A printer fed line by line (a serial port): nothing is stored on the way. */
export interface LinePrinter {
  readonly kind: 'serial';
  open(): Promise<void>;
  /** Send one line and wait until the firmware acknowledged it. */
  send(line: string): Promise<void>;
  /** Wait until every move sent has been made. */
  finish(): Promise<void>;
  /** Stop the job: send the cancel sequence (best effort); returns the lines the printer acknowledged. */
  cancel(): Promise<string[]>;
  close(): Promise<void>;
}

/** Resolve after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
