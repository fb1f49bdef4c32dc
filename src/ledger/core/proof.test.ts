import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CompactRange } from './compact-range.js';
import { MemoryHashStore } from './hash-store.js';
import { emptyRoot, hashChildren, hashLeaf } from './hash.js';
import { consistencyProof, inclusionProof, planInclusionProof, rootAt } from './proof.js';
import { verifyConsistency, verifyInclusion } from './verify.js';
import { toHex } from './bytes.js';
import { isFabgateError } from '../../shared/errors.js';
import { b64, hex, jsonFilesUnder, parseWithBigFields, readTlogJson } from './test-support/vectors.js';
import { referenceConsistencyProof, referenceInclusionPath, referenceRoot } from './test-support/reference.js';

interface ReferenceTree {
  leavesHex: string[];
  nodeHashesByLevel: string[][];
  rootHashBySize: Record<string, string>;
  hasherVectors: Array<{ input: { op: string; leafHex?: string; leafUtf8?: string; leftUtf8?: string; rightUtf8?: string }; expected: string }>;
}
const reference = readTlogJson<ReferenceTree>('transparency-dev-merkle', 'reference-tree.json');
const leaves = reference.leavesHex.map(hex);
const utf8 = (s: string) => new TextEncoder().encode(s);

function storeOf(entries: readonly Uint8Array[]): MemoryHashStore {
  const store = new MemoryHashStore();
  for (const e of entries) store.appendLeafHash(hashLeaf(e));
  return store;
}

function codeOf(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isFabgateError(e)) return e.code;
    throw e;
  }
}

describe('RFC 6962 hashing (transparency-dev reference vectors)', () => {
  it.each(reference.hasherVectors.map((v) => [v.input.op, v] as const))('%s', (_op, v) => {
    const { input } = v;
    const got =
      input.op === 'emptyRoot'
        ? emptyRoot()
        : input.op === 'hashLeaf'
          ? hashLeaf(input.leafHex !== undefined ? hex(input.leafHex) : utf8(input.leafUtf8!))
          : hashChildren(utf8(input.leftUtf8!), utf8(input.rightUtf8!));
    expect(toHex(got)).toBe(v.expected);
  });
});

describe('the 8-leaf reference tree', () => {
  const store = storeOf(leaves);

  it('stores every node hash of every level', () => {
    reference.nodeHashesByLevel.forEach((level, l) =>
      level.forEach((h, i) => expect(toHex(store.getNode(l, BigInt(i)))).toBe(h)),
    );
  });

  it('gives the root of every earlier size from stored hashes', () => {
    for (const [size, root] of Object.entries(reference.rootHashBySize)) {
      expect(toHex(rootAt(store, BigInt(size)))).toBe(root);
    }
  });

  it('has the compact range root of every prefix', () => {
    const range = CompactRange.empty();
    expect(toHex(range.root())).toBe(reference.rootHashBySize['0']);
    leaves.forEach((leaf, i) => {
      range.append(hashLeaf(leaf));
      expect(toHex(range.root())).toBe(reference.rootHashBySize[String(i + 1)]);
      expect(toHex(CompactRange.fromReader(store, BigInt(i + 1)).root())).toBe(reference.rootHashBySize[String(i + 1)]);
    });
  });

  it('reports the nodes an append completes, bottom up', () => {
    const seen: string[] = [];
    const range = CompactRange.empty();
    leaves.slice(0, 4).forEach((leaf) => range.append(hashLeaf(leaf), (level, index) => seen.push(`${level}/${index}`)));
    expect(seen).toEqual(['0/0', '0/1', '1/0', '0/2', '0/3', '1/1', '2/0']);
  });

  it('refuses nodes it does not hold and proofs that cannot exist', () => {
    expect(codeOf(() => store.getNode(0, 8n))).toBe('LEDGER_NODE_MISSING');
    expect(codeOf(() => store.getNode(4, 0n))).toBe('LEDGER_NODE_MISSING');
    expect(codeOf(() => inclusionProof(store, 8n, 8n))).toBe('LEDGER_PROOF_REQUEST_INVALID');
    expect(codeOf(() => consistencyProof(store, 0n, 8n))).toBe('LEDGER_PROOF_REQUEST_INVALID');
    expect(codeOf(() => consistencyProof(store, 5n, 4n))).toBe('LEDGER_PROOF_REQUEST_INVALID');
    expect(codeOf(() => rootAt(store, 9n))).toBe('LEDGER_NODE_MISSING');
    expect(codeOf(() => rootAt(store, -1n))).toBe('LEDGER_SIZE_OVERFLOW');
  });
});

