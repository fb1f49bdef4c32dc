import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';

/**
 * SHA-256 and CRC-32 of large byte streams, computed on a worker thread while
 * the main thread encrypts or decrypts.
 *
 * Why: every byte of a protected part is hashed with SHA-256 (the signed
 * manifest and the envelope's chunk digest name SHA-256 digests) and, in a
 * ZIP, with CRC-32, besides being run through AES-GCM. SHA-256 costs about as
 * much as AES-GCM itself, so on one thread a part cannot come near the speed
 * of AES-GCM alone. A digest worker hashes chunk n while the main thread
 * encrypts chunk n + 1.
 *
 * How: each running digest owns a small ring of slots in a SharedArrayBuffer.
 * `update` copies bytes into the current slot; a full slot goes to the worker,
 * which hashes it in place and hands it back. When every slot is with the
 * worker, `update` returns a promise and the caller (a stream transform) waits:
 * memory stays at the ring's size however large the part, and a slow worker
 * slows the stream instead of piling up bytes. The worker receives only bytes
 * to hash, never a key, and its results are compared on the main thread.
 *
 * Small inputs (under `minBytes`, or of unknown size when told so) are hashed
 * inline: for them a message round trip costs more than it saves. A worker
 * that fails or exits fails every digest it holds with the caller's error (the
 * caller's DESIGN_* code, kind `internal`); the next digest starts a new one.
 */

export interface DigestKinds {
  sha256?: boolean;
  crc32?: boolean;
}

export interface DigestValues {
  /** Bytes digested. */
  bytes: number;
  sha256?: Buffer;
  /** Unsigned CRC-32 (ISO-HDLC, as ZIP uses). */
  crc32?: number;
}

/** A digest being computed, inline or on the worker. */
export interface RunningDigest {
  /**
   * Adds bytes, in order. The bytes are copied or hashed before this returns
   * or before the promise it returns resolves; the caller may then reuse or
   * pass on `chunk`. Call again only after that promise resolved.
   */
  update(chunk: Uint8Array): Promise<void> | undefined;
  /** Ends the digest. */
  digest(): Promise<DigestValues>;
  /** Drops an unfinished digest (the stream failed or was destroyed). */
  abandon(): void;
}

export interface DigestOptions {
  /** Expected length, if known: below the offload threshold the digest runs inline. */
  expectedBytes?: number;
  /** Where to compute: `auto` offloads large inputs, `inline` never does. */
  mode?: 'auto' | 'inline';
  /** The error a failure of the worker becomes (a DESIGN_* error of the calling operation). */
  onWorkerFailure: (cause: Error) => Error;
}

export interface OffloadSettings {
  /** Inputs expected to be shorter than this are hashed inline. */
  minBytes: number;
  /** Most digest workers (0: never offload). */
  workers: number;
  /** Ring slots per offloaded digest, and their size. */
  slots: number;
  slotBytes: number;
}

const MiB = 1024 * 1024;

const settings: OffloadSettings = {
  minBytes: 4 * MiB,
  // One core gains nothing from a worker; two or more run hashing beside the cipher.
  workers: availableParallelism() >= 2 ? 1 : 0,
  slots: 4,
  slotBytes: 1 * MiB,
};

/** Changes the offload settings (tests, benchmarks); returns the previous ones. */
export function configureDigestOffload(change: Partial<OffloadSettings>): OffloadSettings {
  const previous = { ...settings };
  Object.assign(settings, change);
  return previous;
}

/**
 * A digest of the given kinds, inline or on a worker. Nothing is set up until
 * the first `update` or `digest`, so a stream that is never read holds no ring
 * and no worker.
 */
export function startDigest(kinds: DigestKinds, options: DigestOptions): RunningDigest {
  return new LazyDigest(() => {
    const small = options.expectedBytes !== undefined && options.expectedBytes < settings.minBytes;
    if (options.mode === 'inline' || small || settings.workers <= 0) return new InlineDigest(kinds);
    return new OffloadedDigest(kinds, pickWorker(), options.onWorkerFailure);
  });
}

class LazyDigest implements RunningDigest {
  #inner: RunningDigest | undefined;
  constructor(private readonly make: () => RunningDigest) {}
  #started(): RunningDigest {
    return (this.#inner ??= this.make());
  }
  update(chunk: Uint8Array): Promise<void> | undefined {
    return this.#started().update(chunk);
  }
  digest(): Promise<DigestValues> {
    return this.#started().digest();
  }
  abandon(): void {
    this.#inner?.abandon();
  }
}

/**
 * Feeds `chunk` to `digest` and calls `next` once it was absorbed: at once,
 * or when the worker hands a ring slot back (the stream's backpressure).
 */
