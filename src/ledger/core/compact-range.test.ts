import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CompactRange } from './compact-range.js';
import { MemoryHashStore, type HashReader } from './hash-store.js';
import { hashChildren, hashLeaf } from './hash.js';
import { inclusionProof, planInclusionProof, planRoot, rootAt } from './proof.js';
import { verifyInclusion } from './verify.js';
import { MAX_UINT64, toHex } from './bytes.js';
import { isFabgateError } from '../../shared/errors.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isFabgateError(e)) return e.code;
    throw e;
  }
}

/**
 * A virtual tree of any size in which every leaf hash is H(index): node hashes
 * are computed on demand, so sizes near 2^64 can be exercised without storing them.
 */
class VirtualTree implements HashReader {
  reads = 0;
  getNode(level: number, index: bigint): Uint8Array {
    this.reads++;
    if (level === 0) return hashLeaf(new TextEncoder().encode(index.toString()));
    // Only called at the top of tall subtrees in these tests: use a cheap
    // stand-in that still differs per node (a real store holds real hashes).
    return hashLeaf(new TextEncoder().encode(`${level}/${index}`));
  }
}

describe('compact range at the edges of uint64', () => {
  it('resumes a tree of 2^64-1 leaves from 64 stored hashes and refuses to grow it', () => {
    const reader = new VirtualTree();
    const range = CompactRange.fromReader(reader, MAX_UINT64);
    expect(reader.reads).toBe(64);
    expect(range.size).toBe(MAX_UINT64);
    expect(range.root()).toHaveLength(32);
    expect(codeOf(() => range.append(hashLeaf(new Uint8Array(0))))).toBe('LEDGER_SIZE_OVERFLOW');
  });

  it('plans a 64-hash proof for the last leaf of the largest tree, and it verifies', () => {
    const reader = new VirtualTree();
    const index = MAX_UINT64 - 1n;
    // The last leaf of an odd-sized tree is its own peak: its path is the 63
    // perfect subtrees to its left, one per set bit of 2^64-2.
    expect(planInclusionProof(index, MAX_UINT64).nodes).toHaveLength(63);
    const proof = inclusionProof(reader, index, MAX_UINT64);
    expect(proof).toHaveLength(63);
    const root = rootAt(reader, MAX_UINT64);
    expect(codeOf(() => verifyInclusion(reader.getNode(0, index), index, MAX_UINT64, proof, root))).toBe('ok');
    expect(planRoot(MAX_UINT64).nodes).toHaveLength(64);
  });

  it('refuses sizes beyond uint64', () => {
    expect(codeOf(() => CompactRange.fromReader(new VirtualTree(), MAX_UINT64 + 1n))).toBe('LEDGER_SIZE_OVERFLOW');
    expect(codeOf(() => planRoot(-1n))).toBe('LEDGER_SIZE_OVERFLOW');
  });
});

describe('compact range and stored hashes agree', () => {
  it('a range resumed from a store continues exactly like one that never stopped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 100 }), (before, after) => {
        const store = new MemoryHashStore();
        const live = CompactRange.empty();
        const leaf = (i: number) => hashLeaf(new TextEncoder().encode(`e${i}`));
        for (let i = 0; i < before; i++) {
          store.appendLeafHash(leaf(i));
          live.append(leaf(i));
        }
        const resumed = CompactRange.fromReader(store, BigInt(before));
        for (let i = before; i < before + after; i++) {
          live.append(leaf(i));
          resumed.append(leaf(i));
        }
        expect(toHex(resumed.root())).toBe(toHex(live.root()));
      }),
      { numRuns: 50 },
    );
  });

  it('the nodes an append reports are the nodes the store holds', () => {
    const store = new MemoryHashStore();
    const range = CompactRange.empty();
    for (let i = 0; i < 37; i++) {
      const leaf = hashLeaf(Uint8Array.of(i));
      store.appendLeafHash(leaf);
      range.append(leaf, (level, index, hash) => expect(toHex(hash)).toBe(toHex(store.getNode(level, index))));
    }
  });

  it('a batch of packed leaf hashes builds the same store as single appends', () => {
    const one = new MemoryHashStore();
    const batch = new MemoryHashStore();
    const packed = new Uint8Array(1000 * 32);
    for (let i = 0; i < 1000; i++) {
      const leaf = hashLeaf(Uint8Array.of(i & 0xff, i >> 8));
      one.appendLeafHash(leaf);
      packed.set(leaf, i * 32);
    }
    batch.appendLeafHashes(packed.subarray(0, 333 * 32));
    batch.appendLeafHashes(packed.subarray(333 * 32));
    expect(batch.size).toBe(1000n);
    for (const size of [1n, 333n, 512n, 1000n]) expect(toHex(rootAt(batch, size))).toBe(toHex(rootAt(one, size)));
    expect(toHex(batch.getNode(9, 0n))).toBe(toHex(hashChildren(one.getNode(8, 0n), one.getNode(8, 1n))));
    expect(codeOf(() => batch.appendLeafHashes(new Uint8Array(33)))).toBe('LEDGER_HASH_SIZE');
    expect(codeOf(() => batch.appendLeafHash(new Uint8Array(31)))).toBe('LEDGER_HASH_SIZE');
  });
});
