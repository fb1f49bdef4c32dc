/**
 * The compact range [0, size): the O(log n) state from which a log appends
 * leaves and computes its root without holding the tree.
 *
 * It keeps one hash per set bit of `size`: the perfect subtrees that tile the
 * tree from the left, largest first. Appending a leaf merges equal-sized
 * subtrees like a binary counter carries; the root is their right-to-left fold
 * (RFC 9162 §2.1.1: the right edge of the tree is a chain of perfect subtrees).
 */
import { assertHash, emptyRoot, hashChildren } from './hash.js';
import type { HashReader } from './hash-store.js';
import { assertUint64, perfectSubtrees } from './tree.js';
import { LedgerError } from './errors.js';
import { MAX_UINT64 } from './bytes.js';

/** Called for every perfect subtree an append completes, so a store can persist it. */
export type NodeSink = (level: number, index: bigint, hash: Uint8Array) => void;

export class CompactRange {
  private constructor(
    private treeSize: bigint,
    /** Perfect-subtree hashes left to right (largest first). */
    private readonly peaks: Uint8Array[],
  ) {}

  /** The range of the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0n, []);
  }

  /**
   * The range of the tree of `size` leaves, read from stored hashes in O(log n)
   * reads: how a log resumes appending after a restart.
   */
  static fromReader(reader: HashReader, size: bigint): CompactRange {
    assertUint64(size, 'tree size');
    const peaks = perfectSubtrees(0n, size).map(({ level, index }) => {
      const hash = reader.getNode(level, index);
      assertHash(hash, `stored hash (level ${level}, index ${index})`);
      return hash;
    });
    return new CompactRange(size, peaks);
  }

  /** Number of leaves appended so far. */
  get size(): bigint {
    return this.treeSize;
  }

  /**
   * Append one leaf hash (SHA-256(0x00 || entry)). `onNode` is called with the
   * leaf itself (level 0) and with every parent the append completes, bottom up.
   */
  append(leafHash: Uint8Array, onNode?: NodeSink): void {
    assertHash(leafHash, 'leaf hash');
    if (this.treeSize === MAX_UINT64) {
      throw new LedgerError('LEDGER_SIZE_OVERFLOW', 'the tree holds 2^64-1 leaves; no more can be appended');
    }
    let hash: Uint8Array = leafHash.slice();
    let index = this.treeSize;
    let level = 0;
    onNode?.(level, index, hash);
    // Each trailing 1 bit of the old size is a left sibling waiting for this subtree.
    while ((index & 1n) === 1n) {
      hash = hashChildren(this.peaks.pop()!, hash);
      index >>= 1n;
      level++;
      onNode?.(level, index, hash);
    }
    this.peaks.push(hash);
    this.treeSize++;
  }

  /** MTH(D[0:size]); the empty-tree hash when nothing was appended. */
  root(): Uint8Array {
    if (this.peaks.length === 0) return emptyRoot();
    let root = this.peaks[this.peaks.length - 1]!;
    for (let i = this.peaks.length - 2; i >= 0; i--) root = hashChildren(this.peaks[i]!, root);
    return root.slice();
  }
}