describe('generated proofs equal the transparency-dev happy paths', () => {
  const store = storeOf(leaves);
  const happy = (kind: string) => jsonFilesUnder('transparency-dev-merkle', 'testdata', kind).filter(([p]) => p.endsWith('happy-path.json'));

  it.each(happy('inclusion'))('inclusion %s', (_p, text) => {
    const v = parseWithBigFields(text, ['leafIdx', 'treeSize']) as { leafIdx: string; treeSize: string; proof: string[] | null };
    const proof = inclusionProof(store, BigInt(v.leafIdx), BigInt(v.treeSize));
    expect(proof.map(toHex)).toEqual((v.proof ?? []).map((p) => toHex(b64(p))));
  });

  it.each(happy('consistency'))('consistency %s', (_p, text) => {
    const v = parseWithBigFields(text, ['size1', 'size2']) as { size1: string; size2: string; proof: string[] | null };
    const proof = consistencyProof(store, BigInt(v.size1), BigInt(v.size2));
    expect(proof.map(toHex)).toEqual((v.proof ?? []).map((p) => toHex(b64(p))));
  });
});

describe('a proof needs O(log n) stored hashes, never the leaves', () => {
  it('at 10 million leaves an inclusion proof reads at most 2 log2(n) nodes', () => {
    const plan = planInclusionProof(9_876_543n, 10_000_000n);
    expect(plan.nodes.length).toBeLessThanOrEqual(2 * 24);
    expect(plan.nodes.every((n) => n.level >= 0 && n.level < 24)).toBe(true);
  });
});

/** Random trees of distinct entries (distinct so that no two leaves hash alike). */
const entriesArb = (max: number) =>
  fc.uniqueArray(fc.uint8Array({ minLength: 0, maxLength: 12 }), {
    minLength: 1,
    maxLength: max,
    selector: (a) => toHex(a),
  });

