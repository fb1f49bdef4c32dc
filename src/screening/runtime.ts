/**
 * The screening index of one process, built from the active list versions.
 *
 * Every process (API node, command) holds its own index. It knows the
 * activation generation it was built from; before answering it compares that
 * with the database's generation (one indexed `max(seq)` query, at most once
 * per `checkIntervalMs`), and rebuilds when another process — or another API
 * node on the same PostgreSQL database — activated a version. An activation
 * in this process invalidates at once. A rebuild is single-flight: concurrent
 * callers wait for the same build.
 */
import { createHash } from 'node:crypto';
import type { Services } from '../app/services.js';
import { ScreeningIndexBuilder, type ScreeningIndex } from './match/index.js';
import { Screener } from './match/screen.js';
import type { ListEntity } from './model.js';
import { activeListVersions, currentGeneration, type ListVersionView } from './versions.js';

/** What screening runs against: the index of the active versions, with the digests that make hit fingerprints. */
export interface IndexSnapshot {
  generation: number;
  /** null while no list is active. */
  screener: Screener | null;
  versions: ListVersionView[];
  /** `list \u0000 entity_id` → the entity's match digest and version. */
  entities: Map<string, { digest: string; version_id: string }>;
  /** A short identifier of the active set (list and content hash of each active version). */
  listSet: string | null;
  builtAt: Date;
  buildMs: number;
}

/** Entities read per query while building. */
const BUILD_PAGE = 2000;

export const entityKey = (list: string, entityId: string) => `${list}\u0000${entityId}`;

/** The identifier of a set of active versions: stable for the same contents. */
export function listSetId(versions: ReadonlyArray<{ list: string; content_hash: string }>): string | null {
  if (versions.length === 0) return null;
  const lines = versions.map((v) => `${v.list} ${v.content_hash}\n`).sort().join('');
  return `lists-${createHash('sha256').update(lines).digest('hex').slice(0, 16)}`;
}

export interface RuntimeOptions {
  /** How often (at most) to ask the database whether the active set changed. Default 1000 ms. */
  checkIntervalMs?: number;
}

export class ScreeningRuntime {
  private snap: IndexSnapshot | null = null;
  private building: Promise<IndexSnapshot> | null = null;
  private lastCheck = -Infinity;
  private readonly interval: number;

  constructor(
    readonly services: Services,
    opts: RuntimeOptions = {},
  ) {
    this.interval = opts.checkIntervalMs ?? 1000;
  }

  /** Forget the freshness check: the next `snapshot()` asks the database (after an activation here). */
  invalidate(): void {
    this.lastCheck = -Infinity;
  }

  /** The current snapshot, rebuilt first if the active set changed. */
  async snapshot(): Promise<IndexSnapshot> {
    const now = performance.now();
    if (this.snap && now - this.lastCheck < this.interval) return this.snap;
    if (this.building) return this.building;
    const generation = await currentGeneration(this.services.database.db);
    this.lastCheck = performance.now();
    if (this.snap && this.snap.generation === generation) return this.snap;
    if (this.building) return this.building;
    this.building = this.build(generation).finally(() => {
      this.building = null;
    });
    return this.building;
  }

  /** The generation of the snapshot held now (without checking), or null before the first build. */
  get heldGeneration(): number | null {
    return this.snap?.generation ?? null;
  }

  private async build(generation: number): Promise<IndexSnapshot> {
    const started = performance.now();
    const db = this.services.database.db;
    const versions = await activeListVersions(db);
    const builder = new ScreeningIndexBuilder();
    const entities = new Map<string, { digest: string; version_id: string }>();
    for (const v of versions) {
      let after = '';
      for (;;) {
        const page = await db
          .selectFrom('screening_version_entities as ve')
          .innerJoin('screening_entity_bodies as b', 'b.sha256', 've.body_sha256')
          .select(['ve.entity_id', 've.list', 've.match_digest', 'b.body'])
          .where('ve.version_id', '=', v.id)
          .where('ve.entity_id', '>', after)
          .orderBy('ve.entity_id')
          .limit(BUILD_PAGE)
          .execute();
        if (page.length === 0) break;
        for (const r of page) {
          builder.add(JSON.parse(r.body) as ListEntity);
          entities.set(entityKey(r.list, r.entity_id), { digest: r.match_digest, version_id: v.id });
        }
        after = page[page.length - 1]!.entity_id;
      }
    }
    const index: ScreeningIndex | null = builder.entities > 0 ? builder.build() : null;
    const snap: IndexSnapshot = {
      generation,
      screener: index ? new Screener(index) : null,
      versions,
      entities,
      listSet: listSetId(versions),
      builtAt: this.services.clock.now(),
      buildMs: Math.round(performance.now() - started),
    };
    this.snap = snap;
    this.services.logger.info({ generation, lists: versions.length, entities: entities.size, ms: snap.buildMs }, 'screening index built');
    return snap;
  }
}

const runtimes = new WeakMap<Services, ScreeningRuntime>();

/** The screening runtime of a composition root (one per `Services`). */
export function screeningRuntime(services: Services): ScreeningRuntime {
  let r = runtimes.get(services);
  if (!r) {
    r = new ScreeningRuntime(services);
    runtimes.set(services, r);
  }
  return r;
}
