/**
 * What the print-host agent costs on the way to the printer, each beside the
 * floor it cannot go below, measured in the same run:
 *
 * - the whole-file check an upload host gets (decrypt the envelope, check
 *   every line, measure what the gate releases) on PrusaSlicer's
 *   big-part.gcode (23.4 MB), beside decrypting the same envelope and
 *   discarding the plaintext (the envelope's own cost; peer);
 * - streaming to a serial printer: checked lines per second of part.gcode over
 *   a pseudo-terminal pair (socat) to a fake firmware answering `ok`, beside
 *   sending the same lines over the same link with no decryption and no check
 *   (the link's own ping-pong; peer). A real printer at 115 200 baud takes
 *   well under a thousand such lines per second;
 * - the durable state write that counts a print (fsync, rename, journal), and
 *   offline ticket verification with a transparency-log receipt;
 * - peak RSS of the whole-file check on a 23 MB and a 512 MB envelope, each
 *   in a fresh process (under the tsx loader, which adds its own baseline):
 *   the difference is what a larger file costs in memory.
 *
 * Throughput is bytes / CPU time of the work (user + system), best of several
 * alternating rounds, because the project machine is shared; serial lines per
 * second are wall time (the link's round trips are the point). MB = 10^6 bytes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { checkWhole, streamLines } from '../src/agent/gcode-passes.js';
import { generateDeviceKeys } from '../src/agent/keys.js';
import { SerialPrinter, wireLine } from '../src/agent/printers/serial.js';
import { AgentStore } from '../src/agent/state.js';
import { FakeSerialPrinter } from '../src/agent/test-support/fake-hosts.js';
import { makeLog, tempDir, ticketFor } from '../src/agent/test-support/fixtures.js';
import { keyFingerprint } from '../src/designs/securecontent/keys.js';
import { openEnvelopeStream, sealEnvelope } from '../src/designs/securecontent/envelope.js';
import type { Envelope } from '../src/gcode/envelope.js';
import { parseVerifierKey } from '../src/ledger/core/keys.js';
import { sharedData } from '../src/shared/test-support/shared-data.js';
import { verifyPrintTicket } from '../src/tickets/ticket.js';
import type { BenchRow } from './types.js';
import { peakRssMb } from './peak-rss.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = 'FABGATE_AGENT_BENCH_CHILD';
/** Permissive enough for the scaled part and its repetitions: every line is checked, none stops the pass. */
const BENCH_ENVELOPE: Envelope = { build_volume_mm: { x: [-10, 300], y: [-10, 300], z: [0, 300] }, nozzle_temp_c: { max: 260 }, bed_temp_c: { max: 110 }, feed_rate_mm_min: { max: 12000 } };

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function seal(plaintext: Readable, file: string, publicKey: ReturnType<typeof createPublicKey>): Promise<void> {
  const sealed = sealEnvelope(plaintext, { recipients: [{ consumerId: 'bench', publicKey }], contentType: 'text/x.gcode', name: 'big.gcode' });
  await pipeline(sealed.stream, createWriteStream(file));
}

const open = (file: string, privateKey: Parameters<typeof openEnvelopeStream>[1]['privateKey']) =>
  openEnvelopeStream(createReadStream(file, { highWaterMark: 256 * 1024 }), { consumerId: 'bench', privateKey });

/** In a child: one whole-file check of an envelope; prints its peak RSS. */
async function child(): Promise<void> {
  const [file, keyFile] = [process.env.BENCH_FILE!, process.env.BENCH_KEY!];
  const { createPrivateKey } = await import('node:crypto');
  const key = createPrivateKey(readFileSync(keyFile));
  const result = await checkWhole(open(file, key), BENCH_ENVELOPE);
  process.stdout.write(JSON.stringify({ bytes: result.result.stats.bytes, maxRssMb: peakRssMb() }));
}

