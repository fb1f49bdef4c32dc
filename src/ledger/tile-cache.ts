import { HASH_SIZE, hashChildren } from './core/hash.js';
import { planConsistencyProof, planInclusionProof, planRoot, type ProofPlan } from './core/proof.js';
import { tilePath } from './core/tile-path.js';
import { locateNode } from './core/tiles.js';

/**
 * Proofs from stored tiles without re-hashing them each time.
 *
 * A tile holds 256 hashes of one tree level; the seven levels between tile
 * levels are recomputed by hashing (tlog-tiles), up to 254 SHA-256 calls per
 * tile a proof touches. A tile path names immutable bytes (a `.p/W` partial tile
 * is the first W hashes, which never change), so its expansion — every internal
 * level, 511 hashes for a full tile — is computed once and kept.
 */
export class ExpandedTileCache {
  private readonly expanded = new Map<string, Uint8Array[]>();

  constructor(
    private readonly fetchTile: (path: string) => Promise<Uint8Array>,
    private readonly maxTiles = 4096,
  ) {}

  private async levels(path: string): Promise<Uint8Array[]> {
    const hit = this.expanded.get(path);
    if (hit) return hit;
    const tile = await this.fetchTile(path);
    const levels: Uint8Array[] = [tile];
    for (let prev = tile; prev.length >= 2 * HASH_SIZE; ) {
      const n = Math.floor(prev.length / HASH_SIZE / 2);
      const next = new Uint8Array(n * HASH_SIZE);
      for (let i = 0; i < n; i++) {
        next.set(hashChildren(prev.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE), prev.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE)), i * HASH_SIZE);
      }
      levels.push(next);
      prev = next;
    }
    if (this.expanded.size >= this.maxTiles) this.expanded.delete(this.expanded.keys().next().value!);
    this.expanded.set(path, levels);
    return levels;
  }

  private async read(plan: ProofPlan, treeSize: bigint): Promise<Uint8Array[]> {
    const hashes = await Promise.all(
      plan.nodes.map(async ({ level, index }) => {
        const { tile, offset, count } = locateNode(level, index, treeSize);
        const r = Math.log2(count);
        const levels = await this.levels(tilePath(tile));
        const at = offset >> r;
        return levels[r]!.subarray(at * HASH_SIZE, (at + 1) * HASH_SIZE);
      }),
    );
    return plan.assemble(hashes);
  }

  inclusionProof(index: bigint, treeSize: bigint): Promise<Uint8Array[]> {
    return this.read(planInclusionProof(index, treeSize), treeSize);
  }

  consistencyProof(size1: bigint, size2: bigint): Promise<Uint8Array[]> {
    return this.read(planConsistencyProof(size1, size2), size2);
  }

  async root(treeSize: bigint): Promise<Uint8Array> {
    return (await this.read(planRoot(treeSize), treeSize))[0]!;
  }
}