export function feedDigest(digest: RunningDigest, chunk: Uint8Array, next: (error?: Error) => void): void {
  let wait: Promise<void> | undefined;
  try {
    wait = digest.update(chunk);
  } catch (e) {
    return next(e as Error);
  }
  if (wait) wait.then(() => next(), next);
  else next();
}

// ------------------------------------------------------------------ inline

class InlineDigest implements RunningDigest {
  readonly #hash: Hash | undefined;
  #crc: number | undefined;
  #bytes = 0;

  constructor(kinds: DigestKinds) {
    this.#hash = kinds.sha256 ? createHash('sha256') : undefined;
    this.#crc = kinds.crc32 ? 0 : undefined;
  }

  update(chunk: Uint8Array): undefined {
    this.#bytes += chunk.length;
    this.#hash?.update(chunk);
    if (this.#crc !== undefined) this.#crc = crc32(chunk, this.#crc);
    return undefined;
  }

  digest(): Promise<DigestValues> {
    return Promise.resolve({
      bytes: this.#bytes,
      ...(this.#hash ? { sha256: this.#hash.digest() } : {}),
      ...(this.#crc !== undefined ? { crc32: this.#crc >>> 0 } : {}),
    });
  }

  abandon(): void {}
}

// ------------------------------------------------------------------ the worker

/**
 * The worker's program, plain CommonJS run with `eval`, so that it loads the
 * same way from TypeScript sources (tests, tsx) and from the compiled build.
 * It keeps a hash state per digest id and hashes ring slots in place.
 */
const WORKER_SOURCE = `'use strict';
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { crc32 } = require('node:zlib');
const digests = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.op === 'open') {
      digests.set(m.id, { ring: new Uint8Array(m.ring), hash: m.sha256 ? createHash('sha256') : undefined, crc: m.crc32 ? 0 : undefined });
    } else if (m.op === 'update') {
      const d = digests.get(m.id);
      if (d) {
        const bytes = d.ring.subarray(m.offset, m.offset + m.length);
        if (d.hash) d.hash.update(bytes);
        if (d.crc !== undefined) d.crc = crc32(bytes, d.crc);
      }
      parentPort.postMessage({ op: 'free', id: m.id, slot: m.slot });
    } else if (m.op === 'final') {
      const d = digests.get(m.id);
      digests.delete(m.id);
      parentPort.postMessage({ op: 'digest', id: m.id, sha256: d && d.hash ? d.hash.digest() : undefined, crc32: d && d.crc !== undefined ? d.crc >>> 0 : undefined });
    } else if (m.op === 'drop') {
      digests.delete(m.id);
    } else if (m.op === 'crash') {
      throw new Error('crash requested');
    }
  } catch (e) {
    parentPort.postMessage({ op: 'failed', id: m.id, message: String(e && e.message) });
    if (m.op === 'crash') process.exit(70);
  }
});
`;

type WorkerReply =
  | { op: 'free'; id: number; slot: number }
  | { op: 'digest'; id: number; sha256?: Uint8Array; crc32?: number }
  | { op: 'failed'; id: number; message: string };

class DigestWorker {
  readonly #worker: Worker;
  readonly #digests = new Map<number, OffloadedDigest>();
  /** Sum of the weights of the digests it holds: new digests go to the least loaded worker. */
  load = 0;
  failed = false;
  /** Messages awaiting a reply: only while there are some does the worker keep the process alive. */
  #outstanding = 0;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's loader flags (tsx): the program needs node builtins only.
      execArgv: [],
      name: 'fabgate-digest',
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 },
    });
    this.#worker.unref();
    this.#worker.on('message', (m: WorkerReply) => {
      if (m.op !== 'failed' && --this.#outstanding === 0) this.#worker.unref();
      const d = this.#digests.get(m.id);
      if (m.op === 'failed' && !d) return this.#fail(new Error(`digest worker: ${m.message}`));
      d?.receive(m);
    });
    this.#worker.on('error', (e) => this.#fail(e));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the digest worker exited (code ${code})`)));
  }

  attach(id: number, digest: OffloadedDigest, weight: number, message: object): void {
    this.#digests.set(id, digest);
    this.load += weight;
    this.#worker.postMessage(message);
  }

  detach(id: number, weight: number): void {
    if (!this.#digests.delete(id)) return;
    this.load -= weight;
  }

  /** Posts a message; `awaitsReply` for `update` and `final`, which the worker answers. */
  post(message: object, awaitsReply = false): void {
    if (awaitsReply && this.#outstanding++ === 0) this.#worker.ref();
    this.#worker.postMessage(message);
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  #fail(cause: Error): void {
    if (this.failed) return;
    this.failed = true;
    const index = pool.indexOf(this);
    if (index >= 0) pool.splice(index, 1);
    for (const d of [...this.#digests.values()]) d.fail(cause);
    this.#digests.clear();
    this.#worker.unref();
    void this.#worker.terminate();
  }
}

const pool: DigestWorker[] = [];
let nextId = 1;

/** SHA-256 costs several times CRC-32 per byte. */
function weightOf(kinds: DigestKinds): number {
  return (kinds.sha256 ? 4 : 0) + (kinds.crc32 ? 1 : 0);
}

function pickWorker(): DigestWorker {
  const idle = pool.find((w) => w.load === 0);
  if (idle) return idle;
  if (pool.length < settings.workers) {
    const w = new DigestWorker();
    pool.push(w);
    return w;
  }
  return pool.reduce((a, b) => (b.load < a.load ? b : a));
}

/** Stops every digest worker; digests they hold fail, new ones get a new worker (tests of the failure path). */
export async function terminateDigestWorkers(): Promise<void> {
  const stopping = pool.splice(0);
  await Promise.all(stopping.map((w) => w.terminate()));
}

/** Makes the workers fail from the inside, as a bug or a resource limit would (tests); new digests get a new worker. */
export function crashDigestWorkers(): void {
  for (const w of pool.splice(0)) w.post({ op: 'crash', id: 0 });
}

// ------------------------------------------------------------------ offloaded

class OffloadedDigest implements RunningDigest {
  readonly #id = nextId++;
  readonly #worker: DigestWorker;
  readonly #weight: number;
  readonly #onFailure: (cause: Error) => Error;
  readonly #slotBytes = settings.slotBytes;
  readonly #ring: Uint8Array;
  /** True while a slot is with the worker. */
  readonly #busy: boolean[];
  #slot = 0;
  #fill = 0;
  #bytes = 0;
  #waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #result: { resolve: (v: DigestValues) => void; reject: (e: Error) => void } | undefined;
  #failure: Error | undefined;
  #ended = false;

  constructor(kinds: DigestKinds, worker: DigestWorker, onFailure: (cause: Error) => Error) {
    this.#worker = worker;
    this.#weight = weightOf(kinds);
    this.#onFailure = onFailure;
    const ring = new SharedArrayBuffer(settings.slots * this.#slotBytes);
    this.#ring = new Uint8Array(ring);
    this.#busy = new Array<boolean>(settings.slots).fill(false);
    worker.attach(this.#id, this, this.#weight, { op: 'open', id: this.#id, ring, sha256: kinds.sha256 === true, crc32: kinds.crc32 === true });
  }

  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ended) throw new Error('digest already ended');
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#busy[this.#slot]) return this.#waitThenUpdate(chunk.subarray(offset));
      const n = Math.min(this.#slotBytes - this.#fill, chunk.length - offset);
      this.#ring.set(chunk.subarray(offset, offset + n), this.#slot * this.#slotBytes + this.#fill);
      this.#fill += n;
      this.#bytes += n;
      offset += n;
      if (this.#fill === this.#slotBytes) this.#send();
    }
    return undefined;
  }

  async #waitThenUpdate(rest: Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) => (this.#waiting = { resolve, reject }));
    const more = this.update(rest);
    if (more) await more;
  }

  #send(): void {
    this.#busy[this.#slot] = true;
    this.#worker.post({ op: 'update', id: this.#id, slot: this.#slot, offset: this.#slot * this.#slotBytes, length: this.#fill }, true);
    this.#slot = (this.#slot + 1) % this.#busy.length;
    this.#fill = 0;
  }

  digest(): Promise<DigestValues> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ended) throw new Error('digest already ended');
    this.#ended = true;
    // The current slot is never busy while it is being filled.
    if (this.#fill > 0) this.#send();
    return new Promise<DigestValues>((resolve, reject) => {
      this.#result = { resolve, reject };
      this.#worker.post({ op: 'final', id: this.#id }, true);
    });
  }

  abandon(): void {
    if (this.#failure || this.#worker.failed) return;
    this.#ended = true;
    this.#worker.post({ op: 'drop', id: this.#id });
    this.#worker.detach(this.#id, this.#weight);
  }

  receive(m: WorkerReply): void {
    if (m.op === 'free') {
      this.#busy[m.slot] = false;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.resolve();
    } else if (m.op === 'digest') {
      this.#worker.detach(this.#id, this.#weight);
      this.#result?.resolve({
        bytes: this.#bytes,
        ...(m.sha256 ? { sha256: Buffer.from(m.sha256.buffer, m.sha256.byteOffset, m.sha256.byteLength) } : {}),
        ...(m.crc32 !== undefined ? { crc32: m.crc32 } : {}),
      });
    } else {
      this.fail(new Error(`digest worker: ${m.message}`));
    }
  }

  fail(cause: Error): void {
    if (this.#failure) return;
    this.#failure = this.#onFailure(cause);
    this.#worker.detach(this.#id, this.#weight);
    this.#waiting?.reject(this.#failure);
    this.#result?.reject(this.#failure);
    this.#waiting = undefined;
    this.#result = undefined;
  }
}
