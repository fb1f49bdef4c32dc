/**
 * The transparency log service: integrates queued decisive events into the
 * Merkle tree (stored as c2sp.org/tlog-tiles), signs checkpoints, and answers
 * for tiles, proofs and receipts.
 *
 * Order of operations, and why:
 * 1. A domain commits its change and the event together (src/ledger/decisive.ts).
 * 2. `integrate` gives queued events leaf indices and writes the changed tiles,
 *    in one transaction; it commits (fsync) before anything is signed.
 * 3. `signCheckpoint` recomputes the root from the stored tiles, proves it
 *    consistent with the last signed checkpoint, and only then signs: the log
 *    cannot sign two inconsistent checkpoints, even after a crash or a bug.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import type { KeyWrapper } from '../shared/keywrap.js';
import { decodeBase64Strict, encodeBase64 } from './core/bytes.js';
import { formatCheckpoint, openCheckpoint } from './core/checkpoint.js';
import { CompactRange } from './core/compact-range.js';
import { LedgerError } from './core/errors.js';
import { FabgateError } from '../shared/errors.js';
import { HASH_SIZE, hashLeaf } from './core/hash.js';
import { keyIdHex } from './core/key-id.js';
import { signNote } from './core/note.js';
import { planRoot } from './core/proof.js';
import { formatReceipt } from './core/receipt.js';
import { parseTilePath, TILE_HEIGHT, TILE_WIDTH, tilePath, type TileId } from './core/tile-path.js';
import { encodeEntryBundle, locateNode, TileHashReader, TileReader } from './core/tiles.js';
import { verifyConsistency } from './core/verify.js';
import { allVerifierKeys, currentSigner, rotateSigner } from './signing-key.js';
import { ExpandedTileCache } from './tile-cache.js';
import {
  assignLeafIndices,
  eventsInRange,
  integratedSize,
  latestCheckpointRow,
  leafBytesOf,
  pendingEvents,
  readTile,
  tileBytes,
  writeTile,
} from './store.js';
import type { Tables } from '../db/tables.js';
import type { Kysely } from 'kysely';

/** Key of the PostgreSQL advisory lock that makes the sequencer single, across processes. */
const SEQUENCER_LOCK = 0x66616267; // "fabg"

export interface Integration {
  added: number;
  size: bigint;
}

export interface SignedCheckpoint {
  size: bigint;
  rootHash: Uint8Array;
  note: string;
}

