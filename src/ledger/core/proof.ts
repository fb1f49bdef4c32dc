/**
 * Proof generation: RFC 9162 §2.1.3.1 (inclusion) and §2.1.4.1 (consistency),
 * and the root of any earlier tree size.
 *
 * Generation is split in two so that any storage can back it: a *plan* names
 * the perfect subtrees a proof needs (O(log n) of them) and assembles the proof
 * from their hashes. A synchronous reader is read directly (`inclusionProof`); a
 * batched or remote one (tiles over HTTP, a database) fetches `plan.nodes` first
 * and calls `plan.assemble`.
 */
import { emptyRoot, hashChildren } from './hash.js';
import type { HashReader } from './hash-store.js';
import { LedgerError } from './errors.js';
import { assertUint64, perfectSubtrees, splitPoint, type LeafRange, type NodeId } from './tree.js';

/** The stored hashes a proof needs, and how to build the proof from them. */
export interface ProofPlan {
  /** Perfect subtrees to read, in the order `assemble` expects their hashes. */
  readonly nodes: readonly NodeId[];
  /** Build the proof (or the root, for a root plan) from the hashes of `nodes`. */
  assemble(hashes: readonly Uint8Array[]): Uint8Array[];
}

/**
 * PATH(m, D[n]) of RFC 9162 §2.1.3.1 as leaf ranges, leaf first: the recursion
 * walks from the root down, taking the sibling subtree at each split.
 */
export function inclusionPath(index: bigint, size: bigint): LeafRange[] {
  const ranges: LeafRange[] = [];
  let begin = 0n;
  let end = size;
  let m = index;
  while (end - begin > 1n) {
    const k = splitPoint(end - begin);
    if (m < k) {
      // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
      ranges.push({ begin: begin + k, end });
      end = begin + k;
    } else {
      // PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
      ranges.push({ begin, end: begin + k });
      m -= k;
      begin += k;
    }
  }
  return ranges.reverse();
}

/**
 * PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1 as leaf ranges,
 * in proof order. Requires 0 < m <= n.
 */
export function consistencyPath(size1: bigint, size2: bigint): LeafRange[] {
  const ranges: LeafRange[] = [];
  let begin = 0n;
  let end = size2;
  let m = size1;
  let b = true;
  for (;;) {
    if (m === end - begin) {
      // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
      if (!b) ranges.push({ begin, end });
      break;
    }
    const k = splitPoint(end - begin);
    if (m <= k) {
      // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      ranges.push({ begin: begin + k, end });
      end = begin + k;
    } else {
      // SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
      ranges.push({ begin, end: begin + k });
      m -= k;
      begin += k;
      b = false;
    }
  }
  return ranges.reverse();
}

/** A plan whose output is one hash per range: MTH of that range, from its perfect subtrees. */
function planRanges(ranges: readonly LeafRange[]): ProofPlan {
  const groups = ranges.map(({ begin, end }) => perfectSubtrees(begin, end));
  return {
    nodes: groups.flat(),
    assemble(hashes) {
      if (hashes.length !== groups.reduce((n, g) => n + g.length, 0)) {
        throw new LedgerError('LEDGER_NODE_MISSING', 'the reader returned a different number of hashes than the plan asked for');
      }
      let next = 0;
      return groups.map((group) => {
        const start = next;
        next += group.length;
        // Fold right: the right edge of a subtree is a chain of shrinking perfect subtrees.
        let hash = hashes[next - 1]!;
        for (let i = next - 2; i >= start; i--) hash = hashChildren(hashes[i]!, hash);
        return hash;
      });
    },
  };
}

/** The plan for the inclusion proof of leaf `index` in the tree of `size` leaves. */
export function planInclusionProof(index: bigint, size: bigint): ProofPlan {
  assertUint64(index, 'leaf index');
  assertUint64(size, 'tree size');
  if (index >= size) {
    throw new LedgerError('LEDGER_PROOF_REQUEST_INVALID', `leaf index ${index} is not below tree size ${size}`, {
      index: index.toString(),
      size: size.toString(),
    });
  }
  return planRanges(inclusionPath(index, size));
}

/** The plan for the consistency proof from size1 to size2 (0 < size1 <= size2). */
export function planConsistencyProof(size1: bigint, size2: bigint): ProofPlan {
  assertUint64(size1, 'first tree size');
  assertUint64(size2, 'second tree size');
  if (size1 === 0n || size1 > size2) {
    throw new LedgerError(
      'LEDGER_PROOF_REQUEST_INVALID',
      `no consistency proof exists from size ${size1} to size ${size2} (RFC 9162 §2.1.4 needs 0 < first <= second)`,
      { size1: size1.toString(), size2: size2.toString() },
    );
  }
  return planRanges(consistencyPath(size1, size2));
}

/** The plan for MTH(D[0:size]); `assemble` returns `[root]`. */
export function planRoot(size: bigint): ProofPlan {
  assertUint64(size, 'tree size');
  if (size === 0n) return { nodes: [], assemble: () => [emptyRoot()] };
  return planRanges([{ begin: 0n, end: size }]);
}

function readPlan(reader: HashReader, plan: ProofPlan): Uint8Array[] {
  return plan.assemble(plan.nodes.map(({ level, index }) => reader.getNode(level, index)));
}

/** Inclusion proof (audit path) for leaf `index` in the tree of `size` leaves, leaf sibling first. */
export function inclusionProof(reader: HashReader, index: bigint, size: bigint): Uint8Array[] {
  return readPlan(reader, planInclusionProof(index, size));
}

/** Consistency proof from the tree of size1 leaves to the tree of size2 leaves. */
export function consistencyProof(reader: HashReader, size1: bigint, size2: bigint): Uint8Array[] {
  return readPlan(reader, planConsistencyProof(size1, size2));
}

/** MTH(D[0:size]) for any size the reader holds, from at most log2(size) stored hashes. */
export function rootAt(reader: HashReader, size: bigint): Uint8Array {
  return readPlan(reader, planRoot(size))[0]!;
}
