/**
 * Moonraker (Klipper's API server), through its documented API
 * (moonraker.readthedocs.io, "File Management", "Printer Administration"):
 *
 *   POST   /server/files/upload                 multipart, root=gcodes, with the SHA-256 `checksum`
 *                                               Moonraker verifies (422 on mismatch)
 *   POST   /printer/print/start?filename=…      or JSON-RPC `printer.print.start` over /websocket
 *   POST   /printer/print/cancel                or JSON-RPC `printer.print.cancel`
 *   GET    /printer/objects/query?print_stats   or JSON-RPC `printer.objects.subscribe` + `notify_status_update`
 *   DELETE /server/files/gcodes/{path}          remove the file after the job
 *
 * File transfers exist only over HTTP. Start, cancel and status go over the
 * websocket when the runtime has a WebSocket client (transport `auto`), with
 * status pushed as it changes; otherwise over HTTP with polling. Successful
 * HTTP answers are wrapped as `{"result": …}`.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { MoonrakerConfigSchema } from '../config.js';
import { AgentError } from '../errors.js';
import { httpCall, type HttpResponse } from '../http.js';
import { JsonRpcSocket, runtimeWebSocket, type WebSocketConstructor } from './jsonrpc-socket.js';
import { multipartBody } from './multipart.js';
import type { HostOptions } from './octoprint.js';
import { pause, type HostOutcome, type UploadFile, type UploadHost } from './types.js';

interface PrintStats {
  state?: string;
  filename?: string;
  message?: string;
}

export class MoonrakerHost implements UploadHost {
  readonly kind = 'moonraker' as const;
  readonly #base: URL;
  readonly #webSocket: WebSocketConstructor | undefined;
  #socket: JsonRpcSocket | undefined;
  /** print_stats as last pushed over the websocket (notifications carry only what changed). */
  #pushed: PrintStats | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly config: z.infer<typeof MoonrakerConfigSchema>,
    private readonly options: HostOptions & { WebSocket?: WebSocketConstructor },
  ) {
    this.#base = new URL(config.url.endsWith('/') ? config.url : `${config.url}/`);
    const available = options.WebSocket ?? runtimeWebSocket();
    if (config.transport === 'websocket' && !available) {
      throw new AgentError('AGENT_CONFIG_INVALID', 'Moonraker transport "websocket" needs a WebSocket client: Node 22, or Node 20 with NODE_OPTIONS=--experimental-websocket');
    }
    this.#webSocket = config.transport === 'http' ? undefined : available;
  }

  /** Which transport start, cancel and status use. */
  get transport(): 'websocket' | 'http' {
    return this.#webSocket ? 'websocket' : 'http';
  }

  async #call(method: string, path: string, extra: { headers?: OutgoingHttpHeaders; stream?: Readable; json?: unknown } = {}): Promise<HttpResponse> {
    const json = extra.json === undefined ? undefined : JSON.stringify(extra.json);
    return httpCall(new URL(path.replace(/^\//, ''), this.#base), {
      method,
      headers: {
        ...(this.config.api_key ? { 'x-api-key': this.config.api_key } : {}),
        ...(json !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) } : {}),
        ...extra.headers,
      },
      ...(json !== undefined ? { body: json } : extra.stream ? { body: extra.stream } : {}),
      timeoutMs: this.options.timeoutMs ?? 60_000,
      unreachable: 'AGENT_PRINTER_UNREACHABLE',
      invalid: 'AGENT_PRINTER_PROTOCOL',
    });
  }

  async #rpc(): Promise<JsonRpcSocket | undefined> {
    if (!this.#webSocket) return undefined;
    if (this.#socket?.open) return this.#socket;
    const url = new URL('websocket', this.#base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.config.api_key) {
      // A browser-style WebSocket cannot send X-Api-Key: Moonraker's oneshot token goes in the query.
      const res = await this.#call('GET', '/access/oneshot_token');
      const token = result(res, 'oneshot token');
      if (typeof token !== 'string') throw new AgentError('AGENT_PRINTER_PROTOCOL', 'Moonraker returned no oneshot token');
      url.searchParams.set('token', token);
    }
    const socket = await JsonRpcSocket.connect(url.href, this.#webSocket);
    socket.on('notify_status_update', (params) => {
      const update = (Array.isArray(params) ? params[0] : undefined) as { print_stats?: PrintStats } | undefined;
      if (update?.print_stats) {
        this.#pushed = { ...this.#pushed, ...update.print_stats };
        this.#wake?.();
      }
    });
    socket.onClose(() => {
      this.#pushed = undefined; // fall back to asking over HTTP
      this.#wake?.();
    });
    const subscribed = (await socket.call('printer.objects.subscribe', { objects: { print_stats: ['state', 'filename', 'message'] } })) as { status?: { print_stats?: PrintStats } } | undefined;
    this.#pushed = { ...subscribed?.status?.print_stats };
    this.#socket = socket;
    return socket;
  }

  async upload(file: UploadFile): Promise<string> {
    const body = multipartBody({ root: 'gcodes', checksum: file.sha256, print: 'false' }, { field: 'file', name: file.name, length: file.length, open: file.open });
    const res = await this.#call('POST', '/server/files/upload', { headers: { 'content-type': body.contentType, 'content-length': body.contentLength }, stream: body.stream });
    const item = (result(res, 'upload') as { item?: { path?: unknown } } | undefined)?.item;
    return typeof item?.path === 'string' ? item.path : file.name;
  }

  async start(remote: string): Promise<void> {
    const socket = await this.#rpc();
    if (socket) {
      await socket.call('printer.print.start', { filename: remote });
      return;
    }
    result(await this.#call('POST', `/printer/print/start?filename=${encodeURIComponent(remote)}`), 'start');
  }

  async cancel(): Promise<void> {
    const socket = await this.#rpc().catch(() => undefined);
    if (socket) {
      await socket.call('printer.print.cancel');
      return;
    }
    result(await this.#call('POST', '/printer/print/cancel'), 'cancel');
  }

  async #status(): Promise<PrintStats> {
    if (this.#socket?.open && this.#pushed) return this.#pushed;
    const res = await this.#call('GET', '/printer/objects/query?print_stats');
    return ((result(res, 'status') as { status?: { print_stats?: PrintStats } } | undefined)?.status?.print_stats ?? {}) as PrintStats;
  }

  async waitForEnd(remote: string, signal?: AbortSignal): Promise<HostOutcome> {
    let seenActive = false;
    let cancelled = false;
    const started = Date.now();
    await this.#rpc().catch(() => undefined); // subscribe if we can; HTTP polling otherwise
    for (;;) {
      if (signal?.aborted && !cancelled) {
        cancelled = true;
        await this.cancel();
      }
      const stats = await this.#status();
      if (stats.filename === remote) {
        // Klipper print_stats.state: standby, printing, paused, complete, cancelled, error.
        if (stats.state === 'printing' || stats.state === 'paused') seenActive = true;
        else if (stats.state === 'complete') return 'completed';
        else if (stats.state === 'cancelled') return 'cancelled';
        else if (stats.state === 'error') return 'failed';
        else if (stats.state === 'standby' && seenActive) return cancelled ? 'cancelled' : 'failed';
      } else if (seenActive) {
        return cancelled ? 'cancelled' : 'failed';
      }
      if (!seenActive && Date.now() - started > (this.options.startTimeoutMs ?? 120_000)) return 'failed';
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        void pause(this.options.pollIntervalMs, cancelled ? undefined : signal).then(resolve);
      });
      this.#wake = undefined;
    }
  }

  async remove(remote: string): Promise<void> {
    const res = await this.#call('DELETE', `/server/files/gcodes/${remote.split('/').map(encodeURIComponent).join('/')}`);
    if (res.status !== 200 && res.status !== 404) throw refused('delete', res);
  }

  async close(): Promise<void> {
    this.#socket?.close();
    this.#socket = undefined;
  }
}

/** The `result` of a Moonraker HTTP answer (unwrapped when the answer is not wrapped). */
function result(res: HttpResponse, what: string): unknown {
  if (res.status !== 200 && res.status !== 201) throw refused(what, res);
  const body = res.json() as { result?: unknown } | undefined;
  if (body === undefined) throw new AgentError('AGENT_PRINTER_PROTOCOL', `Moonraker answered the ${what} with something that is not JSON`);
  return body && typeof body === 'object' && 'result' in body ? body.result : body;
}

function refused(what: string, res: HttpResponse): AgentError {
  const text = res.body.toString('utf8').slice(0, 200);
  return new AgentError('AGENT_PRINTER_REFUSED', `Moonraker refused the ${what}: HTTP ${res.status} ${text}`, { status: res.status, body: text });
}