describe('properties over random trees', () => {
  it('the compact range root equals the recursive definition for every prefix', () => {
    fc.assert(
      fc.property(entriesArb(70), (entries) => {
        const range = CompactRange.empty();
        for (let i = 0; i < entries.length; i++) {
          range.append(hashLeaf(entries[i]!));
          expect(toHex(range.root())).toBe(toHex(referenceRoot(entries.slice(0, i + 1))));
        }
      }),
    );
  });

  it('generated proofs equal PATH and PROOF of the RFC', () => {
    fc.assert(
      fc.property(entriesArb(70), fc.nat(), fc.nat(), (entries, a, b) => {
        const store = storeOf(entries);
        const n = entries.length;
        const m = a % n;
        expect(inclusionProof(store, BigInt(m), BigInt(n)).map(toHex)).toEqual(referenceInclusionPath(m, entries).map(toHex));
        const size1 = 1 + (b % n);
        expect(consistencyProof(store, BigInt(size1), BigInt(n)).map(toHex)).toEqual(
          referenceConsistencyProof(size1, entries).map(toHex),
        );
        expect(toHex(rootAt(store, BigInt(size1)))).toBe(toHex(referenceRoot(entries.slice(0, size1))));
      }),
    );
  });

  it('every inclusion proof verifies; a flipped byte, another index or another size fails', () => {
    fc.assert(
      fc.property(entriesArb(40), fc.nat(), fc.nat(), fc.nat(), fc.nat(), (entries, a, b, c, d) => {
        const store = storeOf(entries);
        const n = BigInt(entries.length);
        const size = 1n + BigInt(a) % n;
        const index = BigInt(b) % size;
        const leaf = hashLeaf(entries[Number(index)]!);
        const root = rootAt(store, size);
        const proof = inclusionProof(store, index, size);
        expect(codeOf(() => verifyInclusion(leaf, index, size, proof, root))).toBe('ok');

        // Flip one byte anywhere in the proof, the leaf hash or the root.
        const all = [...proof, leaf, root];
        const which = c % all.length;
        const at = d % 32;
        const tampered = all.map((h, i) => {
          const copy = h.slice();
          if (i === which) copy[at]! ^= 1 << (d % 8);
          return copy;
        });
        const leaf2 = tampered[proof.length]!;
        const root2 = tampered[proof.length + 1]!;
        expect(codeOf(() => verifyInclusion(leaf2, index, size, tampered.slice(0, proof.length), root2))).not.toBe('ok');

        // Another index of the same tree.
        if (size > 1n) {
          const other = (index + 1n + BigInt(c) % (size - 1n)) % size;
          expect(codeOf(() => verifyInclusion(leaf, other, size, proof, root))).not.toBe('ok');
        }
        // Another size, against that size's genuine root.
        const otherSize = index + 1n + BigInt(d) % (n - index);
        if (otherSize !== size) {
          expect(codeOf(() => verifyInclusion(leaf, index, otherSize, proof, rootAt(store, otherSize)))).not.toBe('ok');
        }
      }),
    );
  });

  it('every consistency proof verifies; a flipped byte or other sizes fail', () => {
    fc.assert(
      fc.property(entriesArb(40), fc.nat(), fc.nat(), fc.nat(), fc.nat(), (entries, a, b, c, d) => {
        const store = storeOf(entries);
        const n = BigInt(entries.length);
        const size2 = 1n + BigInt(a) % n;
        const size1 = 1n + BigInt(b) % size2;
        const root1 = rootAt(store, size1);
        const root2 = rootAt(store, size2);
        const proof = consistencyProof(store, size1, size2);
        expect(codeOf(() => verifyConsistency(size1, size2, root1, root2, proof))).toBe('ok');

        const all = [...proof, root1, root2];
        const which = c % all.length;
        const tampered = all.map((h, i) => {
          const copy = h.slice();
          if (i === which) copy[d % 32]! ^= 1 << (d % 8);
          return copy;
        });
        expect(
          codeOf(() => verifyConsistency(size1, size2, tampered[proof.length]!, tampered[proof.length + 1]!, tampered.slice(0, proof.length))),
        ).not.toBe('ok');

        // Another first size (with its genuine root), or another second size (with its genuine root).
        const other1 = 1n + BigInt(c) % size2;
        if (other1 !== size1) {
          expect(codeOf(() => verifyConsistency(other1, size2, rootAt(store, other1), root2, proof))).not.toBe('ok');
        }
        const other2 = size1 + BigInt(d) % (n - size1 + 1n);
        if (other2 !== size2) {
          expect(codeOf(() => verifyConsistency(size1, other2, root1, rootAt(store, other2), proof))).not.toBe('ok');
        }
      }),
    );
  });
});

describe('why a root must come with its size from one signed checkpoint', () => {
  it('the same proof and root verify for a different claimed size when the audit path has the same shape', () => {
    // PATH(0, D[3]) and PATH(0, D[4]) both take two right siblings; the RFC
    // verifier only binds the size through the root, so a checkpoint signer
    // that pairs root(3) with size 4 is lying, and only the signature on the
    // (size, root) pair stops that.
    const store = storeOf(leaves);
    const proof = inclusionProof(store, 0n, 3n);
    const root3 = rootAt(store, 3n);
    expect(codeOf(() => verifyInclusion(hashLeaf(leaves[0]!), 0n, 4n, proof, root3))).toBe('ok');
    expect(codeOf(() => verifyInclusion(hashLeaf(leaves[0]!), 0n, 4n, proof, rootAt(store, 4n)))).toBe('LEDGER_ROOT_MISMATCH');
  });
});
