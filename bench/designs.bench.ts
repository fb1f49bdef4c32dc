/**
 * Protected designs (3MF Secure Content and the detached envelope): streaming
 * encrypt and decrypt of one large part, side by side with raw AES-256-GCM in
 * Node on 64 KiB chunks (the peer) in the same process, and the peak
 * memory of protecting and opening a 1 GiB part.
 *
 * What "ours" does per byte, and the peer does not:
 * - protect: read the part from the input ZIP and check its CRC-32, AES-256-GCM,
 *   SHA-256 of the cipher file (for the signed manifest), CRC-32 of the output
 *   entry, write the ZIP file; plus the RSA wrap and Ed25519 signature.
 * - open (verified first, the default): a keyless pass hashing every stored
 *   part against the signed manifest, then a second pass decrypting with the
 *   tag checked.
 * - open (verified while reading): one pass, hashing and decrypting together.
 * - envelope seal / unseal: chunked GCM (1 MiB chunks), SHA-256 of the chunks,
 *   file I/O; unseal decrypts into a temporary file renamed into place only
 *   once the signature verified.
 * - SHA-256 alone (a reference row): every path above must hash every byte
 *   with SHA-256 (the formats sign SHA-256 digests), and one SHA-256 cannot be
 *   split across cores.
 * The rows "every digest on the main thread" turn the digest worker off
 * (digest-worker.ts; by default it takes SHA-256 from two cores up), to show
 * what it buys on the machine at hand: nothing when the other cores are busy.
 *
 * Throughput is bytes / wall-clock seconds (MB = 10^6 bytes), because that is
 * what a user waits for; the work is spread over threads (zlib, fs, and the
 * digest worker), so CPU seconds alone would hide what the threads buy. The
 * machine is shared and its load swings, so every run of ours is paired with a
 * run of the peer just before it in the same process (load hits both alike):
 * the table shows the medians, the note the median of the per-pair ratios and
 * the CPU-time figures (user + system of the whole process, all threads).
 * Peak memory is the peak RSS (VmHWM) of a plain-node child, one child per operation.
 *
 * The target (70 % of raw GCM) is beyond what the required work allows on a
 * two-core machine for protect and for open verified first: see
 * src/designs/securecontent/MANIFEST-FORMAT.md §7 for the cost of every byte
 * and the bound it sets; the SHA-256 row gives this run's SHA-256 speed.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { loadRsaPrivateKey, loadRsaPublicKey, openEnvelopeFile, openProtectedPackage, protectFile, sealEnvelopeFile } from '../src/designs/securecontent/index.js';
import { configureDigestOffload } from '../src/designs/securecontent/digest-worker.js';
import { readAllParts } from '../src/designs/securecontent/test-support/zips.js';
import { ZipWriter } from '../src/designs/securecontent/zip-writer.js';
import { sharedData } from '../src/shared/test-support/shared-data.js';
import type { BenchRow } from './types.js';

const CHILD = 'FABGATE_DESIGN_BENCH_CHILD';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const SC = ['3mf', 'lib3mf', 'Tests', 'TestFiles', 'SecureContent'];
const BIG_PART = '/Metadata/big.bin';
const CONSUMER = 'LIB3MF#TEST';

interface Timing {
  cpu: number;
  wall: number;
}
/** One run of ours and the peer's run just before it. */
interface Pair {
  raw: Timing;
  ours: Timing;
}
interface ThroughputReport {
  bytes: number;
  pairs: Record<string, Pair[]>;
}
interface MemoryReport {
  maxRssMb: number;
  /** RSS sampled every 100 ms during the operation, MB. */
  samplesMb: number[];
  wallSeconds: number;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timed(fn: () => Promise<unknown> | unknown): Promise<Timing> {
  const c0 = cpuNow();
  const t0 = performance.now();
  await fn();
  return { cpu: cpuNow() - c0, wall: (performance.now() - t0) / 1000 };
}

const consumerKeys = () => ({
  publicKey: loadRsaPublicKey(readFileSync(sharedData(...SC, 'sample.pub.pem'))),
  privateKey: loadRsaPrivateKey(readFileSync(sharedData(...SC, 'sample.pem'))),
});

/** Incompressible content, streamed: fresh 1 MiB buffers (a writer may still hold the previous one). */
function randomContent(bytes: number): Readable {
  const block = randomBytes(MiB);
  return Readable.from(
    (function* () {
      for (let i = 0; i * MiB < bytes; i++) {
        const b = Buffer.from(block.subarray(0, Math.min(MiB, bytes - i * MiB)));
        b.writeUInt32LE(i, 0);
        yield b;
      }
    })(),
    { objectMode: false },
  );
}

/** box.3mf with one large extra part, written as a plain 3MF. */
async function makeInput(path: string, bytes: number): Promise<void> {
  const base = await readAllParts(readFileSync(sharedData('3mf', '3mf-samples', 'examples', 'core', 'box.3mf')));
  const writer = new ZipWriter(createWriteStream(path));
  for (const [name, data] of base) {
    const content = name === '/[Content_Types].xml' ? Buffer.from(data.toString('utf8').replace('</Types>', '<Default Extension="bin" ContentType="application/octet-stream"/></Types>')) : data;
    await writer.addBuffer(name.slice(1), content, { compress: true });
  }
  await writer.addStream(BIG_PART.slice(1), randomContent(bytes), { compress: false, sizeHint: bytes });
  await writer.finish();
}

const sink = () =>
  new Writable({
    highWaterMark: 4 * MiB,
    write(_c, _e, cb) {
      cb();
    },
  });

async function openPart(path: string, verifyDigests: boolean): Promise<void> {
  const { privateKey } = consumerKeys();
  const pkg = await openProtectedPackage({ path }, { consumerId: CONSUMER, privateKey, verifyDigests });
  try {
    await pipeline(pkg.openPart(BIG_PART), sink());
  } finally {
    await pkg.close();
  }
}

// ------------------------------------------------------------------ child processes

/** The peer: AES-256-GCM over `bytes` in 64 KiB `update` calls, as the issue names it. */
function rawGcm(plain: Buffer, bytes: number): void {
  const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
  for (let done = 0; done < bytes; done += 64 * 1024) {
    const at = done % plain.length;
    cipher.update(plain.subarray(at, at + 64 * 1024));
  }
  cipher.final();
}

/** Runs `fn` with every digest on the main thread (the default offloads SHA-256 to the digest worker from two cores up). */
async function hashingInline(fn: () => Promise<unknown>): Promise<void> {
  const previous = configureDigestOffload({ workers: 0 });
  try {
    await fn();
  } finally {
    configureDigestOffload(previous);
  }
}

async function childThroughput(dir: string, bytes: number, rounds: number): Promise<ThroughputReport> {
  const input = join(dir, 'in.3mf');
  await makeInput(input, bytes);
  const rawInput = join(dir, 'in.bin');
  await pipeline(randomContent(bytes), createWriteStream(rawInput));
  const { publicKey, privateKey } = consumerKeys();
  const signingKey = generateKeyPairSync('ed25519').privateKey;
  const consumers = [{ consumerId: CONSUMER, keyId: 'contentKey', publicKey }];
  const plain = randomBytes(64 * MiB);
  const out = join(dir, 'out.3mf');
  const sealed = join(dir, 'sealed.fgenv');
  const unsealed = join(dir, 'unsealed.bin');
  // Ready-made outputs, so that every contender can run in any order.
  await protectFile(input, out, { consumers, signingKey });
  await sealEnvelopeFile(rawInput, sealed, { recipients: consumers, contentType: 'application/octet-stream', signingKey });
  const contenders: Record<string, () => Promise<unknown> | unknown> = {
    sha256: () => {
      const hash = createHash('sha256');
      for (let done = 0; done < bytes; done += MiB) {
        const at = done % plain.length;
        hash.update(plain.subarray(at, at + MiB));
      }
      hash.digest();
    },
    protect: async () => {
      rmSync(out, { force: true });
      await protectFile(input, out, { consumers, signingKey });
    },
    'protect-inline': () => hashingInline(async () => {
      rmSync(out, { force: true });
      await protectFile(input, out, { consumers, signingKey });
    }),
    'open-verified': () => openPart(out, true),
    'open-inline': () => openPart(out, false),
    'open-inline-inline': () => hashingInline(() => openPart(out, false)),
    seal: async () => {
      rmSync(sealed, { force: true });
      await sealEnvelopeFile(rawInput, sealed, { recipients: consumers, contentType: 'application/octet-stream', signingKey });
    },
    unseal: async () => {
      rmSync(unsealed, { force: true });
      await openEnvelopeFile(sealed, unsealed, { consumerId: CONSUMER, privateKey });
    },
  };
  const names = Object.keys(contenders);
  const report: ThroughputReport = { bytes, pairs: {} };
  // One warm-up round, not recorded: first runs pay for lazy initialisation and fresh heap pages.
  for (let r = -1; r < rounds; r++) {
    // Rotate the order so that no contender always follows the same one.
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + Math.max(r, 0)) % names.length]!;
      const raw = await timed(() => rawGcm(plain, bytes));
      const ours = await timed(contenders[name]!);
      if (r >= 0) (report.pairs[name] ??= []).push({ raw, ours });
    }
  }
  return report;
}

