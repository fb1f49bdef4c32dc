/**
 * Reading a c2sp.org/tlog-tiles log: which tile holds a hash, tile and entry
 * bundle contents, and `TileReader`, which fetches just the tiles a root or a
 * proof needs and computes it.
 *
 * Tiles come from an untrusted server. Nothing read from them is believed on
 * its own: a root is compared with a signed checkpoint, and a proof is only
 * worth what its verification against such a root says.
 */
import { isFabgateError } from '../../shared/errors.js';
import { bytesEqual } from './bytes.js';
import { LedgerError } from './errors.js';
import { HASH_SIZE, hashChildren, hashLeaf } from './hash.js';
import type { HashReader } from './hash-store.js';
import { planConsistencyProof, planInclusionProof, planRoot, type ProofPlan } from './proof.js';
import { TILE_HEIGHT, TILE_WIDTH, tilePath, type TileId } from './tile-path.js';
import { assertUint64, type NodeId } from './tree.js';

/** Fetch a resource by its path relative to the log prefix ("checkpoint", "tile/0/000.p/5"). */
export type TileFetcher = (path: string) => Promise<Uint8Array>;

/** Where a stored node hash lives: `count` consecutive hashes of `tile` starting at `offset`. */
interface NodeLocation {
  readonly tile: TileId & { readonly level: number };
  readonly offset: number;
  readonly count: number;
}

/**
 * The tile holding node (level, index) in a tree of `treeSize` leaves. A node at
 * tree level 8L + r is the subtree over 2^r consecutive hashes of a level-L tile
 * (tlog-tiles: "the Merkle Tree levels between those expressed by the tile
 * hashes are reconstructed by hashing").
 */
export function locateNode(level: number, index: bigint, treeSize: bigint): NodeLocation {
  const tileLevel = Math.floor(level / TILE_HEIGHT);
  const r = level - tileLevel * TILE_HEIGHT;
  const first = index << BigInt(r);
  const tileIndex = first >> BigInt(TILE_HEIGHT);
  const hashesAtLevel = treeSize >> BigInt(tileLevel * TILE_HEIGHT);
  const tileStart = tileIndex << BigInt(TILE_HEIGHT);
  const width = hashesAtLevel - tileStart >= BigInt(TILE_WIDTH) ? TILE_WIDTH : Number(hashesAtLevel - tileStart);
  const offset = Number(first - tileStart);
  const count = 1 << r;
  if (width <= 0 || offset + count > width) {
    throw new LedgerError('LEDGER_NODE_MISSING', `node (level ${level}, index ${index}) is not complete in a tree of ${treeSize}`, {
      level,
      index: index.toString(),
      treeSize: treeSize.toString(),
    });
  }
  return { tile: { level: tileLevel, index: tileIndex, width }, offset, count };
}

/** Check that a fetched tile is exactly `width` hashes; LEDGER_TILE_MALFORMED otherwise. */
export function checkTile(tile: TileId, bytes: Uint8Array): Uint8Array {
  if (bytes.length !== tile.width * HASH_SIZE) {
    throw new LedgerError('LEDGER_TILE_MALFORMED', `${tilePath(tile)} is ${bytes.length} bytes, expected ${tile.width * HASH_SIZE}`, {
      path: tilePath(tile),
      length: bytes.length,
    });
  }
  return bytes;
}

/** MTH of `count` (a power of two) consecutive hashes of a tile, from `offset`. */
function subtreeOfTile(tile: Uint8Array, offset: number, count: number): Uint8Array {
  let level: Uint8Array[] = [];
  for (let i = 0; i < count; i++) level.push(tile.subarray((offset + i) * HASH_SIZE, (offset + i + 1) * HASH_SIZE));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashChildren(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!.slice();
}

/** A synchronous HashReader over tiles already fetched, keyed by path. */
export class TileHashReader implements HashReader {
  constructor(
    private readonly treeSize: bigint,
    private readonly tiles: ReadonlyMap<string, Uint8Array>,
  ) {}

  getNode(level: number, index: bigint): Uint8Array {
    const { tile, offset, count } = locateNode(level, index, this.treeSize);
    const bytes = this.tiles.get(tilePath(tile));
    if (bytes === undefined) throw new LedgerError('LEDGER_NODE_MISSING', `tile ${tilePath(tile)} was not fetched`);
    return subtreeOfTile(checkTile(tile, bytes), offset, count);
  }
}

/** Entry bundles: each entry is a big-endian uint16 length and that many bytes. */
export const MAX_ENTRY_SIZE = 0xffff;

/** Encode up to 256 entries as an entry bundle. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > TILE_WIDTH) throw new LedgerError('LEDGER_BUNDLE_MALFORMED', `a bundle holds at most ${TILE_WIDTH} entries`);
  let length = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_SIZE) throw new LedgerError('LEDGER_BUNDLE_MALFORMED', `an entry is at most ${MAX_ENTRY_SIZE} bytes`);
    length += 2 + e.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/** Decode an entry bundle, which must hold exactly `count` entries and nothing more. */
export function parseEntryBundle(bytes: Uint8Array, count: number): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (entries.length === count) throw new LedgerError('LEDGER_BUNDLE_MALFORMED', `the bundle holds more than ${count} entries`);
    if (at + 2 > bytes.length) throw new LedgerError('LEDGER_BUNDLE_MALFORMED', 'the bundle ends inside a length prefix');
    const length = (bytes[at]! << 8) | bytes[at + 1]!;
    if (at + 2 + length > bytes.length) throw new LedgerError('LEDGER_BUNDLE_MALFORMED', 'the bundle ends inside an entry');
    entries.push(bytes.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length !== count) {
    throw new LedgerError('LEDGER_BUNDLE_MALFORMED', `the bundle holds ${entries.length} entries, expected ${count}`);
  }
  return entries;
}

