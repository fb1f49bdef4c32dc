/**
 * Where proofs read stored hashes from.
 *
 * Proof generation never recomputes a subtree from its leaves: it reads the
 * O(log n) perfect-subtree hashes it needs from a `HashReader` (RFC 9162 proofs
 * at 10 million entries read about 2 log2(n) ≈ 50 hashes). The log service backs
 * the reader with stored tiles; `MemoryHashStore` is the in-memory backing.
 */
import { HASH_SIZE, assertHash, hashChildren } from './hash.js';
import { LedgerError } from './errors.js';

/** A synchronous source of perfect-subtree hashes (see `NodeId` in tree.ts). */
export interface HashReader {
  /**
   * The hash of the perfect subtree of 2^level leaves starting at leaf
   * index * 2^level. Throws LEDGER_NODE_MISSING when it is not (yet) stored.
   */
  getNode(level: number, index: bigint): Uint8Array;
}

/** Hashes per chunk: 2^15 x 32 B = 1 MiB, so growth never copies what is stored. */
const CHUNK_HASHES = 1 << 15;
const CHUNK_BYTES = CHUNK_HASHES * HASH_SIZE;

/** One level of the tree: hashes packed in fixed-size chunks. */
class HashColumn {
  private readonly chunks: Uint8Array[] = [];
  count = 0;

  push(hash: Uint8Array): void {
    const offset = (this.count % CHUNK_HASHES) * HASH_SIZE;
    if (offset === 0) this.chunks.push(new Uint8Array(CHUNK_BYTES));
    this.chunks[this.chunks.length - 1]!.set(hash, offset);
    this.count++;
  }

  /** A view of hash i (no copy); valid as long as the store lives. */
  view(i: number): Uint8Array {
    const chunk = this.chunks[Math.floor(i / CHUNK_HASHES)]!;
    const offset = (i % CHUNK_HASHES) * HASH_SIZE;
    return chunk.subarray(offset, offset + HASH_SIZE);
  }
}

/**
 * Every perfect-subtree hash of a growing tree, in memory: 2n hashes for n
 * leaves (64 bytes per leaf). Appending leaf hashes completes their parents at
 * once, so the store is always the full node set of a tree of `size` leaves.
 */
export class MemoryHashStore implements HashReader {
  private readonly levels: HashColumn[] = [new HashColumn()];

  /** Number of leaves stored. */
  get size(): bigint {
    return BigInt(this.levels[0]!.count);
  }

  getNode(level: number, index: bigint): Uint8Array {
    const column = this.levels[level];
    if (column === undefined || index < 0n || index >= BigInt(column.count)) {
      throw new LedgerError('LEDGER_NODE_MISSING', `no stored hash at level ${level}, index ${index}`, {
        level,
        index: index.toString(),
      });
    }
    return column.view(Number(index)).slice();
  }

  /** Append one leaf hash (SHA-256(0x00 || entry)). */
  appendLeafHash(leafHash: Uint8Array): void {
    assertHash(leafHash, 'leaf hash');
    this.levels[0]!.push(leafHash);
    this.completeParents();
  }

  /**
   * Append many leaf hashes at once, given concatenated (the layout of a level-0
   * tile). A batch completes its parents level by level, which is how a log
   * integrates a batch of entries.
   */
  appendLeafHashes(packed: Uint8Array): void {
    if (packed.length % HASH_SIZE !== 0) {
      throw new LedgerError('LEDGER_HASH_SIZE', `packed leaf hashes must be a multiple of ${HASH_SIZE} bytes`, {
        length: packed.length,
      });
    }
    const leaves = this.levels[0]!;
    for (let offset = 0; offset < packed.length; offset += HASH_SIZE) {
      leaves.push(packed.subarray(offset, offset + HASH_SIZE));
    }
    this.completeParents();
  }

  /** Hash every pair of complete siblings whose parent is not stored yet. */
  private completeParents(): void {
    for (let level = 0; this.levels[level]!.count >= 2; level++) {
      const children = this.levels[level]!;
      const parents = (this.levels[level + 1] ??= new HashColumn());
      while (parents.count < Math.floor(children.count / 2)) {
        const i = parents.count * 2;
        parents.push(hashChildren(children.view(i), children.view(i + 1)));
      }
    }
  }
}
