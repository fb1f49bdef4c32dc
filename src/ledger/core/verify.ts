/**
 * Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
 * (consistency). The numbered comments are the RFC's steps.
 *
 * Before running the RFC algorithm every input is checked: sizes are uint64,
 * every hash is exactly 32 bytes, and the proof has exactly as many hashes as
 * the RFC's own PATH / PROOF definitions produce for these sizes. The length
 * check bounds the work a hostile proof can cause (at most 64 hashes per proof,
 * since it must match a tree of at most 2^64-1 leaves) and yields a precise error;
 * the RFC loop's own `sn` checks remain as written.
 */
import { assertHash, hashChildren } from './hash.js';
import { bytesEqual } from './bytes.js';
import { LedgerError } from './errors.js';
import { consistencyPath, inclusionPath } from './proof.js';
import { assertUint64, isPowerOfTwo } from './tree.js';

function assertProofLength(proof: readonly Uint8Array[], expected: number, what: string): void {
  if (!Array.isArray(proof) || proof.length !== expected) {
    throw new LedgerError('LEDGER_PROOF_LENGTH', `${what} must have ${expected} hashes, got ${proof?.length}`, {
      expected,
      got: proof?.length,
    });
  }
}

function lengthMismatch(): LedgerError {
  return new LedgerError('LEDGER_PROOF_LENGTH', 'the proof does not fit the tree size');
}

function rootMismatch(what: string): LedgerError {
  return new LedgerError('LEDGER_ROOT_MISMATCH', `${what} does not match the root the proof computes`, { what });
}

/**
 * The root hash that `proof` yields for `leafHash` at `index` in a tree of
 * `size` leaves (RFC 9162 §2.1.3.2 steps 1-4 and the `sn` check of step 5).
 * Compare it with a trusted root, or call `verifyInclusion`.
 */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: bigint,
  size: bigint,
  proof: readonly Uint8Array[],
): Uint8Array {
  assertUint64(index, 'leaf index');
  assertUint64(size, 'tree size');
  assertHash(leafHash, 'leaf hash');
  // 1. If leaf_index is greater than or equal to tree_size, fail.
  if (index >= size) {
    throw new LedgerError('LEDGER_INDEX_OUT_OF_RANGE', `leaf index ${index} is not below tree size ${size}`, {
      index: index.toString(),
      size: size.toString(),
    });
  }
  assertProofLength(proof, inclusionPath(index, size).length, 'inclusion proof');
  proof.forEach((p, i) => assertHash(p, `inclusion proof hash ${i}`));

  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = index;
  let sn = size - 1n;
  // 3. Set r to hash.
  let r = leafHash;
  // 4. For each value p in the inclusion_path array:
  for (const p of proof) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) throw lengthMismatch();
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if ((fn & 1n) === 1n || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = hashChildren(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until
      //     either LSB(fn) is set or fn is 0.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      // Otherwise: i. Set r to HASH(0x01 || r || p).
      r = hashChildren(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5. Compare sn to 0 (the root comparison is the caller's).
  if (sn !== 0n) throw lengthMismatch();
  return r;
}

/**
 * Verify that `leafHash` is the leaf at `index` of the tree of `size` leaves
 * whose root is `rootHash` (RFC 9162 §2.1.3.2). Throws a LedgerError if not.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: bigint,
  size: bigint,
  proof: readonly Uint8Array[],
  rootHash: Uint8Array,
): void {
  assertHash(rootHash, 'root hash');
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  // 5. ... If r and the root_hash are equal, the log has proven the inclusion of hash.
  if (!bytesEqual(computed, rootHash)) throw rootMismatch('root hash');
}

/**
 * Verify that the tree of size2 leaves with root2 is an append-only extension
 * of the tree of size1 leaves with root1 (RFC 9162 §2.1.4.2). Throws if not.
 *
 * Outside the RFC's 0 < first < second: equal sizes need an empty proof and
 * identical roots (nothing is hashed); a first size of 0 is refused, as by
 * transparency-dev/merkle: every tree extends the empty one, so such a "proof"
 * proves nothing, and a caller must handle that case before asking.
 */
export function verifyConsistency(
  size1: bigint,
  size2: bigint,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  assertUint64(size1, 'first tree size');
  assertUint64(size2, 'second tree size');
  if (size2 < size1) {
    throw new LedgerError('LEDGER_PROOF_INVALID', `the second tree (${size2}) is smaller than the first (${size1})`, {
      size1: size1.toString(),
      size2: size2.toString(),
    });
  }
  if (size1 === 0n) {
    throw new LedgerError('LEDGER_PROOF_INVALID', 'a consistency proof from the empty tree proves nothing');
  }
  if (size1 === size2) {
    assertProofLength(proof, 0, 'consistency proof between equal sizes');
    if (!bytesEqual(root1, root2)) throw rootMismatch('second root hash');
    return;
  }
  assertHash(root1, 'first root hash');
  assertHash(root2, 'second root hash');
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  //    (Implied by the exact length, which is never 0 for 0 < first < second.)
  assertProofLength(proof, consistencyPath(size1, size2).length, 'consistency proof');
  proof.forEach((p, i) => assertHash(p, `consistency proof hash ${i}`));

  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) throw lengthMismatch();
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if ((fn & 1n) === 1n || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until
      //      either LSB(fn) is set or fn is 0.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      // Otherwise: i. Set sr to HASH(0x01 || sr || c).
      sr = hashChildren(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn >>= 1n;
    sn >>= 1n;
  }
  // 7. Verify that fr equals first_hash, sr equals second_hash, and sn is 0.
  if (sn !== 0n) throw lengthMismatch();
  if (!bytesEqual(fr, root1)) throw rootMismatch('first root hash');
  if (!bytesEqual(sr, root2)) throw rootMismatch('second root hash');
}