/** Fetch a log resource; any failure becomes LEDGER_FETCH_FAILED (ledger errors pass through). */
export async function fetchOrFail(fetchTile: TileFetcher, path: string): Promise<Uint8Array> {
  try {
    return await fetchTile(path);
  } catch (e) {
    if (isFabgateError(e)) throw e;
    throw new LedgerError('LEDGER_FETCH_FAILED', `could not fetch ${path}: ${(e as Error)?.message ?? String(e)}`, { path });
  }
}

/**
 * The tiles of one tree size of a remote (or stored) log, fetched lazily and
 * at most once each. Give it the size of a verified checkpoint.
 */
export class TileReader {
  private readonly cache = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly fetchTile: TileFetcher,
    readonly treeSize: bigint,
  ) {
    assertUint64(treeSize, 'tree size');
  }

  /**
   * A tile's bytes. A partial tile may have been deleted once its full tile
   * exists (tlog-tiles "Partial Tiles"), so the full tile is the fallback.
   */
  tile(tile: TileId): Promise<Uint8Array> {
    const path = tilePath(tile);
    let pending = this.cache.get(path);
    if (pending === undefined) {
      pending = fetchOrFail(this.fetchTile, path).then(
        (bytes) => checkTile(tile, bytes),
        async (e: unknown) => {
          if (tile.width === TILE_WIDTH) throw e;
          const full = await fetchOrFail(this.fetchTile, tilePath({ ...tile, width: TILE_WIDTH })).catch(() => {
            throw e;
          });
          return checkTile({ ...tile, width: TILE_WIDTH }, full).subarray(0, tile.width * HASH_SIZE);
        },
      );
      this.cache.set(path, pending);
    }
    return pending;
  }

  private async read(plan: ProofPlan): Promise<Uint8Array[]> {
    const tiles = new Map<string, TileId>();
    for (const node of plan.nodes as NodeId[]) {
      const { tile } = locateNode(node.level, node.index, this.treeSize);
      tiles.set(tilePath(tile), tile);
    }
    const fetched = new Map<string, Uint8Array>();
    await Promise.all([...tiles].map(async ([path, tile]) => fetched.set(path, await this.tile(tile))));
    const reader = new TileHashReader(this.treeSize, fetched);
    return plan.assemble(plan.nodes.map(({ level, index }) => reader.getNode(level, index)));
  }

  /** MTH of the whole tree, from the O(log n) tiles on its right edge. */
  async root(): Promise<Uint8Array> {
    return (await this.read(planRoot(this.treeSize)))[0]!;
  }

  /** Inclusion proof for leaf `index` in this tree. */
  inclusionProof(index: bigint): Promise<Uint8Array[]> {
    return this.read(planInclusionProof(index, this.treeSize));
  }

  /** Consistency proof from the tree of `size1` leaves to this tree. */
  consistencyProof(size1: bigint): Promise<Uint8Array[]> {
    return this.read(planConsistencyProof(size1, this.treeSize));
  }

  /** The leaf hashes of entry bundle `n` (its level-0 tile). */
  async leafHashes(n: bigint): Promise<Uint8Array> {
    return this.tile(this.bundleTile(0, n));
  }

  /**
   * The entries of bundle `n`, each checked against the leaf hash in the
   * matching level-0 tile (tlog-tiles: "Each entry in a bundle hashes to the
   * corresponding entry in the corresponding level 0 Merkle Tree tile").
   */
  async entries(n: bigint): Promise<Uint8Array[]> {
    const tile = this.bundleTile('entries', n);
    const [bundle, hashes] = await Promise.all([fetchOrFail(this.fetchTile, tilePath(tile)), this.leafHashes(n)]);
    const entries = parseEntryBundle(bundle, tile.width);
    entries.forEach((entry, i) => {
      if (!bytesEqual(hashLeaf(entry), hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE))) {
        throw new LedgerError('LEDGER_BUNDLE_MALFORMED', `entry ${n * BigInt(TILE_WIDTH) + BigInt(i)} does not hash to its leaf hash`);
      }
    });
    return entries;
  }

  private bundleTile(level: 0 | 'entries', n: bigint): TileId {
    const start = n * BigInt(TILE_WIDTH);
    if (n < 0n || start >= this.treeSize) {
      throw new LedgerError('LEDGER_PROOF_REQUEST_INVALID', `bundle ${n} is beyond a tree of ${this.treeSize} entries`);
    }
    const remaining = this.treeSize - start;
    return { level, index: n, width: remaining >= BigInt(TILE_WIDTH) ? TILE_WIDTH : Number(remaining) };
  }
}
