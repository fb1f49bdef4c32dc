/**
 * Transparency log core, in memory (issue 3):
 *
 * - appends per second with the compact range (leaf hash + append), the upper
 *   bound for the durable SQLite appender that the log service will add;
 * - inclusion and consistency proofs at 10 million entries, generated from the
 *   stored perfect-subtree hashes (O(log n) reads) and verified per RFC 9162.
 *   Verification is measured beside sigstore-js's RFC 6962 inclusion verifier
 *   (@sigstore/verify, the code the npm CLI runs on every provenance check)
 *   on the same proofs.
 *
 * The 10M tree is built from random leaf hashes (the bench measures the tree,
 * not the hashing of 10M entries), except at the sampled indices, whose leaves
 * are real entries so that both verifiers can hash them.
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { verifyMerkleInclusion } from '@sigstore/verify/dist/tlog/merkle.js';
import type { BenchRow } from './types.js';
import { CompactRange } from '../src/ledger/core/compact-range.js';
import { MemoryHashStore } from '../src/ledger/core/hash-store.js';
import { hashLeaf } from '../src/ledger/core/hash.js';
import { consistencyProof, inclusionProof, rootAt } from '../src/ledger/core/proof.js';
import { verifyConsistency, verifyInclusion } from '../src/ledger/core/verify.js';
import { encodeLeaf } from '../src/ledger/core/leaf.js';

const TREE_SIZE = 10_000_000;
const SAMPLES = 20_000;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Mean and 99th percentile, in microseconds, of `op` over every sample. */
function latency<T>(samples: readonly T[], op: (sample: T) => void): { mean: number; p99: number } {
  for (const s of samples.slice(0, 1000)) op(s); // warm-up
  const times = new Float64Array(samples.length);
  samples.forEach((s, i) => {
    const t = process.hrtime.bigint();
    op(s);
    times[i] = Number(process.hrtime.bigint() - t) / 1e3;
  });
  const total = times.reduce((a, b) => a + b, 0);
  times.sort();
  return { mean: total / samples.length, p99: times[Math.floor(samples.length * 0.99)]! };
}

/** A realistic Fabgate entry (about 200 bytes). */
function entry(i: number): Uint8Array {
  return encodeLeaf({
    eventType: 'tickets.issued',
    time: new Date(1_735_689_600_000 + i).toISOString(),
    recordType: 'ticket',
    recordId: `tkt_${i.toString(36).padStart(22, '0')}`,
    commitment: hashLeaf(Uint8Array.of(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff)),
  });
}

function appendThroughput(): BenchRow {
  const n = 1_000_000;
  const entries = Array.from({ length: 4096 }, (_, i) => entry(i));
  const warm = CompactRange.empty();
  for (let i = 0; i < 100_000; i++) warm.append(hashLeaf(entries[i % entries.length]!));
  const range = CompactRange.empty();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) range.append(hashLeaf(entries[i % entries.length]!));
  range.root();
  const rate = n / seconds(start);
  return {
    what: `compact range append, in memory (leaf hash + append + root), ${n.toLocaleString('en')} entries of ${entries[0]!.length} B`,
    ours: rate,
    unit: 'entries/s',
    higherIsBetter: true,
    target: 'upper bound for >= 5,000/s durable (SQLite, service)',
    note: 'no peer: the durable appender is benchmarked against this figure',
  };
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [appendThroughput()];

  // Sampled indices get real entries; every other leaf hash is random.
  const size = BigInt(TREE_SIZE);
  const indices = Array.from({ length: SAMPLES }, () => randomBytes(4).readUInt32BE() % TREE_SIZE);
  const sampleEntries = new Map(indices.map((i) => [i, entry(i)]));
  const store = new MemoryHashStore();
  const chunk = 1 << 20;
  const packed = new Uint8Array(chunk * 32);
  const buildStart = process.hrtime.bigint();
  for (let begin = 0; begin < TREE_SIZE; begin += chunk) {
    const count = Math.min(chunk, TREE_SIZE - begin);
    const part = packed.subarray(0, count * 32);
    randomFillSync(part);
    for (let i = begin; i < begin + count; i++) {
      const e = sampleEntries.get(i);
      if (e !== undefined) part.set(hashLeaf(e), (i - begin) * 32);
    }
    store.appendLeafHashes(part);
  }
  const buildSeconds = seconds(buildStart);
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  const root = rootAt(store, size);

  const proofs = indices.map((i) => ({ index: BigInt(i), entry: sampleEntries.get(i)!, proof: inclusionProof(store, BigInt(i), size) }));
  const generate = latency(indices, (i) => inclusionProof(store, BigInt(i), size));
  const verify = latency(proofs, (p) => verifyInclusion(hashLeaf(p.entry), p.index, size, p.proof, root));
  const checkpoint = { logSize: size.toString(), logHash: Buffer.from(root), origin: 'bench', logHashBase64: '', signatures: [], extensions: [] };
  const sigstoreEntries = proofs.map((p) => ({
    canonicalizedBody: Buffer.from(p.entry),
    inclusionProof: { logIndex: p.index.toString(), treeSize: size.toString(), rootHash: Buffer.from(root), hashes: p.proof.map((h) => Buffer.from(h)) },
  }));
  const peer = latency(sigstoreEntries, (e) => verifyMerkleInclusion(e as never, checkpoint as never));

  const olderSizes = indices.map((i) => BigInt(i + 1));
  const older = new Map(olderSizes.slice(0, 2000).map((s) => [s, rootAt(store, s)]));
  const cons = [...older.keys()].map((s) => ({ size1: s, proof: consistencyProof(store, s, size) }));
  const consGenerate = latency([...older.keys()], (s) => consistencyProof(store, s, size));
  const consVerify = latency(cons, (c) => verifyConsistency(c.size1, size, older.get(c.size1)!, root, c.proof));

  const at = '10,000,000 entries';
  rows.push(
    {
      what: `hash store build, ${at} (random leaf hashes, all 2n node hashes kept)`,
      ours: TREE_SIZE / buildSeconds,
      unit: 'leaves/s',
      higherIsBetter: true,
      note: `${buildSeconds.toFixed(1)} s, process RSS ${rssMiB.toFixed(0)} MiB`,
    },
    {
      what: `inclusion proof generation at ${at}, from stored hashes`,
      ours: generate.mean,
      unit: 'µs',
      higherIsBetter: false,
      target: '<= 1,000 µs',
      note: `mean of ${SAMPLES.toLocaleString('en')} random leaves; p99 ${generate.p99.toFixed(1)} µs`,
    },
    {
      what: `inclusion proof verification at ${at} (leaf hash + RFC 9162 §2.1.3.2)`,
      ours: verify.mean,
      peer: peer.mean,
      peerName: '@sigstore/verify 3.1.1 verifyMerkleInclusion',
      unit: 'µs',
      higherIsBetter: false,
      target: '<= 1,000 µs',
      note: `p99 ${verify.p99.toFixed(1)} µs (peer p99 ${peer.p99.toFixed(1)} µs)`,
    },
    {
      what: `consistency proof generation at ${at}, from stored hashes`,
      ours: consGenerate.mean,
      unit: 'µs',
      higherIsBetter: false,
      note: `mean of ${older.size.toLocaleString('en')} random older sizes; p99 ${consGenerate.p99.toFixed(1)} µs`,
    },
    {
      what: `consistency proof verification at ${at} (RFC 9162 §2.1.4.2)`,
      ours: consVerify.mean,
      unit: 'µs',
      higherIsBetter: false,
      note: `p99 ${consVerify.p99.toFixed(1)} µs`,
    },
  );
  return rows;
}
