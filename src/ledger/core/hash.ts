/**
 * RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hashing with SHA-256.
 *
 * The one-byte prefixes give domain separation between leaves and interior
 * nodes, so no leaf can be passed off as an interior node (second-preimage
 * attack on unprefixed Merkle trees).
 */
import { hash } from 'node:crypto';
import { LedgerError } from './errors.js';

/** SHA-256 output size; every tree hash is exactly this long. */
export const HASH_SIZE = 32;

/** Prefix of a leaf hash input (RFC 6962 §2.1). */
export const LEAF_HASH_PREFIX = 0x00;
/** Prefix of an interior node hash input (RFC 6962 §2.1). */
export const NODE_HASH_PREFIX = 0x01;

/** SHA-256 of arbitrary bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}

const EMPTY_ROOT = sha256(new Uint8Array(0));

/** MTH({}) = SHA-256(): the root of the empty tree. Returns a fresh copy. */
export function emptyRoot(): Uint8Array {
  return EMPTY_ROOT.slice();
}

/** MTH({d}) = SHA-256(0x00 || d): the hash of one leaf entry. */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  // allocUnsafe draws on Node's buffer pool; every byte is written below.
  const input = Buffer.allocUnsafe(1 + entry.length);
  input[0] = LEAF_HASH_PREFIX;
  input.set(entry, 1);
  return sha256(input);
}

// crypto.hash is synchronous, so one scratch buffer serves every call.
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_HASH_PREFIX;

/** SHA-256(0x01 || left || right): the hash of an interior node. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    nodeInput.set(left, 1);
    nodeInput.set(right, 1 + HASH_SIZE);
    return sha256(nodeInput);
  }
  // Only reached by reference vectors that hash raw, non-hash children.
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_HASH_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/**
 * Throw LEDGER_HASH_SIZE unless `value` is exactly 32 bytes. Verifiers call this
 * on every hash they receive: a short or long "hash" must never reach a
 * comparison or be hashed into a node.
 */
export function assertHash(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    throw new LedgerError('LEDGER_HASH_SIZE', `${what} must be ${HASH_SIZE} bytes, got ${value?.length ?? 'none'}`, {
      what,
      length: value?.length,
    });
  }
}

