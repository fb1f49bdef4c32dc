/**
 * JSON-RPC 2.0 over a WebSocket, as Moonraker speaks it on `/websocket`:
 * requests with ids, responses matched by id, notifications (no id) handed
 * to listeners. The WebSocket client is the runtime's own (`globalThis.WebSocket`:
 * Node 22+, or Node 20 with `--experimental-websocket`), so the agent carries
 * no WebSocket library.
 */
import { AgentError } from '../errors.js';

/** The part of the WHATWG WebSocket interface used here. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: { data?: unknown }) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The runtime's WebSocket client, if it has one. */
export function runtimeWebSocket(): WebSocketConstructor | undefined {
  const ctor = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof ctor === 'function' ? (ctor as WebSocketConstructor) : undefined;
}

const OPEN = 1;

export class JsonRpcSocket {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly #listeners = new Map<string, Array<(params: unknown) => void>>();
  #closed = false;
  readonly #onClose: Array<() => void> = [];

  private constructor(private readonly socket: WebSocketLike) {
    socket.addEventListener('message', (event) => this.#receive(event.data));
    socket.addEventListener('close', () => this.#shut(new AgentError('AGENT_PRINTER_UNREACHABLE', 'the Moonraker websocket closed')));
    socket.addEventListener('error', () => this.#shut(new AgentError('AGENT_PRINTER_UNREACHABLE', 'the Moonraker websocket failed')));
  }

  static connect(url: string, WebSocket: WebSocketConstructor, timeoutMs = 15_000): Promise<JsonRpcSocket> {
    return new Promise((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = new WebSocket(url);
      } catch (e) {
        reject(new AgentError('AGENT_PRINTER_UNREACHABLE', `cannot open ${url}: ${(e as Error).message}`));
        return;
      }
      const timer = setTimeout(() => {
        socket.close();
        reject(new AgentError('AGENT_PRINTER_UNREACHABLE', `no websocket connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(new JsonRpcSocket(socket));
      });
      socket.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new AgentError('AGENT_PRINTER_UNREACHABLE', `cannot open the websocket ${url}`));
      });
    });
  }

  get open(): boolean {
    return !this.#closed && this.socket.readyState === OPEN;
  }

  /** Call `method`; JSON-RPC errors reject with `AGENT_PRINTER_REFUSED`. */
  call(method: string, params?: Record<string, unknown>, timeoutMs = 30_000): Promise<unknown> {
    if (!this.open) return Promise.reject(new AgentError('AGENT_PRINTER_UNREACHABLE', 'the Moonraker websocket is closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new AgentError('AGENT_PRINTER_UNREACHABLE', `no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}), id }));
    });
  }

  /** Listen for notifications of `method` (e.g. `notify_status_update`). */
  on(method: string, listener: (params: unknown) => void): void {
    this.#listeners.set(method, [...(this.#listeners.get(method) ?? []), listener]);
  }

  onClose(listener: () => void): void {
    this.#onClose.push(listener);
  }

  close(): void {
    if (!this.#closed) this.socket.close(1000, 'done');
    this.#shut(new AgentError('AGENT_PRINTER_UNREACHABLE', 'the websocket was closed'));
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string' || data.length > 4 * 1024 * 1024) return;
    let message: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
    try {
      message = JSON.parse(data) as typeof message;
    } catch {
      return; // not JSON-RPC: ignore, as a client must not fail on a stray frame
    }
    if (typeof message.id === 'number' && this.#pending.has(message.id)) {
      const waiter = this.#pending.get(message.id)!;
      this.#pending.delete(message.id);
      if (message.error) {
        waiter.reject(new AgentError('AGENT_PRINTER_REFUSED', `Moonraker: ${String(message.error.message ?? 'error')} (${String(message.error.code ?? '')})`, message.error));
      } else {
        waiter.resolve(message.result);
      }
      return;
    }
    if (typeof message.method === 'string') for (const l of this.#listeners.get(message.method) ?? []) l(message.params);
  }

  #shut(error: AgentError): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
    for (const l of this.#onClose) l();
  }
}
