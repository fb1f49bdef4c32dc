/**
 * Verifying a whole c2sp.org/tlog-tiles log from its resources: fetch the
 * checkpoint, open it under a policy, and recompute its root from the tiles,
 * or, for a full audit, from every entry.
 */
import { bytesEqual } from './bytes.js';
import { openCheckpoint, type CheckpointPolicy, type VerifiedCheckpoint } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { LedgerError } from './errors.js';
import { hashLeaf } from './hash.js';
import { TILE_WIDTH } from './tile-path.js';
import { TileReader, fetchOrFail, type TileFetcher } from './tiles.js';

export interface TiledLogReport {
  readonly checkpoint: VerifiedCheckpoint;
  /** Number of entries re-hashed (0 unless `entries` was asked for). */
  readonly entriesChecked: bigint;
}

/**
 * Fetch `checkpoint`, verify its signatures under `policy`, and check that the
 * tiles recompute its root hash. With `entries`, also fetch every entry bundle
 * and recompute the root from the entries themselves.
 */
export async function verifyTiledLog(
  fetch: TileFetcher,
  policy: CheckpointPolicy,
  options: { entries?: boolean; onEntry?: (index: bigint, entry: Uint8Array) => void } = {},
): Promise<TiledLogReport> {
  const checkpoint = openCheckpoint(await fetchOrFail(fetch, 'checkpoint'), policy);
  const reader = new TileReader(fetch, checkpoint.size);
  if (!bytesEqual(await reader.root(), checkpoint.rootHash)) {
    throw new LedgerError('LEDGER_ROOT_MISMATCH', 'the tiles do not recompute the checkpoint root hash', { size: checkpoint.size.toString() });
  }
  if (!options.entries) return { checkpoint, entriesChecked: 0n };

  const range = CompactRange.empty();
  for (let n = 0n; n * BigInt(TILE_WIDTH) < checkpoint.size; n++) {
    for (const entry of await reader.entries(n)) {
      options.onEntry?.(range.size, entry);
      range.append(hashLeaf(entry));
    }
  }
  if (!bytesEqual(range.root(), checkpoint.rootHash)) {
    throw new LedgerError('LEDGER_ROOT_MISMATCH', 'the entries do not recompute the checkpoint root hash');
  }
  return { checkpoint, entriesChecked: range.size };
}
