/**
 * `fabgate log audit`: check the database against its own transparency log.
 *
 * The log is the reference, because its checkpoints are signed and public:
 * 1. every stored checkpoint verifies under a log key and is consistent with
 *    every later one (and with the last checkpoint this auditor saw before);
 * 2. the leaves rebuilt from the event rows hash to the stored tiles, and the
 *    tree they form has the latest signed root — so no event row was altered,
 *    deleted or reordered;
 * 3. each event's record, rebuilt from the domain's tables by its resolver,
 *    still matches the salted commitment — so no decision, ticket or licence
 *    was altered or deleted after it was logged;
 * 4. each record a domain says should be logged has an event.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { bytesEqual, decodeBase64Strict, fromHexStrict } from './core/bytes.js';
import { openCheckpoint } from './core/checkpoint.js';
import { CompactRange } from './core/compact-range.js';
import { HASH_SIZE, hashLeaf } from './core/hash.js';
import { recordCommitment } from './core/leaf.js';
import { TILE_WIDTH } from './core/tile-path.js';
import { TileReader } from './core/tiles.js';
import { verifyConsistency } from './core/verify.js';
import { recordResolver, registeredRecordTypes } from './decisive.js';
import { allVerifierKeys } from './signing-key.js';
import { leafBytesOf, readTile, tileBytes } from './store.js';
import { parseTilePath, type TileId } from './core/tile-path.js';

export type FindingKind =
  | 'checkpoint_signature_invalid'
  | 'checkpoint_inconsistent'
  | 'checkpoint_root_mismatch'
  | 'seen_checkpoint_inconsistent'
  | 'entry_altered'
  | 'entry_missing'
  | 'record_altered'
  | 'record_deleted'
  | 'record_not_logged';

export interface Finding {
  kind: FindingKind;
  message: string;
  index?: string;
  record_type?: string;
  record_id?: string;
}

export interface AuditReport {
  ok: boolean;
  checked: { checkpoints: number; entries: number; records: number; pending: number };
  latest_checkpoint: { size: string; root_hash: string } | null;
  unverifiable_record_types: string[];
  findings: Finding[];
}

/** A checkpoint the auditor saw before (kept between runs). */
export interface SeenCheckpoint {
  size: string;
  root_hash: string;
}

