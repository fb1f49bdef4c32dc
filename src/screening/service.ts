/**
 * Screening operations that span the store, the per-process index and the job
 * runner: loading list files into versions, activating a version, screening
 * one party with the organisation's remembered decisions beside each match.
 * Routes, commands and the demo seed call these; each says which transaction
 * it uses.
 */
import type { Services } from '../app/services.js';
import type { Actor } from '../audit/trail.js';
import type { Trx } from '../db/database.js';
import { FabgateError } from '../shared/errors.js';
import { enqueueRescreen, screeningJobs } from './jobs.js';
import { openLists, type OpenListsOptions } from './lists/load.js';
import type { ListInput } from './lists/source.js';
import { fingerprintOfDigests, partyDigest } from './match/fingerprint.js';
import { DEFAULT_THRESHOLD, type Match, type Party } from './match/types.js';
import type { ListEntity, ListFormat } from './model.js';
import { latestDecisions, type DecisionView } from './review.js';
import { entityKey, screeningRuntime, type IndexSnapshot } from './runtime.js';
import { activateListVersion, activeEntities, completeListVersion, discardStagedVersion, purgeAbandonedLoads, stageListVersion, type Activation, type CompletedVersion, type OnActivated } from './versions.js';

export interface LoadResult extends CompletedVersion {
  /** The re-screening job queued by the activation, if any. */
  rescreen_job: string | null;
}

/** What runs in the activation's transaction: queue the re-screening of stored parties. */
function rescreenOnActivation(services: Services, actor: Actor, jobs: string[], then?: (trx: Trx, a: Activation) => Promise<void>): OnActivated {
  return async (trx, activation) => {
    jobs.push(await enqueueRescreen(trx, services.clock, activation.seq, actor));
    await then?.(trx, activation);
  };
}

/**
 * Load list files as versions, each staged and then completed and activated in
 * one transaction (`audit` runs inside it). Returns one result per list in the
 * files (OFAC CSV parts given together are one list). Abandoned loads of killed
 * processes are purged first.
 */
export async function loadListFiles(
  services: Services,
  inputs: ListInput[],
  opts: {
    actor: Actor;
    format?: ListFormat | 'auto';
    onIncomplete?: OpenListsOptions['onIncomplete'];
    onProgress?: (n: number) => void;
    /** After each staged batch commits, with the number of entities staged so far. */
    onBatch?: (staged: number) => void | Promise<void>;
    onLoad?: (files: string[]) => void;
    audit?: (trx: Trx, version: CompletedVersion) => Promise<void>;
    batchSize?: number;
  },
): Promise<LoadResult[]> {
  const { database, clock } = services;
  await purgeAbandonedLoads(database.db, clock);
  const loads = await openLists(inputs, { format: opts.format ?? 'auto', ...(opts.onIncomplete ? { onIncomplete: opts.onIncomplete } : {}) });
  const out: LoadResult[] = [];
  for (const load of loads) {
    opts.onLoad?.(load.files);
    const staged = await stageListVersion(database.db, clock, load, { actor: opts.actor, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.onBatch ? { onBatch: opts.onBatch } : {}), ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) });
    const jobs: string[] = [];
    try {
      const done = await database.db.transaction().execute(async (trx) => {
        const r = await completeListVersion(trx, clock, staged, opts.actor, rescreenOnActivation(services, opts.actor, jobs));
        await opts.audit?.(trx, r);
        return r;
      });
      out.push({ ...done, rescreen_job: jobs[0] ?? null });
    } catch (e) {
      await discardStagedVersion(database.db, staged.id).catch(() => undefined);
      throw e;
    }
    screeningRuntime(services).invalidate();
  }
  return out;
}

/** Activate a complete version (going back to an earlier one) in the caller's transaction; returns the re-screening job. */
export async function activateVersion(services: Services, trx: Trx, versionId: string, actor: Actor): Promise<{ activation: Activation | null; rescreen_job: string | null }> {
  const jobs: string[] = [];
  const activation = await activateListVersion(trx, services.clock, versionId, actor, rescreenOnActivation(services, actor, jobs));
  return { activation, rescreen_job: jobs[0] ?? null };
}

/** After a commit that activated versions here: rebuild on next use, and start re-screening. */
export function afterActivation(services: Services): void {
  screeningRuntime(services).invalidate();
  screeningJobs(services).kick();
}

export interface ScreenedMatch extends Match {
  fingerprint: string;
  /** The listed entity, for the reviewer to compare side by side with the party. */
  entity: Pick<ListEntity, 'type' | 'name' | 'aliases' | 'countries' | 'dates_of_birth' | 'programmes' | 'addresses' | 'identifiers'> & { remarks?: string | undefined };
  version_id: string;
  /** The organisation's latest decision on this exact hit (same party data, same entity content). */
  review: DecisionView | null;
}

export interface ScreenOneResult {
  party: Party;
  threshold: number;
  screened_at: string;
  generation: number;
  lists: Array<{ version_id: string; list: string; content_hash: string; source_date: string | null; entities: number }>;
  matches: ScreenedMatch[];
}

/** The active versions a snapshot holds, as results cite them. */
export const listsOf = (snap: IndexSnapshot) => snap.versions.map((v) => ({ version_id: v.id, list: v.list, content_hash: v.content_hash, source_date: v.source_date, entities: v.entities }));

/**
 * Screen one party against the active lists, each match with its fingerprint,
 * the listed entity and the organisation's remembered decision.
 */
export async function screenOne(services: Services, organisationId: string | null, party: Party, opts: { threshold?: number; limit?: number } = {}): Promise<ScreenOneResult> {
  const snap = await screeningRuntime(services).snapshot();
  if (!snap.screener) throw new FabgateError('SCREENING_NO_ACTIVE_LISTS', 'no list is active: load one with `fabgate lists load` or POST /api/lists/versions', 'conflict');
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const matches = snap.screener.screen(party, { threshold, ...(opts.limit ? { limit: opts.limit } : {}) });
  const db = services.database.db;
  const pd = partyDigest(party);
  const fps = matches.map((m) => fingerprintOfDigests(pd, snap.entities.get(entityKey(m.list, m.entity_id))!.digest));
  const reviews = organisationId ? await latestDecisions(db, organisationId, fps) : new Map<string, DecisionView>();
  const bodies = await activeEntities(db, matches);
  return {
    party,
    threshold,
    screened_at: services.clock.now().toISOString(),
    generation: snap.generation,
    lists: listsOf(snap),
    matches: matches.map((m, i) => {
      const found = bodies.get(entityKey(m.list, m.entity_id));
      const e = found?.entity;
      return {
        ...m,
        fingerprint: fps[i]!,
        version_id: found?.version_id ?? snap.entities.get(entityKey(m.list, m.entity_id))!.version_id,
        entity: e
          ? { type: e.type, name: e.name, aliases: e.aliases, countries: e.countries, dates_of_birth: e.dates_of_birth, programmes: e.programmes, addresses: e.addresses, identifiers: e.identifiers, remarks: e.remarks }
          : { type: 'unknown', name: m.matched_name, aliases: [], countries: [], dates_of_birth: [], programmes: [], addresses: [], identifiers: [] },
        review: reviews.get(fps[i]!) ?? null,
      };
    }),
  };
}