export class TransparencyLog {
  /** Serialises integration inside this process; the database lock does it across processes. */
  private running: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly database: Database,
    private readonly keys: KeyWrapper,
    private readonly clock: Clock,
    readonly origin: string,
    private readonly logger?: Logger,
  ) {
    this.proofs = new ExpandedTileCache(this.fetcher(database.db, true));
  }

  private get db(): Kysely<Tables> {
    return this.database.db;
  }

  /**
   * A tile path names immutable bytes: a full tile never changes, and a partial
   * tile `.p/W` is the first W hashes, which never change either. So readers may
   * keep them. Integration and signing never read through this cache — they
   * check what is stored.
   */
  private readonly tileCache = new Map<string, Uint8Array>();
  private static readonly TILE_CACHE_ENTRIES = 4096; // at most 32 MiB
  private readonly proofs: ExpandedTileCache;
  /** The integrated size last seen; it only grows. */
  private knownSize = 0n;

  /** A tile fetcher over the database (or a transaction), in tlog-tiles paths. */
  private fetcher(db: Kysely<Tables>, cached = false) {
    return async (path: string): Promise<Uint8Array> => {
      const tile = parseTilePath(path);
      if (tile.level === 'entries') throw new FabgateError('LEDGER_TILE_NOT_FOUND', 'entry bundles are not hashes', 'not_found');
      const hit = cached ? this.tileCache.get(path) : undefined;
      if (hit) return hit;
      const bytes = await tileBytes(db, tile as TileId & { level: number });
      if (!bytes) throw new FabgateError('LEDGER_TILE_NOT_FOUND', `no tile ${path}`, 'not_found');
      if (cached) {
        if (this.tileCache.size >= TransparencyLog.TILE_CACHE_ENTRIES) this.tileCache.delete(this.tileCache.keys().next().value!);
        this.tileCache.set(path, bytes);
      }
      return bytes;
    };
  }

  /**
   * Integrate queued events (up to `batch`) and sign a checkpoint over them.
   * Safe to call from anywhere at any time: concurrent calls queue up.
   */
  integrate(batch = 10_000): Promise<Integration> {
    const run = this.running.then(async () => {
      let added = 0;
      let step: Integration;
      do {
        step = await this.integrateBatch(batch);
        added += step.added;
      } while (step.added === batch);
      const size = step.size;
      await this.signCheckpoint();
      return { added, size };
    });
    this.running = run.catch(() => undefined);
    return run;
  }

  private async integrateBatch(batch: number): Promise<Integration> {
    return this.db.transaction().execute(async (trx) => {
      if (this.database.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK})`.execute(trx);
      const size = await integratedSize(trx);
      const pending = await pendingEvents(trx, batch);
      if (pending.length === 0) return { added: 0, size };

      // Resume the compact range from the stored right edge (O(log n) tiles).
      const peaks = planRoot(size).nodes;
      const fetched = new Map<string, Uint8Array>();
      for (const node of peaks) {
        const { tile } = locateNode(node.level, node.index, size);
        const path = tilePath(tile);
        if (!fetched.has(path)) fetched.set(path, await this.fetcher(trx)(path));
      }
      const range = CompactRange.fromReader(new TileHashReader(size, fetched), size);

      // The right-edge tile of each level, which the batch extends.
      const touched = new Map<string, { level: number; index: bigint; bytes: Uint8Array; width: number }>();
      const tileFor = (level: number, index: bigint) => {
        const key = `${level}/${index}`;
        let t = touched.get(key);
        if (!t) {
          t = { level, index, bytes: new Uint8Array(TILE_WIDTH * HASH_SIZE), width: 0 };
          touched.set(key, t);
        }
        return t;
      };
      for (let level = 0; size >> BigInt(level * TILE_HEIGHT) > 0n; level++) {
        const hashes = size >> BigInt(level * TILE_HEIGHT);
        const index = hashes >> BigInt(TILE_HEIGHT);
        const stored = await readTile(trx, level, index);
        if (stored) {
          const t = tileFor(level, index);
          t.bytes.set(stored);
          t.width = stored.length / HASH_SIZE;
        }
      }

      const assignments: Array<{ seq: number; index: bigint }> = [];
      for (const event of pending) {
        const index = range.size;
        range.append(hashLeaf(leafBytesOf(event)), (level, nodeIndex, hash) => {
          if (level % TILE_HEIGHT !== 0) return;
          const tileLevel = level / TILE_HEIGHT;
          const t = tileFor(tileLevel, nodeIndex >> BigInt(TILE_HEIGHT));
          const offset = Number(nodeIndex & BigInt(TILE_WIDTH - 1));
          t.bytes.set(hash, offset * HASH_SIZE);
          t.width = Math.max(t.width, offset + 1);
        });
        assignments.push({ seq: Number(event.seq), index });
      }
      await assignLeafIndices(trx, assignments);
      for (const t of touched.values()) if (t.width > 0) await writeTile(trx, t.level, t.index, t.bytes.subarray(0, t.width * HASH_SIZE));
      return { added: pending.length, size: range.size };
    });
  }

  /**
   * Sign a checkpoint at the integrated size, if it is newer than the last one.
   * The root comes from the stored tiles, and must be consistent with the last
   * checkpoint, or nothing is signed.
   */
  async signCheckpoint(): Promise<SignedCheckpoint | undefined> {
    return this.db.transaction().execute(async (trx) => {
      if (this.database.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK})`.execute(trx);
      const size = await integratedSize(trx);
      const last = await latestCheckpointRow(trx);
      if (size === 0n || (last && BigInt(last.size) >= size)) return undefined;
      const reader = new TileReader(this.fetcher(trx), size);
      const rootHash = await reader.root();
      if (last) {
        const lastRoot = decodeBase64Strict(last.root_hash)!;
        const proof = await reader.consistencyProof(BigInt(last.size));
        try {
          verifyConsistency(BigInt(last.size), size, lastRoot, rootHash, proof);
        } catch (e) {
          this.logger?.fatal({ size: size.toString(), last: last.size }, 'refusing to sign a checkpoint inconsistent with the last one');
          throw new FabgateError(
            'LEDGER_CONSISTENCY_REFUSED',
            `the tree at ${size} is not consistent with the signed checkpoint at ${last.size}; nothing was signed`,
            'integrity',
            { cause: (e as Error).message },
          );
        }
      }
      const signer = await currentSigner(trx, this.keys, this.clock, this.origin);
      const note = signNote(formatCheckpoint({ origin: this.origin, size, rootHash, extensions: [] }), [signer]);
      await trx
        .insertInto('ledger_checkpoints')
        .values({ size: Number(size), root_hash: encodeBase64(rootHash), note, key_id: keyIdHex(signer.keyId), created_at: this.clock.now().toISOString() })
        .execute();
      return { size, rootHash, note };
    });
  }

  /** Run `integrate` shortly after `nudge()` and at least every `intervalMs`, until `stop()`. */
  start(intervalMs = 1000): void {
    if (this.timer) return;
    const tick = () => {
      this.integrate().catch((e: unknown) => this.logger?.error({ err: e }, 'log integration failed'));
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    this.wake = () => setTimeout(tick, 20).unref();
  }

  /** A decisive event was committed: integrate soon. */
  nudge(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.wake = undefined;
    await this.running;
  }

  /* ------------------------------------------------------------ reading --- */

  /** The verifier key of the current signing key (generated at first use). */
  async verifierKey(): Promise<string> {
    await currentSigner(this.db, this.keys, this.clock, this.origin);
    return (await allVerifierKeys(this.db)).find((k) => k.retiredAt === null)!.verifierKey;
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const row = await latestCheckpointRow(this.db);
    return row ? { size: BigInt(row.size), rootHash: decodeBase64Strict(row.root_hash)!, note: row.note } : undefined;
  }

  /** A checkpoint covering at least `size` leaves, signing one if the integrated tree is ahead. */
  private async checkpointCovering(size: bigint): Promise<SignedCheckpoint> {
    let cp = await this.latestCheckpoint();
    if (!cp || cp.size < size) {
      await this.integrate();
      cp = await this.latestCheckpoint();
    }
    if (!cp || cp.size < size) throw new LedgerError('LEDGER_PROOF_REQUEST_INVALID', `the log has no checkpoint covering ${size} entries yet`);
    return cp;
  }

  async tile(path: string): Promise<Uint8Array> {
    const tile = parseTilePath(path);
    if (tile.level === 'entries') return this.entryBundle(tile.index, tile.width);
    return this.fetcher(this.db, true)(path);
  }

  private async entryBundle(index: bigint, width: number): Promise<Uint8Array> {
    const start = index * BigInt(TILE_WIDTH);
    const rows = await eventsInRange(this.db, start, start + BigInt(width));
    if (rows.length !== width) throw new FabgateError('LEDGER_TILE_NOT_FOUND', `no entry bundle ${index} of width ${width}`, 'not_found');
    return encodeEntryBundle(rows.map(leafBytesOf));
  }

  /** The logged entry (leaf bytes) at `index`. */
  async entry(index: bigint): Promise<Uint8Array> {
    const [row] = await eventsInRange(this.db, index, index + 1n);
    if (!row) throw new FabgateError('LEDGER_ENTRY_NOT_FOUND', `no entry ${index}`, 'not_found');
    return leafBytesOf(row);
  }

  async inclusionProof(index: bigint, size?: bigint): Promise<{ index: bigint; size: bigint; proof: Uint8Array[] }> {
    const treeSize = size ?? (await this.checkpointCovering(index + 1n)).size;
    if (index >= treeSize) throw new LedgerError('LEDGER_PROOF_REQUEST_INVALID', `index ${index} is not below size ${treeSize}`);
    await this.requireSize(treeSize);
    return { index, size: treeSize, proof: await this.proofs.inclusionProof(index, treeSize) };
  }

  async consistencyProof(from: bigint, to: bigint): Promise<Uint8Array[]> {
    if (from <= 0n || from > to) throw new LedgerError('LEDGER_PROOF_REQUEST_INVALID', 'need 0 < from <= to');
    await this.requireSize(to);
    return this.proofs.consistencyProof(from, to);
  }

  private async requireSize(size: bigint): Promise<void> {
    if (size <= this.knownSize) return;
    this.knownSize = await integratedSize(this.db);
    if (size > this.knownSize) throw new LedgerError('LEDGER_PROOF_REQUEST_INVALID', `the log has fewer than ${size} entries`);
  }

  /** A c2sp.org/tlog-proof receipt for entry `index`, under the latest checkpoint. */
  async receipt(index: bigint): Promise<string> {
    const checkpoint = await this.checkpointCovering(index + 1n);
    const [entry, { proof }] = await Promise.all([this.entry(index), this.inclusionProof(index, checkpoint.size)]);
    return formatReceipt({ extra: entry, index, proof, checkpoint: checkpoint.note });
  }

  /** Receipt for the logged event of a record, integrating it first if it is still queued. */
  async receiptForRecord(recordType: string, recordId: string): Promise<{ index: bigint; receipt: string } | undefined> {
    const find = () =>
      this.db.selectFrom('ledger_events').select(['leaf_index']).where('record_type', '=', recordType).where('record_id', '=', recordId).orderBy('seq', 'desc').executeTakeFirst();
    let row = await find();
    if (!row) return undefined;
    if (row.leaf_index === null) {
      await this.integrate();
      row = await find();
    }
    const index = BigInt(row!.leaf_index!);
    return { index, receipt: await this.receipt(index) };
  }

  async rotateKey(): Promise<{ retired: string[]; verifierKey: string }> {
    const { retired } = await this.db.transaction().execute((trx) => rotateSigner(trx, this.keys, this.clock, this.origin));
    return { retired, verifierKey: await this.verifierKey() };
  }

  /** Open a checkpoint note under every key this log has used. */
  async openOwnCheckpoint(note: string) {
    const keys = await allVerifierKeys(this.db);
    return openCheckpoint(note, { logKeys: keys.map((k) => k.verifier), origin: this.origin });
  }
}