/**
 * Peak memory is measured in plain node on JavaScript transpiled from the
 * sources (TypeScript's transpileModule, no bundling), so that the figure is
 * the design code's and not the tsx loader's (about 90 MB on its own). Every
 * module reachable from the public index by relative imports is transpiled.
 */
function transpiledChild(): string {
  const out = join(root, '.bench-cache', 'designs-js');
  rmSync(out, { recursive: true, force: true });
  const pending = [join(root, 'src', 'designs', 'securecontent', 'index.ts')];
  const done = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      const target = resolve(dirname(file), `${m[1]}.ts`);
      if (existsSync(target)) pending.push(target);
    }
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  const child = join(out, 'memory-child.mjs');
  writeFileSync(
    child,
    `import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { generateKeyPairSync } from 'node:crypto';
import { loadRsaPrivateKey, loadRsaPublicKey, openEnvelopeFile, openProtectedPackage, protectFile, sealEnvelopeFile } from './src/designs/securecontent/index.js';
const { step, input, out, extracted, raw, sealed, unsealed, publicKey, privateKey } = JSON.parse(process.env.${CHILD});
const samples = [];
const sampler = setInterval(() => samples.push(process.memoryUsage().rss / 1048576), 100);
const t0 = performance.now();
const consumers = [{ consumerId: '${CONSUMER}', publicKey: loadRsaPublicKey(readFileSync(publicKey)) }];
const signingKey = generateKeyPairSync('ed25519').privateKey;
const key = { consumerId: '${CONSUMER}', privateKey: loadRsaPrivateKey(readFileSync(privateKey)) };
if (step === 'protect') await protectFile(input, out, { consumers, signingKey });
if (step === 'open') {
  const pkg = await openProtectedPackage({ path: out }, key);
  await pipeline(pkg.openPart('${BIG_PART}'), new Writable({ write(_c, _e, cb) { cb(); } }));
  await pkg.close();
}
if (step === 'extract') {
  const pkg = await openProtectedPackage({ path: out }, key);
  await pkg.extractTo(extracted);
  await pkg.close();
}
if (step === 'seal') await sealEnvelopeFile(raw, sealed, { recipients: consumers, contentType: 'application/octet-stream', signingKey });
if (step === 'unseal') await openEnvelopeFile(sealed, unsealed, key);
clearInterval(sampler);
samples.push(process.memoryUsage().rss / 1048576);
// peak of this process's own address space (see bench/peak-rss.ts: ru_maxrss survives exec)
const hwm = /^VmHWM:\\s+(\\d+)\\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ maxRssMb: hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024, samplesMb: samples, wallSeconds: (performance.now() - t0) / 1000 }) + '\\n');
`,
  );
  return child;
}

