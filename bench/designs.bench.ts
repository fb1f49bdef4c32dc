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
 * - open (verified first): a keyless pass hashing every stored part against the
 *   signed manifest, then a second pass decrypting with the tag checked.
 * - open (verified while reading): one pass, hashing and decrypting together.
 * - envelope seal / unseal: chunked GCM (64 KiB), SHA-256 of the chunks, file I/O.
 *
 * Throughput is bytes / CPU time of the operation (user + system of the whole
 * process, so zlib and fs worker threads count), MB = 10^6 bytes, best of
 * several rounds in which every contender runs once, in turn, in one child
 * process. CPU time rather than wall time because the project machine is
 * shared and its load swings; wall figures are in the notes. Peak memory is the
 * child's maxRSS, one child per operation.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { loadRsaPrivateKey, loadRsaPublicKey, openEnvelopeFile, openProtectedPackage, protectFile, sealEnvelopeFile } from '../src/designs/securecontent/index.js';
import { readAllParts } from '../src/designs/securecontent/test-support/zips.js';
import { ZipWriter } from '../src/designs/securecontent/zip-writer.js';
import { sharedData } from '../src/shared/test-support/shared-data.js';
import type { BenchRow } from './types.js';

const CHILD = 'FABGATE_DESIGN_BENCH_CHILD';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const SC = ['3mf', 'lib3mf', 'Tests', 'TestFiles', 'SecureContent'];
const BIG_PART = '/Metadata/big.bin';

interface Timing {
  cpu: number;
  wall: number;
}
interface ThroughputReport {
  bytes: number;
  rounds: Record<string, Timing[]>;
}
interface MemoryReport {
  bytes: number;
  maxRssMb: number;
  /** RSS sampled every 200 ms during the operation, MB. */
  samplesMb: number[];
  wallSeconds: number;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timed(fn: () => Promise<void> | void): Promise<Timing> {
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
    write(_c, _e, cb) {
      cb();
    },
  });

async function openPart(path: string, verifyDigests: boolean): Promise<void> {
  const { privateKey } = consumerKeys();
  const pkg = await openProtectedPackage({ path }, { consumerId: 'LIB3MF#TEST', privateKey, verifyDigests });
  try {
    await pipeline(pkg.openPart(BIG_PART), sink());
  } finally {
    await pkg.close();
  }
}

// ------------------------------------------------------------------ child processes

async function childThroughput(dir: string, bytes: number, rounds: number): Promise<ThroughputReport> {
  const input = join(dir, 'in.3mf');
  await makeInput(input, bytes);
  const rawInput = join(dir, 'in.bin');
  await pipeline(randomContent(bytes), createWriteStream(rawInput));
  const { publicKey } = consumerKeys();
  const signingKey = generateKeyPairSync('ed25519').privateKey;
  const consumers = [{ consumerId: 'LIB3MF#TEST', keyId: 'contentKey', publicKey }];
  const plain = randomBytes(64 * MiB);
  const report: ThroughputReport = { bytes, rounds: {} };
  const record = (name: string, t: Timing) => (report.rounds[name] ??= []).push(t);
  for (let r = 0; r < rounds; r++) {
    record(
      'raw',
      await timed(() => {
        const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
        for (let done = 0; done < bytes; done += 64 * 1024) {
          const at = done % plain.length;
          cipher.update(plain.subarray(at, at + 64 * 1024));
        }
        cipher.final();
      }),
    );
    record(
      'sha256',
      await timed(() => {
        const hash = createHash('sha256');
        for (let done = 0; done < bytes; done += 64 * 1024) {
          const at = done % plain.length;
          hash.update(plain.subarray(at, at + 64 * 1024));
        }
        hash.digest();
      }),
    );
    const out = join(dir, `out-${r}.3mf`);
    record('protect', await timed(() => protectFile(input, out, { consumers, signingKey }).then(() => undefined)));
    record('open-verified', await timed(() => openPart(out, true)));
    record('open-inline', await timed(() => openPart(out, false)));
    rmSync(out);
    const sealed = join(dir, `sealed-${r}.fgenv`);
    record('seal', await timed(() => sealEnvelopeFile(rawInput, sealed, { recipients: consumers, contentType: 'application/octet-stream', signingKey }).then(() => undefined)));
    const unsealed = join(dir, `unsealed-${r}.bin`);
    record('unseal', await timed(() => openEnvelopeFile(sealed, unsealed, { consumerId: 'LIB3MF#TEST', privateKey: consumerKeys().privateKey }).then(() => undefined)));
    rmSync(sealed);
    rmSync(unsealed);
  }
  return report;
}

/**
 * Peak memory is measured in plain node on JavaScript transpiled from the
 * sources (TypeScript's transpileModule, no bundling), so that the figure is
 * the design code's and not the tsx loader's (about 90 MB on its own).
 */
