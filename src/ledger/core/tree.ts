/**
 * Shape of an RFC 9162 Merkle tree: sizes, splits and perfect subtrees.
 *
 * A tree of n leaves is split at k, the largest power of two smaller than n
 * (RFC 9162 §2.1.1). Every node of the tree therefore covers a range [begin, end)
 * that is either a *perfect* subtree (2^level leaves, begin a multiple of 2^level)
 * or the right edge of the tree, which is a chain of perfect subtrees of strictly
 * decreasing size. Perfect subtrees never change once complete, so they are what
 * a log stores (node hashes, tiles), and every other hash is recomputed from them.
 */
import { MAX_UINT64 } from './bytes.js';
import { LedgerError } from './errors.js';

/** A perfect subtree: the 2^level leaves starting at index * 2^level. */
export interface NodeId {
  readonly level: number;
  readonly index: bigint;
}

/** A contiguous range of leaves [begin, end). */
export interface LeafRange {
  readonly begin: bigint;
  readonly end: bigint;
}

/** Throw LEDGER_SIZE_OVERFLOW unless `value` is a bigint in [0, 2^64-1]. */
export function assertUint64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_UINT64) {
    throw new LedgerError('LEDGER_SIZE_OVERFLOW', `${what} must be an integer in [0, 2^64-1]`, {
      what,
      value: String(value),
    });
  }
}

/** Number of bits needed to write n (0 for 0). */
export function bitLength(n: bigint): number {
  let bits = 0;
  while (n > 0xffffffffn) {
    n >>= 32n;
    bits += 32;
  }
  return bits + 32 - Math.clz32(Number(n));
}

/** Number of trailing zero bits of n > 0. */
function trailingZeros(n: bigint): number {
  let count = 0;
  while ((n & 0xffffffffn) === 0n) {
    n >>= 32n;
    count += 32;
  }
  const low = Number(n & 0xffffffffn);
  return count + 31 - Math.clz32(low & -low);
}

export function isPowerOfTwo(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

/** k: the largest power of two smaller than n, for n > 1 (RFC 9162 §2.1.1). */
export function splitPoint(n: bigint): bigint {
  return 1n << BigInt(bitLength(n - 1n) - 1);
}

/**
 * The perfect subtrees that tile [begin, end), left to right, each as large as
 * its alignment allows. For a node of the RFC tree (every range a proof names)
 * they shrink strictly from left to right, and the node's hash is their
 * right-to-left fold: MTH(D[begin:end]) = H(P1, H(P2, ... H(Pj-1, Pj))).
 */
export function perfectSubtrees(begin: bigint, end: bigint): NodeId[] {
  const nodes: NodeId[] = [];
  while (begin < end) {
    const fits = bitLength(end - begin) - 1;
    const level = begin === 0n ? fits : Math.min(fits, trailingZeros(begin));
    nodes.push({ level, index: begin >> BigInt(level) });
    begin += 1n << BigInt(level);
  }
  return nodes;
}
