/**
 * OctoPrint, through its documented REST API (docs.octoprint.org, "File
 * operations" and "Job operations"), authenticated with `X-Api-Key`:
 *
 *   POST   /api/files/local           multipart upload, `select=true` (the start command prints the selected file)
 *   POST   /api/job                   {"command": "start"} / {"command": "cancel"}; 204, or 409 when not possible
 *   GET    /api/job                   state, selected file, progress.completion (percent)
 *   DELETE /api/files/local/{path}    remove the file after the job
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { OctoPrintConfigSchema } from '../config.js';
import { AgentError } from '../errors.js';
import { httpCall, type HttpResponse } from '../http.js';
import { multipartBody } from './multipart.js';
import { pause, type HostOutcome, type UploadFile, type UploadHost } from './types.js';

export interface HostOptions {
  /** How often to ask for the job state (ms). */
  pollIntervalMs: number;
  /** How long a started job may take to show up as printing (ms). */
  startTimeoutMs?: number;
  timeoutMs?: number;
}

/** OctoPrint states in which a job is still running. */
const ACTIVE = /^(printing|pausing|paused|cancelling|resuming|finishing|starting|sending file to sd)/i;

export class OctoPrintHost implements UploadHost {
  readonly kind = 'octoprint' as const;
  readonly #base: URL;

  constructor(
    private readonly config: z.infer<typeof OctoPrintConfigSchema>,
    private readonly options: HostOptions,
  ) {
    this.#base = new URL(config.url.endsWith('/') ? config.url : `${config.url}/`);
  }

  async #call(method: string, path: string, body?: unknown, extra: { headers?: OutgoingHttpHeaders; stream?: Readable } = {}): Promise<HttpResponse> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    return httpCall(new URL(path.replace(/^\//, ''), this.#base), {
      method,
      headers: {
        'x-api-key': this.config.api_key,
        ...(json !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) } : {}),
        ...extra.headers,
      },
      ...(json !== undefined ? { body: json } : extra.stream ? { body: extra.stream } : {}),
      timeoutMs: this.options.timeoutMs ?? 60_000,
      unreachable: 'AGENT_PRINTER_UNREACHABLE',
      invalid: 'AGENT_PRINTER_PROTOCOL',
    });
  }

  async upload(file: UploadFile): Promise<string> {
    const body = multipartBody({ select: 'true', print: 'false' }, { field: 'file', name: file.name, length: file.length, open: file.open });
    const res = await this.#call('POST', '/api/files/local', undefined, {
      headers: { 'content-type': body.contentType, 'content-length': body.contentLength },
      stream: body.stream,
    });
    if (res.status !== 201 && res.status !== 200) throw refused('upload', res);
    const local = (res.json() as { files?: { local?: { path?: unknown; name?: unknown } } } | undefined)?.files?.local;
    const path = typeof local?.path === 'string' ? local.path : typeof local?.name === 'string' ? local.name : file.name;
    return path;
  }

  async start(_remote: string): Promise<void> {
    const res = await this.#call('POST', '/api/job', { command: 'start' });
    if (res.status !== 204 && res.status !== 200) throw refused('start', res);
  }

  async cancel(): Promise<void> {
    const res = await this.#call('POST', '/api/job', { command: 'cancel' });
    // 409: no job is active any more — it has ended, which is what a cancel wants.
    if (res.status !== 204 && res.status !== 200 && res.status !== 409) throw refused('cancel', res);
  }

  async #job(): Promise<{ state: string; file: string | undefined; completion: number | null }> {
    const res = await this.#call('GET', '/api/job');
    if (res.status !== 200) throw refused('job status', res);
    const body = res.json() as { state?: unknown; job?: { file?: { path?: unknown; name?: unknown } }; progress?: { completion?: unknown } } | undefined;
    const file = body?.job?.file;
    return {
      state: typeof body?.state === 'string' ? body.state : '',
      file: typeof file?.path === 'string' ? file.path : typeof file?.name === 'string' ? file.name : undefined,
      completion: typeof body?.progress?.completion === 'number' ? body.progress.completion : null,
    };
  }

  async waitForEnd(remote: string, signal?: AbortSignal): Promise<HostOutcome> {
    let seenActive = false;
    let cancelled = false;
    const started = Date.now();
    for (;;) {
      if (signal?.aborted && !cancelled) {
        cancelled = true;
        await this.cancel();
      }
      const job = await this.#job();
      if (job.file === remote) {
        if (ACTIVE.test(job.state)) {
          seenActive = true;
        } else if (/error|offline/i.test(job.state)) {
          return 'failed';
        } else if (job.completion !== null && job.completion >= 100) {
          return 'completed';
        } else if (cancelled || seenActive || (job.completion ?? 0) > 0) {
          // Back to "Operational" short of 100 %: the job was cancelled (here or on the host).
          return 'cancelled';
        }
      } else if (seenActive) {
        return cancelled ? 'cancelled' : 'failed'; // another file was selected: our job is gone
      }
      if (!seenActive && Date.now() - started > (this.options.startTimeoutMs ?? 120_000)) return 'failed';
      await pause(this.options.pollIntervalMs, cancelled ? undefined : signal);
    }
  }

  async remove(remote: string): Promise<void> {
    const res = await this.#call('DELETE', `/api/files/local/${remote.split('/').map(encodeURIComponent).join('/')}`);
    if (res.status !== 204 && res.status !== 200 && res.status !== 404) throw refused('delete', res);
  }

  async close(): Promise<void> {}
}

function refused(what: string, res: HttpResponse): AgentError {
  const text = res.body.toString('utf8').slice(0, 200);
  return new AgentError('AGENT_PRINTER_REFUSED', `OctoPrint refused the ${what}: HTTP ${res.status} ${text}`, { status: res.status, body: text });
}