function runMemoryChild(child: string, args: Record<string, unknown>): MemoryReport {
  const run = spawnSync(process.execPath, [child], { env: { ...process.env, [CHILD]: JSON.stringify(args) }, encoding: 'utf8', maxBuffer: 16 * MiB });
  if (run.status !== 0) throw new Error(`memory child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as MemoryReport;
}

function runChild<T>(args: unknown): T {
  const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD]: JSON.stringify(args) },
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
  });
  if (run.status !== 0) throw new Error(`bench child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as T;
}

type ChildArgs = { kind: 'throughput'; dir: string; bytes: number; rounds: number } | { kind: 'input'; path: string; raw: string; bytes: number };

if (process.env[CHILD]) {
  const args = JSON.parse(process.env[CHILD]) as ChildArgs;
  let result: unknown;
  if (args.kind === 'input') {
    await makeInput(args.path, args.bytes);
    await pipeline(randomContent(args.bytes), createWriteStream(args.raw));
    result = { bytes: args.bytes };
  } else {
    result = await childThroughput(args.dir, args.bytes, args.rounds);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

// ------------------------------------------------------------------ the benchmark

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export default async function designsBench(): Promise<BenchRow[]> {
  const throughputBytes = Number(process.env.FABGATE_BENCH_DESIGN_MB ?? 256) * MiB;
  const memoryBytes = Number(process.env.FABGATE_BENCH_DESIGN_MEMORY_MB ?? 1024) * MiB;
  const rounds = Number(process.env.FABGATE_BENCH_DESIGN_ROUNDS ?? 7);
  const dir = mkdtempSync(join(tmpdir(), 'fabgate-design-bench-'));
  try {
    const t = runChild<ThroughputReport>({ kind: 'throughput', dir, bytes: throughputBytes, rounds });
    const mb = t.bytes / 1e6;
    const label = `${Math.round(t.bytes / MiB)} MiB part`;
    const row = (key: string, what: string, note: string): BenchRow => {
      const pairs = t.pairs[key]!;
      const ratios = pairs.map((p) => p.raw.wall / p.ours.wall);
      const cpuOurs = median(pairs.map((p) => mb / p.ours.cpu));
      const cpuRaw = median(pairs.map((p) => mb / p.raw.cpu));
      return {
        what: `${what}, ${label}`,
        ours: median(pairs.map((p) => mb / p.ours.wall)),
        peer: median(pairs.map((p) => mb / p.raw.wall)),
        peerName: 'raw AES-256-GCM, 64 KiB chunks, node:crypto',
        unit: 'MB/s',
        higherIsBetter: true,
        target: key === 'sha256' ? 'ceiling (reference)' : '>= 70 % of raw',
        note:
          `${note}; wall ratio per pair: median ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}), ${pairs.length} pairs; ` +
          `CPU time (all threads): ${cpuOurs.toFixed(0)} vs ${cpuRaw.toFixed(0)} MB/s (${(cpuOurs / cpuRaw).toFixed(2)})`,
      };
    };
    const hashing = availableParallelism() >= 2 ? `SHA-256 on the digest worker (the default from two cores up; ${availableParallelism()} here)` : 'hashing inline (the default on one core)';
    const rows = [
      row('sha256', 'SHA-256 alone (1 MiB updates), the ceiling of every path below', 'one thread; the formats sign SHA-256 digests of every byte'),
      row('protect', '3MF protect (read ZIP + CRC, GCM, SHA-256, write ZIP + CRC)', `one part, one consumer, signed manifest; ${hashing}`),
      row('protect-inline', '3MF protect, every digest on the main thread', 'no digest worker: the cost of the work on one thread'),
      row('open-verified', '3MF open, manifest verified before decrypting (the default)', 'hash pass, then decrypt pass'),
      row('open-inline', '3MF open, verified while reading', `one pass: SHA-256 + GCM; ${hashing}`),
      row('open-inline-inline', '3MF open, verified while reading, every digest on the main thread', 'no digest worker: the cost of the work on one thread'),
      row('seal', 'envelope seal (default chunk size)', 'file to file'),
      row('unseal', 'envelope unseal to a file (openEnvelopeFile)', 'nothing renamed into place before the signature verified'),
    ];

    const child = transpiledChild();
    const files = {
      input: join(dir, 'mem-in.3mf'),
      out: join(dir, 'mem-out.3mf'),
      raw: join(dir, 'mem-in.bin'),
      sealed: join(dir, 'mem.fgenv'),
      unsealed: join(dir, 'mem-out.bin'),
      extracted: join(dir, 'mem-extracted'),
      publicKey: sharedData(...SC, 'sample.pub.pem'),
      privateKey: sharedData(...SC, 'sample.pem'),
    };
    const baseline = runMemoryChild(child, { step: 'none', ...files });
    for (const size of [memoryBytes / 4, memoryBytes]) {
      for (const f of [files.out, files.sealed, files.unsealed, files.extracted]) rmSync(f, { force: true, recursive: true });
      runChild({ kind: 'input', path: files.input, raw: files.raw, bytes: size });
      const packageSize = statSync(files.input).size;
      for (const step of ['protect', 'open', 'extract', 'seal', 'unseal'] as const) {
        if (step === 'extract') rmSync(files.extracted, { force: true, recursive: true });
        const m = runMemoryChild(child, { step, ...files });
        const what = {
          protect: `3MF protect of a ${Math.round(size / MiB)} MiB part to a file (${(packageSize / 1e9).toFixed(2)} GB package)`,
          open: `3MF open of a ${Math.round(size / MiB)} MiB part, read as a stream by the caller`,
          extract: `3MF open of a ${Math.round(size / MiB)} MiB part, extracted to files (extractTo)`,
          seal: `envelope seal, ${Math.round(size / MiB)} MiB file to file`,
          unseal: `envelope unseal, ${Math.round(size / MiB)} MiB file to file`,
        }[step];
        rows.push({
          what: `peak RSS, ${what}`,
          ours: m.maxRssMb,
          unit: 'MB',
          higherIsBetter: false,
          target: '<= 100 MB, flat in part size',
          note: `peak RSS of a plain-node child (node with the modules loaded: ${baseline.maxRssMb.toFixed(0)} MB); RSS while running ${Math.min(...m.samplesMb).toFixed(0)}-${Math.max(...m.samplesMb).toFixed(0)} MB; ${m.wallSeconds.toFixed(1)} s wall`,
        });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