export default async function agentBench(): Promise<BenchRow[]> {
  const work = tempDir('fabgate-agent-bench-');
  try {
    return await measure(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function measure(work: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cache = join(here, '..', '.bench-cache');
  mkdirSync(cache, { recursive: true });
  const big = join(cache, 'big-part.gcode');
  if (!existsSync(big)) writeFileSync(big, execFileSync('xz', ['-dc', sharedData('gcode', 'prusaslicer', 'big-part.gcode.xz')], { maxBuffer: 64 * 1024 * 1024 }));
  const bigBytes = readFileSync(big);
  const keys = await generateDeviceKeys();
  const publicKey = createPublicKey(keys.contentKey);
  const envelopeFile = join(work, 'big.fgenv');
  await seal(Readable.from([bigBytes]), envelopeFile, publicKey);

  // 1. whole-file check vs decrypt only
  const best = { check: Infinity, decrypt: Infinity };
  const wall = { check: Infinity, decrypt: Infinity };
  for (let round = 0; round < 4; round++) {
    let t = cpu();
    let w = performance.now();
    const checked = await checkWhole(open(envelopeFile, keys.contentKey), BENCH_ENVELOPE);
    if (checked.result.stats.bytes !== bigBytes.length) throw new Error('the check saw another file');
    best.check = Math.min(best.check, cpu() - t);
    wall.check = Math.min(wall.check, performance.now() - w);
    t = cpu();
    w = performance.now();
    let n = 0;
    for await (const chunk of open(envelopeFile, keys.contentKey)) n += (chunk as Buffer).length;
    if (n !== bigBytes.length) throw new Error('short decryption');
    best.decrypt = Math.min(best.decrypt, cpu() - t);
    wall.decrypt = Math.min(wall.decrypt, performance.now() - w);
  }
  const mb = bigBytes.length / 1e6;
  rows.push({
    what: `agent whole-file check before upload (decrypt + check + gate measure), big-part.gcode ${mb.toFixed(1)} MB`,
    ours: mb / best.check,
    peer: mb / best.decrypt,
    peerName: 'envelope decryption alone',
    unit: 'MB/s',
    higherIsBetter: true,
    note: `CPU time, best of 4; wall ${(mb / (wall.check / 1000)).toFixed(0)} vs ${(mb / (wall.decrypt / 1000)).toFixed(0)} MB/s`,
  });

  // 2. serial streaming vs the link's own ping-pong
  const part = readFileSync(sharedData('gcode', 'prusaslicer', 'part.gcode'));
  const partFile = join(work, 'part.fgenv');
  await seal(Readable.from([part]), partFile, publicKey);
  const lines = part
    .toString('latin1')
    .split('\n')
    .map((l) => wireLine(Buffer.from(l, 'latin1')))
    .filter((l) => l !== '');
  const serialBest = { ours: Infinity, raw: Infinity };
  for (let round = 0; round < 3; round++) {
    for (const mode of ['ours', 'raw'] as const) {
      const fake = await new FakeSerialPrinter(work).start();
      const printer = new SerialPrinter({ path: fake.agentPath, boot_wait_ms: 0, handshake_timeout_ms: 5000, response_timeout_ms: 10_000, cancel_gcode: [] });
      await printer.open();
      const t = performance.now();
      if (mode === 'ours') {
        const r = await streamLines(open(partFile, keys.contentKey), { forbidden_commands: ['M302'] }, printer);
        if (r.outcome !== 'completed' || r.linesSent !== lines.length) throw new Error(`streaming ended ${r.outcome}`);
      } else {
        for (const l of lines) await printer.send(l);
        await printer.finish();
      }
      serialBest[mode] = Math.min(serialBest[mode], (performance.now() - t) / 1000);
      await printer.close();
      await fake.stop();
    }
  }
  rows.push({
    what: `agent serial streaming (decrypt + check per line + ok handshake), part.gcode ${lines.length} lines over a pty`,
    ours: lines.length / serialBest.ours,
    peer: lines.length / serialBest.raw,
    peerName: 'same lines, same link, no decrypt or check',
    unit: 'lines/s',
    higherIsBetter: true,
    note: 'wall time, best of 3; the fake firmware runs in the same process; a 115200-baud printer link carries < 1000 such lines/s',
  });

  // 3. the durable write that counts a print
  const storeDir = join(work, 'state');
  const store = await AgentStore.create(storeDir, { device: 'dev_bench', signingKey: keys.signingKey }, new Date());
  const times: number[] = [];
  for (let i = 1; i <= 40; i++) {
    const t = performance.now();
    await store.commit(`reserve ${i}`, (d) => {
      d.counters.tkt_bench = { used: i, prints: 1000, exp: 2_000_000_000 };
    });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  rows.push({ what: 'durable state write counting a print (sign, write, fsync, rename, dir fsync, journal append + fsync)', ours: times[20]!, unit: 'ms', higherIsBetter: false, note: `median of 40; p90 ${times[36]!.toFixed(2)} ms` });

  // 4. offline ticket verification with a log receipt
  const issuerPair = generateKeyPairSync('ed25519');
  const issuer = { kid: 'bench', privateKey: issuerPair.privateKey };
  const device = { id: 'dev_bench', keys };
  const designHash = randomBytes(32).toString('hex');
  const jws = ticketFor(device, designHash, issuer);
  const jti = (JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
  const log = makeLog();
  const proof = log.receiptFor(jws, jti);
  const policy = { logKeys: [parseVerifierKey(log.verifierKey)] };
  const options = { issuers: [{ kid: 'bench', publicKey: issuerPair.publicKey }], deviceContentKeySha256: keyFingerprint(keys.contentKey), now: new Date(), designManifestSha256: designHash, log: { proof, policy } };
  for (let i = 0; i < 50; i++) verifyPrintTicket(jws, options);
  const n = 500;
  const t = cpu();
  for (let i = 0; i < n; i++) verifyPrintTicket(jws, options);
  rows.push({ what: 'offline ticket verification (JWS EdDSA, claims, window, device, design, log receipt)', ours: ((cpu() - t) / n) * 1e6, unit: 'µs', higherIsBetter: false, note: `CPU time, mean of ${n}` });

  // 5. peak memory of the whole-file check: 23 MB and 512 MB envelopes, fresh processes
  const keyFile = join(work, 'content.pem');
  writeFileSync(keyFile, keys.contentKey.export({ type: 'pkcs8', format: 'pem' }));
  const hugeFile = join(work, 'huge.fgenv');
  const target = 512 * 1024 * 1024;
  async function* repeated() {
    for (let sent = 0; sent < target; sent += bigBytes.length) yield bigBytes.subarray(0, Math.min(bigBytes.length, target - sent));
  }
  await seal(Readable.from(repeated()), hugeFile, publicKey);
  const rss = (file: string) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { env: { ...process.env, [CHILD]: '1', BENCH_FILE: file, BENCH_KEY: keyFile }, encoding: 'utf8', maxBuffer: 1024 * 1024 });
    if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as { bytes: number; maxRssMb: number };
  };
  const small = rss(envelopeFile);
  const large = rss(hugeFile);
  rows.push({
    what: `peak RSS of the whole-file check, ${(large.bytes / 1e6).toFixed(0)} MB G-code envelope`,
    ours: large.maxRssMb,
    unit: 'MB',
    higherIsBetter: false,
    target: 'flat as the file grows',
    note: `${(small.bytes / 1e6).toFixed(1)} MB file in the same run: ${small.maxRssMb.toFixed(0)} MB (both under the tsx loader)`,
  });
  rmSync(hugeFile, { force: true });
  return rows;
}

if (process.env[CHILD]) await child();
