/**
 * Small fake print hosts on loopback that implement just the documented
 * endpoints the agent uses and record what they received — an OctoPrint, a
 * Moonraker (HTTP and JSON-RPC over /websocket), and a serial printer behind
 * a pseudo-terminal pair made with socat. They simulate a print as a few
 * steps of progress; tests assert on what reached them, not on the agent's
 * internals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, existsSync, openSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ReadStream, WriteStream } from 'node:tty';
import { WebSocketServer, type WebSocket } from 'ws';

interface Upload {
  name: string;
  fields: Record<string, string>;
  bytes: Buffer;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Parse a multipart/form-data body with the runtime's own (WHATWG) parser. */
async function parseForm(req: IncomingMessage, body: Buffer): Promise<{ fields: Record<string, string>; file?: { name: string; bytes: Buffer } }> {
  const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body }).formData();
  const fields: Record<string, string> = {};
  let file: { name: string; bytes: Buffer } | undefined;
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string') fields[key] = value;
    else file = { name: (value as File).name, bytes: Buffer.from(await (value as Blob).arrayBuffer()) };
  }
  return { fields, ...(file ? { file } : {}) };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((e: Error) => {
      res.writeHead(500);
      res.end(e.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function json(res: ServerResponse, status: number, value?: unknown): void {
  res.writeHead(status, value === undefined ? {} : { 'content-type': 'application/json' });
  res.end(value === undefined ? undefined : JSON.stringify(value));
}

/** OctoPrint: /api/files/local, /api/job, X-Api-Key. */
export class FakeOctoPrint {
  readonly apiKey = randomBytes(16).toString('hex').toUpperCase();
  readonly calls: string[] = [];
  readonly uploads: Upload[] = [];
  readonly jobCommands: string[] = [];
  readonly deleted: string[] = [];
  readonly files = new Map<string, Buffer>();
  selected: string | undefined;
  state = 'Operational';
  completion: number | null = null;
  /** Status polls a print takes to finish (Infinity: until cancelled). */
  pollsToFinish = 3;
  /** Called on each status poll while printing (tests abort the agent from here). */
  onPrinting: (() => void) | undefined;
  url = '';
  #server: Server | undefined;

  async start(): Promise<this> {
    const { server, url } = await listen((req, res) => this.#handle(req, res));
    this.#server = server;
    this.url = url;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.calls.push(`${req.method} ${url.pathname}`);
    const body = await readBody(req);
    if (req.headers['x-api-key'] !== this.apiKey) return json(res, 403, { error: 'Forbidden' });
    if (req.method === 'POST' && url.pathname === '/api/files/local') {
      const form = await parseForm(req, body);
      if (!form.file) return json(res, 400, { error: 'No file included' });
      this.uploads.push({ name: form.file.name, fields: form.fields, bytes: form.file.bytes });
      this.files.set(form.file.name, form.file.bytes);
      if (form.fields.select === 'true') this.selected = form.file.name;
      return json(res, 201, { done: true, files: { local: { name: form.file.name, path: form.file.name, origin: 'local' } } });
    }
    if (req.method === 'POST' && url.pathname === '/api/job') {
      const { command } = JSON.parse(body.toString('utf8')) as { command: string };
      this.jobCommands.push(command);
      if (command === 'start') {
        if (!this.selected || this.state !== 'Operational') return json(res, 409, { error: 'Printer is not operational or already printing' });
        this.state = 'Printing';
        this.completion = 0;
        return json(res, 204);
      }
      if (command === 'cancel') {
        if (this.state !== 'Printing') return json(res, 409, { error: 'No active job' });
        this.state = 'Cancelling';
        return json(res, 204);
      }
      return json(res, 400, { error: 'unknown command' });
    }
    if (req.method === 'GET' && url.pathname === '/api/job') {
      if (this.state === 'Printing') {
        this.onPrinting?.();
        this.completion = Math.min(100, (this.completion ?? 0) + 100 / this.pollsToFinish);
        if (this.completion >= 100) this.state = 'Operational';
      } else if (this.state === 'Cancelling') {
        this.state = 'Operational';
      }
      return json(res, 200, {
        job: { file: this.selected ? { name: this.selected, path: this.selected, origin: 'local' } : { name: null } },
        progress: { completion: this.completion },
        state: this.state,
      });
    }
    if (req.method === 'DELETE' && url.pathname.startsWith('/api/files/local/')) {
      const name = decodeURIComponent(url.pathname.slice('/api/files/local/'.length));
      if (!this.files.delete(name)) return json(res, 404, { error: 'not found' });
      this.deleted.push(name);
      return json(res, 204);
    }
    json(res, 404, { error: 'Not found' });
  }
}

interface PrintStats {
  state: string;
  filename: string;
  message: string;
}

/** Moonraker: HTTP file upload, print start/cancel/status, JSON-RPC over /websocket. */
export class FakeMoonraker {
  readonly calls: string[] = [];
  readonly rpcCalls: string[] = [];
  readonly uploads: Upload[] = [];
  readonly deleted: string[] = [];
  readonly files = new Map<string, Buffer>();
  stats: PrintStats = { state: 'standby', filename: '', message: '' };
  /** Ticks (of `tickMs`) a print takes (Infinity: until cancelled). */
  ticksToFinish = 3;
  tickMs = 15;
  onPrinting: (() => void) | undefined;
  url = '';
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #sockets = new Set<WebSocket>();
  #ticker: NodeJS.Timeout | undefined;
  #ticks = 0;

  constructor(readonly apiKey?: string) {}

  async start(): Promise<this> {
    const { server, url } = await listen((req, res) => this.#handle(req, res));
    this.#server = server;
    this.url = url;
    this.#wss = new WebSocketServer({ server, path: '/websocket' });
    this.#wss.on('connection', (ws, req) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
      if (this.apiKey && token !== this.#oneshot) {
        ws.close(4001, 'unauthorized');
        return;
      }
      this.#sockets.add(ws);
      ws.on('close', () => this.#sockets.delete(ws));
      ws.on('message', (data) => this.#rpc(ws, String(data)));
    });
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.#ticker);
    for (const ws of this.#sockets) ws.terminate();
    await new Promise<void>((resolve) => this.#wss?.close(() => resolve()));
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  #oneshot: string | undefined;

  #set(patch: Partial<PrintStats>): void {
    this.stats = { ...this.stats, ...patch };
    const note = JSON.stringify({ jsonrpc: '2.0', method: 'notify_status_update', params: [{ print_stats: patch }, Date.now() / 1000] });
    for (const ws of this.#sockets) ws.send(note);
  }

  #startPrint(filename: string): string | undefined {
    if (!this.files.has(filename)) return `file ${filename} not found`;
    if (this.stats.state === 'printing' || this.stats.state === 'paused') return 'already printing';
    this.#set({ state: 'printing', filename, message: '' });
    this.#ticks = 0;
    this.#ticker = setInterval(() => {
      if (this.stats.state !== 'printing') return;
      this.onPrinting?.();
      if (++this.#ticks >= this.ticksToFinish) {
        clearInterval(this.#ticker);
        this.#set({ state: 'complete' });
      }
    }, this.tickMs);
    return undefined;
  }

  #cancel(): string | undefined {
    if (this.stats.state !== 'printing' && this.stats.state !== 'paused') return 'no print in progress';
    clearInterval(this.#ticker);
    this.#set({ state: 'cancelled' });
    return undefined;
  }

  #rpc(ws: WebSocket, text: string): void {
    const msg = JSON.parse(text) as { id: number; method: string; params?: Record<string, unknown> };
    this.rpcCalls.push(msg.method);
    const reply = (result: unknown) => ws.send(JSON.stringify({ jsonrpc: '2.0', result, id: msg.id }));
    const fail = (message: string) => ws.send(JSON.stringify({ jsonrpc: '2.0', error: { code: 400, message }, id: msg.id }));
    if (msg.method === 'printer.objects.subscribe') return reply({ eventtime: Date.now() / 1000, status: { print_stats: { ...this.stats } } });
    if (msg.method === 'printer.print.start') {
      const problem = this.#startPrint(String(msg.params?.filename));
      return problem ? fail(problem) : reply('ok');
    }
    if (msg.method === 'printer.print.cancel') {
      const problem = this.#cancel();
      return problem ? fail(problem) : reply('ok');
    }
    fail(`Method not found: ${msg.method}`);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.calls.push(`${req.method} ${url.pathname}`);
    const body = await readBody(req);
    if (this.apiKey && req.headers['x-api-key'] !== this.apiKey) return json(res, 401, { error: { code: 401, message: 'Unauthorized' } });
    if (req.method === 'GET' && url.pathname === '/access/oneshot_token') {
      this.#oneshot = randomBytes(8).toString('hex');
      return json(res, 200, { result: this.#oneshot });
    }
    if (req.method === 'POST' && url.pathname === '/server/files/upload') {
      const form = await parseForm(req, body);
      if (!form.file) return json(res, 400, { error: { code: 400, message: 'No file' } });
      const digest = createHash('sha256').update(form.file.bytes).digest('hex');
      if (form.fields.checksum && form.fields.checksum !== digest) return json(res, 422, { error: { code: 422, message: 'File checksum mismatch' } });
      this.uploads.push({ name: form.file.name, fields: form.fields, bytes: form.file.bytes });
      this.files.set(form.file.name, form.file.bytes);
      return json(res, 201, { result: { item: { path: form.file.name, root: 'gcodes', size: form.file.bytes.length, permissions: 'rw' }, print_started: false, print_queued: false, action: 'create_file' } });
    }
    if (req.method === 'POST' && url.pathname === '/printer/print/start') {
      const problem = this.#startPrint(url.searchParams.get('filename') ?? '');
      return problem ? json(res, 400, { error: { code: 400, message: problem } }) : json(res, 200, { result: 'ok' });
    }
    if (req.method === 'POST' && url.pathname === '/printer/print/cancel') {
      const problem = this.#cancel();
      return problem ? json(res, 400, { error: { code: 400, message: problem } }) : json(res, 200, { result: 'ok' });
    }
    if (req.method === 'GET' && url.pathname === '/printer/objects/query') {
      return json(res, 200, { result: { eventtime: Date.now() / 1000, status: { print_stats: { ...this.stats } } } });
    }
    if (req.method === 'DELETE' && url.pathname.startsWith('/server/files/gcodes/')) {
      const name = decodeURIComponent(url.pathname.slice('/server/files/gcodes/'.length));
      if (!this.files.delete(name)) return json(res, 404, { error: { code: 404, message: 'not found' } });
      this.deleted.push(name);
      return json(res, 200, { result: { item: { path: name, root: 'gcodes' }, action: 'delete_file' } });
    }
    json(res, 404, { error: { code: 404, message: 'Not Found' } });
  }
}

/**
 * A serial printer: socat makes a pseudo-terminal pair; the agent opens one
 * end as its serial device, this fake firmware the other. It answers `ok` to
 * every line (after a "start" banner), like Marlin, and records the lines.
 */
export class FakeSerialPrinter {
  readonly received: string[] = [];
  readonly agentPath: string;
  #socat: ChildProcess | undefined;
  #reader: ReadStream | undefined;
  #writer: WriteStream | undefined;
  #partial = '';

  constructor(private readonly dir: string) {
    this.agentPath = join(dir, 'ttyAgent');
  }

  async start(): Promise<this> {
    const printerPath = join(this.dir, 'ttyPrinter');
    this.#socat = spawn('socat', [`pty,raw,echo=0,link=${printerPath}`, `pty,raw,echo=0,link=${this.agentPath}`], { stdio: 'ignore' });
    for (let i = 0; i < 500 && !(existsSync(printerPath) && existsSync(this.agentPath)); i++) await new Promise((r) => setTimeout(r, 10));
    if (!existsSync(this.agentPath)) throw new Error('socat did not make the pty pair');
    this.#reader = new ReadStream(openSync(printerPath, constants.O_RDWR | constants.O_NOCTTY));
    this.#writer = new WriteStream(openSync(printerPath, constants.O_RDWR | constants.O_NOCTTY));
    this.#reader.on('data', (chunk: Buffer) => this.#receive(chunk.toString('latin1')));
    this.#reader.on('error', () => undefined); // the agent side closing ends the pair
    this.#writer.on('error', () => undefined);
    return this;
  }

  #receive(text: string): void {
    this.#partial += text;
    let nl: number;
    while ((nl = this.#partial.indexOf('\n')) >= 0) {
      const line = this.#partial.slice(0, nl);
      this.#partial = this.#partial.slice(nl + 1);
      this.received.push(line);
      this.#writer?.write(/^M105\b/.test(line) ? 'ok T:21.0 /0.0 B:20.5 /0.0\n' : 'ok\n');
    }
  }

  async stop(): Promise<void> {
    this.#reader?.destroy();
    this.#writer?.destroy();
    this.#socat?.kill();
    if (this.#socat && this.#socat.exitCode === null) await new Promise((r) => this.#socat!.once('exit', r));
  }
}