export async function auditLog(db: Kysely<Tables>, origin: string, seen?: SeenCheckpoint): Promise<AuditReport> {
  const findings: Finding[] = [];
  const keys = (await allVerifierKeys(db)).map((k) => k.verifier);
  const fetcher = async (path: string) => {
    const bytes = await tileBytes(db, parseTilePath(path) as TileId & { level: number });
    if (!bytes) throw new Error(`no tile ${path}`);
    return bytes;
  };

  // 1. checkpoints: signatures, then consistency of each with the latest.
  const checkpoints = await db.selectFrom('ledger_checkpoints').selectAll().orderBy('size').execute();
  const valid: Array<{ size: bigint; root: Uint8Array }> = [];
  for (const cp of checkpoints) {
    try {
      const opened = openCheckpoint(cp.note, { logKeys: keys, origin });
      if (opened.size !== BigInt(cp.size) || !bytesEqual(opened.rootHash, decodeBase64Strict(cp.root_hash) ?? new Uint8Array())) {
        findings.push({ kind: 'checkpoint_signature_invalid', message: `checkpoint ${cp.size}: the stored size or root differs from the signed note` });
        continue;
      }
      valid.push({ size: opened.size, root: opened.rootHash });
    } catch (e) {
      findings.push({ kind: 'checkpoint_signature_invalid', message: `checkpoint ${cp.size}: ${(e as Error).message}` });
    }
  }
  const latest = valid.at(-1);

  // 2. entries: rebuild the tree from the event rows and compare with tiles and the signed root.
  const events = await db.selectFrom('ledger_events').selectAll().where('leaf_index', 'is not', null).orderBy('leaf_index').execute();
  const pending = await db.selectFrom('ledger_events').select((eb) => eb.fn.countAll<number>().as('n')).where('leaf_index', 'is', null).executeTakeFirst();
  const range = CompactRange.empty();
  let tile: Uint8Array | undefined;
  for (let i = 0; i < events.length; i++) {
    const row = events[i]!;
    const index = BigInt(i);
    if (BigInt(row.leaf_index!) !== index) {
      findings.push({ kind: 'entry_missing', index: index.toString(), message: `leaf ${index} has no event row (the next row claims index ${row.leaf_index})` });
      break;
    }
    let leafHash: Uint8Array;
    try {
      leafHash = hashLeaf(leafBytesOf(row));
    } catch (e) {
      findings.push({ kind: 'entry_altered', index: index.toString(), record_type: row.record_type, record_id: row.record_id, message: `leaf ${index} no longer encodes: ${(e as Error).message}` });
      leafHash = new Uint8Array(HASH_SIZE);
    }
    if (i % TILE_WIDTH === 0) tile = await readTile(db, 0, index / BigInt(TILE_WIDTH));
    const stored = tile?.subarray((i % TILE_WIDTH) * HASH_SIZE, (i % TILE_WIDTH + 1) * HASH_SIZE);
    if (!stored || stored.length !== HASH_SIZE || !bytesEqual(stored, leafHash)) {
      findings.push({ kind: 'entry_altered', index: index.toString(), record_type: row.record_type, record_id: row.record_id, message: `the event row of leaf ${index} does not hash to the logged leaf` });
    }
    range.append(leafHash);
    if (latest && range.size === latest.size && !bytesEqual(range.root(), latest.root)) {
      findings.push({ kind: 'checkpoint_root_mismatch', message: `the event rows do not rebuild the signed root at size ${latest.size}: entries were altered, deleted or reordered` });
    }
  }
  if (latest && BigInt(events.length) < latest.size) {
    findings.push({ kind: 'entry_missing', message: `the signed checkpoint covers ${latest.size} entries, the database holds ${events.length}` });
  }

  // Checkpoints are consistent with each other (from the stored tiles)…
  if (latest) {
    const reader = new TileReader(fetcher, latest.size);
    for (const cp of valid.slice(0, -1)) {
      try {
        verifyConsistency(cp.size, latest.size, cp.root, latest.root, await reader.consistencyProof(cp.size));
      } catch (e) {
        findings.push({ kind: 'checkpoint_inconsistent', message: `checkpoint ${cp.size} is not consistent with checkpoint ${latest.size}: ${(e as Error).message}` });
      }
    }
    // …and with the one this auditor saw last time.
    if (seen) {
      const seenSize = BigInt(seen.size);
      const seenRoot = decodeBase64Strict(seen.root_hash);
      try {
        if (!seenRoot || seenSize > latest.size) throw new Error(`the log shrank from ${seen.size} to ${latest.size}`);
        if (seenSize > 0n) verifyConsistency(seenSize, latest.size, seenRoot, latest.root, seenSize === latest.size ? [] : await reader.consistencyProof(seenSize));
      } catch (e) {
        findings.push({ kind: 'seen_checkpoint_inconsistent', message: `the checkpoint seen before (size ${seen.size}) is not consistent with the current one: ${(e as Error).message}` });
      }
    }
  }

  // 3. records against their commitments; 4. records missing from the log.
  const unverifiable = new Set<string>();
  let records = 0;
  for (const row of events) {
    const resolver = recordResolver(row.record_type);
    if (!resolver) {
      unverifiable.add(row.record_type);
      continue;
    }
    records++;
    const record = await resolver.load(db, row.record_id);
    const where = { index: String(row.leaf_index), record_type: row.record_type, record_id: row.record_id };
    if (record === undefined) {
      findings.push({ kind: 'record_deleted', ...where, message: `${row.record_type} ${row.record_id} was logged but is gone from the database` });
      continue;
    }
    const salt = fromHexStrict(row.salt);
    if (!salt || !bytesEqual(recordCommitment(record, salt), fromHexStrict(row.commitment) ?? new Uint8Array())) {
      findings.push({ kind: 'record_altered', ...where, message: `${row.record_type} ${row.record_id} no longer matches what was logged` });
    }
  }
  const logged = new Set(events.map((e) => `${e.record_type}\u0000${e.record_id}`));
  const pendingRows = await db.selectFrom('ledger_events').select(['record_type', 'record_id']).where('leaf_index', 'is', null).execute();
  for (const r of pendingRows) logged.add(`${r.record_type}\u0000${r.record_id}`);
  for (const type of registeredRecordTypes()) {
    const list = recordResolver(type)?.list;
    if (!list) continue;
    for (const id of await list(db)) {
      if (!logged.has(`${type}\u0000${id}`)) findings.push({ kind: 'record_not_logged', record_type: type, record_id: id, message: `${type} ${id} is in the database but not in the log` });
    }
  }

  return {
    ok: findings.length === 0,
    checked: { checkpoints: checkpoints.length, entries: events.length, records, pending: Number(pending?.n ?? 0) },
    latest_checkpoint: latest ? { size: latest.size.toString(), root_hash: Buffer.from(latest.root).toString('base64') } : null,
    unverifiable_record_types: [...unverifiable].sort(),
    findings,
  };
}