function transpiledChild(): string {
  const out = join(root, '.bench-cache', 'designs-js');
  rmSync(out, { recursive: true, force: true });
  const sources = [
    ...readdirSync(join(root, 'src', 'designs', 'securecontent'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => join(root, 'src', 'designs', 'securecontent', f)),
    join(root, 'src', 'shared', 'errors.ts'),
  ];
  for (const file of sources) {
    const js = ts.transpileModule(readFileSync(file, 'utf8'), {
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
import { loadRsaPrivateKey, loadRsaPublicKey, openProtectedPackage, protectFile } from './src/designs/securecontent/index.js';
const { step, input, out, publicKey, privateKey } = JSON.parse(process.env.${CHILD});
const samples = [];
const sampler = setInterval(() => samples.push(process.memoryUsage().rss / 1048576), 200);
const t0 = performance.now();
if (step === 'protect') {
  await protectFile(input, out, { consumers: [{ consumerId: 'LIB3MF#TEST', publicKey: loadRsaPublicKey(readFileSync(publicKey)) }], signingKey: generateKeyPairSync('ed25519').privateKey });
}
if (step === 'open') {
  const pkg = await openProtectedPackage({ path: out }, { consumerId: 'LIB3MF#TEST', privateKey: loadRsaPrivateKey(readFileSync(privateKey)) });
  await pipeline(pkg.openPart('${BIG_PART}'), new Writable({ write(_c, _e, cb) { cb(); } }));
  await pkg.close();
}
clearInterval(sampler);
process.stdout.write(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, samplesMb: samples, wallSeconds: (performance.now() - t0) / 1000 }) + '\\n');
`,
  );
  return child;
}

function runMemoryChild(child: string, args: Record<string, unknown>): MemoryReport {
  const run = spawnSync(process.execPath, [child], { env: { ...process.env, [CHILD]: JSON.stringify(args) }, encoding: 'utf8', maxBuffer: 16 * MiB });
  if (run.status !== 0) throw new Error(`memory child failed: ${run.stderr}`);
  return { bytes: 0, ...(JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Omit<MemoryReport, 'bytes'>) };
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

if (process.env[CHILD]) {
  const args = JSON.parse(process.env[CHILD]) as { kind: 'throughput'; dir: string; bytes: number; rounds: number } | { kind: 'input'; path: string; bytes: number };
  if (args.kind === 'input') await makeInput(args.path, args.bytes);
  const result = args.kind === 'throughput' ? await childThroughput(args.dir, args.bytes, args.rounds) : { bytes: args.bytes };
  process.stdout.write(JSON.stringify(result) + '\n');
}

// ------------------------------------------------------------------ the benchmark

const best = (ts: Timing[], key: keyof Timing) => Math.min(...ts.map((t) => t[key]));

export default async function designsBench(): Promise<BenchRow[]> {
  const throughputBytes = Number(process.env.FABGATE_BENCH_DESIGN_MB ?? 256) * MiB;
  const memoryBytes = Number(process.env.FABGATE_BENCH_DESIGN_MEMORY_MB ?? 1024) * MiB;
  const rounds = Number(process.env.FABGATE_BENCH_DESIGN_ROUNDS ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'fabgate-design-bench-'));
  try {
    const t = runChild<ThroughputReport>({ kind: 'throughput', dir, bytes: throughputBytes, rounds });
    const mb = t.bytes / 1e6;
    const raw = mb / best(t.rounds.raw!, 'cpu');
    const rawWall = mb / best(t.rounds.raw!, 'wall');
    const label = `${Math.round(t.bytes / MiB)} MiB part`;
    const peerName = 'raw AES-256-GCM, 64 KiB chunks, node:crypto';
    const row = (key: string, what: string, note: string): BenchRow => ({
      what: `${what}, ${label}`,
      ours: mb / best(t.rounds[key]!, 'cpu'),
      peer: raw,
      peerName,
      unit: 'MB/s',
      higherIsBetter: true,
      target: '>= 70 % of raw',
      note: `${note}; wall ${(mb / best(t.rounds[key]!, 'wall')).toFixed(0)} vs ${rawWall.toFixed(0)} MB/s; best of ${rounds}`,
    });
    const sha = mb / best(t.rounds.sha256!, 'cpu');
    const rows = [
      row('protect', '3MF protect (read ZIP + CRC, GCM, SHA-256, write ZIP + CRC)', `one part, one consumer, signed manifest; SHA-256 alone runs at ${sha.toFixed(0)} MB/s here`),
      row('open-verified', '3MF open, manifest verified before decrypting', 'hash pass, then decrypt pass'),
      row('open-inline', '3MF open, verified while reading', 'one pass: SHA-256 + GCM'),
      row('seal', 'envelope seal (64 KiB STREAM chunks)', 'file to file'),
      row('unseal', 'envelope unseal, signature checked first', 'verify pass, then decrypt pass'),
    ];

    const child = transpiledChild();
    const input = join(dir, 'mem-in.3mf');
    const out = join(dir, 'mem-out.3mf');
    const keys = { publicKey: sharedData(...SC, 'sample.pub.pem'), privateKey: sharedData(...SC, 'sample.pem') };
    const baseline = runMemoryChild(child, { step: 'none', input, out, ...keys });
    for (const size of [memoryBytes / 4, memoryBytes]) {
      runChild({ kind: 'input', path: input, bytes: size });
      const packageSize = statSync(input).size;
      for (const step of ['protect', 'open'] as const) {
        const m = runMemoryChild(child, { step, input, out, ...keys });
        rows.push({
          what: `peak RSS, 3MF ${step} of a ${Math.round(size / MiB)} MiB part (${(packageSize / 1e9).toFixed(2)} GB package)`,
          ours: m.maxRssMb,
          unit: 'MB',
          higherIsBetter: false,
          target: '<= 100 MB, flat in part size',
          note: `maxRSS of a plain-node child (node alone with the modules loaded: ${baseline.maxRssMb.toFixed(0)} MB); RSS while running ${Math.min(...m.samplesMb).toFixed(0)}-${Math.max(...m.samplesMb).toFixed(0)} MB; ${m.wallSeconds.toFixed(1)} s wall`,
        });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
