/**
 * Background screening jobs: batches of parties submitted over the API, and
 * the re-screening of every stored party after a list version is activated.
 *
 * Durability: a job and its input are committed before the submitter hears of
 * it; the worker commits results chunk by chunk, each chunk together with the
 * job's progress (and, for re-screening, the hits and alerts it produced and
 * the cursor). A process killed mid-batch loses at most the chunk it was
 * working on, which nothing had acknowledged; after a restart (or on another
 * API node, once the lease has run out) the job resumes at its committed
 * progress. Jobs are claimed with a lease so that several nodes sharing one
 * PostgreSQL database never run the same chunk twice.
 *
 * A batch's results are all against one generation of the active lists: if a
 * version is activated while a batch runs, the batch starts over against the
 * new set (its results so far would mix two list sets).
 */
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Services } from '../app/services.js';
import type { Actor } from '../audit/trail.js';
import type { Tables } from '../db/tables.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError, isFabgateError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { DEFAULT_THRESHOLD, type Match, type Party } from './match/types.js';
import { customerOf, screenStoredParty, type StoredParty } from './review.js';
import { screeningRuntime, type IndexSnapshot, type ScreeningRuntime } from './runtime.js';
import type { ScreeningJobRow } from './tables.js';

type Db = Kysely<Tables>;

/** The most parties one batch may hold. */
export const MAX_BATCH_PARTIES = 250_000;
/** Parties screened and committed per transaction. */
export const JOB_CHUNK = 250;
/** How long a claimed job stays with its worker without progress. */
export const LEASE_MS = 60_000;
/** Licensing application states whose parties are no longer re-screened. */
export const CLOSED_APPLICATION_STATES = ['withdrawn', 'superseded', 'returned_without_action'] as const;

export interface JobView {
  id: string;
  kind: 'batch' | 'rescreen';
  state: 'queued' | 'running' | 'done' | 'failed' | 'superseded';
  name: string | null;
  total: number;
  done: number;
  /** Batches: parties with at least one match. Re-screening: alerts raised. */
  matched: number;
  threshold: number;
  /** The activation generation the results are against. */
  generation: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: { code: string; message: string } | null;
}

export function jobView(r: ScreeningJobRow): JobView {
  return {
    id: r.id,
    kind: r.kind as JobView['kind'],
    state: r.state as JobView['state'],
    name: r.name,
    total: Number(r.total),
    done: Number(r.done),
    matched: Number(r.matched),
    threshold: Number(r.threshold_milli) / 1000,
    generation: r.generation === null ? null : Number(r.generation),
    created_at: r.created_at,
    started_at: r.started_at,
    finished_at: r.finished_at,
    error: r.error ? (JSON.parse(r.error) as JobView['error']) : null,
  };
}

// ------------------------------------------------------------------ submitting

/**
 * Store a batch and its parties in the caller's transaction; the worker picks
 * it up once committed.
 */
export async function submitBatch(trx: Db, clock: Clock, input: { organisationId: string; actor: Actor; name: string | null; parties: Party[]; threshold?: number }): Promise<JobView> {
  if (input.parties.length === 0) throw new FabgateError('SCREENING_BATCH_EMPTY', 'the batch holds no party', 'invalid_input');
  if (input.parties.length > MAX_BATCH_PARTIES) {
    throw new FabgateError('SCREENING_BATCH_TOO_LARGE', `a batch holds at most ${MAX_BATCH_PARTIES} parties, this one ${input.parties.length}`, 'too_large', { limit: MAX_BATCH_PARTIES });
  }
  const row: ScreeningJobRow = {
    id: newId('sjb'),
    kind: 'batch',
    organisation_id: input.organisationId,
    state: 'queued',
    name: input.name,
    total: input.parties.length,
    done: 0,
    matched: 0,
    threshold_milli: Math.round((input.threshold ?? DEFAULT_THRESHOLD) * 1000),
    generation: null,
    cursor: null,
    created_at: clock.now().toISOString(),
    created_by_type: input.actor.type,
    created_by: input.actor.id,
    started_at: null,
    finished_at: null,
    lease_owner: null,
    lease_until: null,
    error: null,
  };
  await trx.insertInto('screening_jobs').values(row).execute();
  for (let i = 0; i < input.parties.length; i += 500) {
    await trx
      .insertInto('screening_batch_items')
      .values(input.parties.slice(i, i + 500).map((p, k) => ({ job_id: row.id, position: i + k, party: JSON.stringify(p) })))
      .execute();
  }
  return jobView(row);
}

/**
 * Queue the re-screening of every stored party against generation
 * `generation` (in the activation's transaction); earlier re-screenings not yet
 * finished are superseded by it.
 */
export async function enqueueRescreen(trx: Db, clock: Clock, generation: number, actor: Actor): Promise<string> {
  await trx.updateTable('screening_jobs').set({ state: 'superseded', finished_at: clock.now().toISOString(), lease_owner: null, lease_until: null }).where('kind', '=', 'rescreen').where('state', 'in', ['queued', 'running']).execute();
  const id = newId('sjb');
  await trx
    .insertInto('screening_jobs')
    .values({
      id,
      kind: 'rescreen',
      organisation_id: null,
      state: 'queued',
      name: null,
      total: 0,
      done: 0,
      matched: 0,
      threshold_milli: Math.round(DEFAULT_THRESHOLD * 1000),
      generation,
      cursor: JSON.stringify({ phase: 'customers', after: '' }),
      created_at: clock.now().toISOString(),
      created_by_type: actor.type,
      created_by: actor.id,
      started_at: null,
      finished_at: null,
      lease_owner: null,
      lease_until: null,
      error: null,
    })
    .execute();
  return id;
}

// ------------------------------------------------------------------ reading

const jobNotFound = (id: string) => new FabgateError('SCREENING_BATCH_NOT_FOUND', `no batch ${id}`, 'not_found', { id });

export async function listBatches(db: Db, organisationId: string): Promise<JobView[]> {
  const rows = await db.selectFrom('screening_jobs').selectAll().where('organisation_id', '=', organisationId).where('kind', '=', 'batch').orderBy('created_at', 'desc').orderBy('id').limit(200).execute();
  return rows.map(jobView);
}

export async function getBatch(db: Db, organisationId: string, id: string): Promise<JobView> {
  const row = await db.selectFrom('screening_jobs').selectAll().where('id', '=', id).where('organisation_id', '=', organisationId).where('kind', '=', 'batch').executeTakeFirst();
  if (!row) throw jobNotFound(id);
  return jobView(row);
}

/** The latest re-screening jobs (any organisation's parties: operators and tests). */
export async function listRescreens(db: Db, limit = 20): Promise<JobView[]> {
  return (await db.selectFrom('screening_jobs').selectAll().where('kind', '=', 'rescreen').orderBy('created_at', 'desc').orderBy('id').limit(limit).execute()).map(jobView);
}

/**
 * A finished batch's results as JSON lines, in input order:
 * `{"id": …, "matches": [...]}` — the same lines `fabgate screen` writes.
 */
export async function* batchResultLines(db: Db, organisationId: string, id: string): AsyncGenerator<string> {
  const job = await getBatch(db, organisationId, id);
  if (job.state !== 'done') throw new FabgateError('SCREENING_BATCH_NOT_FINISHED', `batch ${id} is ${job.state} (${job.done} of ${job.total})`, 'conflict', { state: job.state, done: job.done, total: job.total });
  for (let from = 0; from < job.total; from += 1000) {
    const rows = await db
      .selectFrom('screening_batch_items as i')
      .innerJoin('screening_batch_results as r', (j) => j.onRef('r.job_id', '=', 'i.job_id').onRef('r.position', '=', 'i.position'))
      .select(['i.party', 'r.matches'])
      .where('i.job_id', '=', id)
      .where('i.position', '>=', from)
      .where('i.position', '<', from + 1000)
      .orderBy('i.position')
      .execute();
    for (const r of rows) yield `{"id":${JSON.stringify((JSON.parse(r.party) as Party).id)},"matches":${r.matches}}\n`;
  }
}

// ------------------------------------------------------------------ the worker

interface Cursor {
  phase: 'customers' | 'applications' | 'done';
  after: string;
}

/** Parties of licensing applications, by party id after `after`. */
async function applicationParties(db: Db, after: string, limit: number): Promise<StoredParty[]> {
  const rows = await db
    .selectFrom('licensing_parties as p')
    .innerJoin('licensing_applications as a', 'a.id', 'p.application_id')
    .select(['p.id', 'p.name', 'p.country', 'p.details', 'p.role', 'a.id as application_id', 'a.reference', 'a.organisation_id'])
    .where('p.id', '>', after)
    .where('a.state', 'not in', [...CLOSED_APPLICATION_STATES])
    .orderBy('p.id')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    let details: { type?: string; date_of_birth?: string } = {};
    try {
      details = JSON.parse(r.details) as typeof details;
    } catch {
      // details the licensing store wrote: unreadable only if altered; screen by name and country
    }
    return {
      kind: 'application_party' as const,
      ref: r.id,
      organisationId: r.organisation_id,
      party: {
        id: r.id,
        name: r.name,
        country: r.country,
        ...(details.type === 'person' || details.type === 'organisation' ? { type: details.type } : {}),
        ...(details.date_of_birth ? { dob: details.date_of_birth } : {}),
      },
      context: { application_id: r.application_id, application_reference: r.reference, role: r.role },
    };
  });
}

async function countStoredParties(db: Db): Promise<number> {
  const c = await db.selectFrom('screening_parties').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const a = await db
    .selectFrom('licensing_parties as p')
    .innerJoin('licensing_applications as a', 'a.id', 'p.application_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('a.state', 'not in', [...CLOSED_APPLICATION_STATES])
    .executeTakeFirst();
  return Number(c?.n ?? 0) + Number(a?.n ?? 0);
}

class LeaseLost extends Error {}

export interface RunnerOptions {
  /** How often to look for jobs left by other processes or a restart. Default 2000 ms. */
  pollMs?: number;
  chunk?: number;
}

/**
 * Runs screening jobs of one process. `kick()` after submitting; `start()`
 * also polls (jobs queued by other processes, jobs left by a killed process
 * whose lease ran out). `runJob(id)` runs one job to its end (the command line).
 */
export class JobRunner {
  readonly owner = `${hostname()}:${process.pid}:${newId('wrk').slice(4, 12)}`;
  private timer: NodeJS.Timeout | null = null;
  private pump: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private failures = new Map<string, number>();
  private readonly chunk: number;
  private readonly pollMs: number;

  constructor(
    readonly services: Services,
    readonly runtime: ScreeningRuntime,
    opts: RunnerOptions = {},
  ) {
    this.chunk = opts.chunk ?? JOB_CHUNK;
    this.pollMs = opts.pollMs ?? 2000;
  }

  private get db(): Db {
    return this.services.database.db;
  }
  private get clock(): Clock {
    return this.services.clock;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pump?.catch(() => undefined);
  }

  /** Look for work now. */
  kick(): void {
    if (this.stopped) return;
    if (this.pump) {
      this.again = true;
      return;
    }
    this.pump = this.runAll()
      .catch((e: unknown) => this.services.logger.error({ err: e }, 'screening jobs'))
      .finally(() => {
        this.pump = null;
      });
  }

  /** Run every claimable job to its end (tests, and the command line after an activation). */
  async drain(): Promise<void> {
    do {
      this.kick();
      await this.pump;
    } while (!this.stopped && (await this.claimable()).length > 0);
  }

  private async runAll(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        if (this.stopped) return;
        const id = await this.claimNext();
        if (!id) break;
        await this.runClaimed(id);
      }
    } while (this.again && !this.stopped);
  }

  private async claimable(): Promise<string[]> {
    const now = this.clock.now().toISOString();
    const rows = await this.db
      .selectFrom('screening_jobs')
      .select('id')
      .where('state', 'in', ['queued', 'running'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('created_at')
      .orderBy('id')
      .limit(10)
      .execute();
    return rows.map((r) => r.id).filter((id) => (this.failures.get(id) ?? 0) < 3);
  }

  private async claim(id: string): Promise<boolean> {
    const now = this.clock.now();
    const r = await this.db
      .updateTable('screening_jobs')
      .set((eb) => ({
        state: 'running',
        lease_owner: this.owner,
        lease_until: new Date(now.getTime() + LEASE_MS).toISOString(),
        started_at: eb.fn.coalesce('started_at', eb.val(now.toISOString())),
      }))
      .where('id', '=', id)
      .where('state', 'in', ['queued', 'running'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now.toISOString())]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async claimNext(): Promise<string | null> {
    for (const id of await this.claimable()) if (await this.claim(id)) return id;
    return null;
  }

  /** Claim and run one job to its end; false when another worker holds it or it is finished. */
  async runJob(id: string, onProgress?: (job: JobView) => void): Promise<boolean> {
    if (!(await this.claim(id))) return false;
    await this.runClaimed(id, onProgress);
    return true;
  }

  private async runClaimed(id: string, onProgress?: (job: JobView) => void): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) {
          await this.release(id);
          return;
        }
        const job = await this.db.selectFrom('screening_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        if (job.lease_owner !== this.owner || (job.state !== 'running' && job.state !== 'queued')) return;
        const more = job.kind === 'batch' ? await this.batchChunk(job) : await this.rescreenChunk(job);
        onProgress?.(jobView(await this.db.selectFrom('screening_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()));
        if (!more) return;
        // let requests in between chunks
        await new Promise((r) => setImmediate(r));
      }
    } catch (e) {
      if (e instanceof LeaseLost) return;
      const n = (this.failures.get(id) ?? 0) + 1;
      this.failures.set(id, n);
      this.services.logger.error({ err: e, job: id, attempt: n }, 'screening job chunk failed');
      if (n >= 3 || isFabgateError(e)) {
        const err = isFabgateError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the job failed; the server log has the cause' };
        await this.db
          .updateTable('screening_jobs')
          .set({ state: 'failed', error: JSON.stringify(err), finished_at: this.clock.now().toISOString(), lease_owner: null, lease_until: null })
          .where('id', '=', id)
          .where('lease_owner', '=', this.owner)
          .execute()
          .catch(() => undefined);
      } else await this.release(id).catch(() => undefined);
    }
  }

  private async release(id: string): Promise<void> {
    await this.db.updateTable('screening_jobs').set({ lease_owner: null, lease_until: null }).where('id', '=', id).where('lease_owner', '=', this.owner).execute();
  }

  private leaseUntil(): string {
    return new Date(this.clock.now().getTime() + LEASE_MS).toISOString();
  }

  /** One chunk of a batch; false when the batch is finished. */
  private async batchChunk(job: ScreeningJobRow): Promise<boolean> {
    const snap = await this.runtime.snapshot();
    if (!snap.screener) throw new FabgateError('SCREENING_NO_ACTIVE_LISTS', 'no list is active: load one with `fabgate lists load` or POST /api/lists/versions', 'conflict');
    if (job.generation === null || Number(job.generation) !== snap.generation) {
      // first chunk, or the active lists changed: (re)start against the current set
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('screening_batch_results').where('job_id', '=', job.id).execute();
        const r = await trx
          .updateTable('screening_jobs')
          .set({ generation: snap.generation, done: 0, matched: 0, lease_until: this.leaseUntil() })
          .where('id', '=', job.id)
          .where('lease_owner', '=', this.owner)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new LeaseLost();
      });
      return true;
    }
    const done = Number(job.done);
    const total = Number(job.total);
    if (done >= total) {
      await this.finish(job.id);
      return false;
    }
    const items = await this.db
      .selectFrom('screening_batch_items')
      .select(['position', 'party'])
      .where('job_id', '=', job.id)
      .where('position', '>=', done)
      .where('position', '<', done + this.chunk)
      .orderBy('position')
      .execute();
    const threshold = Number(job.threshold_milli) / 1000;
    const results: Array<{ job_id: string; position: number; matches: string; match_count: number }> = [];
    let matched = 0;
    for (const it of items) {
      const matches: Match[] = snap.screener.screen(JSON.parse(it.party) as Party, { threshold });
      if (matches.length) matched++;
      results.push({ job_id: job.id, position: Number(it.position), matches: JSON.stringify(matches), match_count: matches.length });
    }
    await this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('screening_jobs')
        .set((eb) => ({ done: eb('done', '+', results.length), matched: eb('matched', '+', matched), lease_until: this.leaseUntil() }))
        .where('id', '=', job.id)
        .where('lease_owner', '=', this.owner)
        .where('done', '=', done)
        .where('generation', '=', snap.generation)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new LeaseLost();
      for (let i = 0; i < results.length; i += 200) await trx.insertInto('screening_batch_results').values(results.slice(i, i + 200)).execute();
    });
    if (done + results.length >= total) {
      await this.finish(job.id);
      return false;
    }
    return true;
  }

  private async finish(id: string): Promise<void> {
    await this.db
      .updateTable('screening_jobs')
      .set({ state: 'done', finished_at: this.clock.now().toISOString(), lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', this.owner)
      .execute();
    this.failures.delete(id);
  }

  /** One chunk of re-screening stored parties; false when finished or superseded. */
  private async rescreenChunk(job: ScreeningJobRow): Promise<boolean> {
    const newer = await this.db.selectFrom('screening_jobs').select('id').where('kind', '=', 'rescreen').where('generation', '>', Number(job.generation ?? 0)).limit(1).executeTakeFirst();
    if (newer) {
      await this.db.updateTable('screening_jobs').set({ state: 'superseded', finished_at: this.clock.now().toISOString(), lease_owner: null, lease_until: null }).where('id', '=', job.id).execute();
      return false;
    }
    const snap: IndexSnapshot = await this.runtime.snapshot();
    const cursor = JSON.parse(job.cursor ?? '{"phase":"customers","after":""}') as Cursor;
    if (Number(job.total) === 0 && Number(job.done) === 0 && cursor.phase === 'customers' && cursor.after === '') {
      const total = await countStoredParties(this.db);
      await this.db.updateTable('screening_jobs').set({ total }).where('id', '=', job.id).where('lease_owner', '=', this.owner).execute();
    }
    let parties: StoredParty[] = [];
    let next: Cursor = cursor;
    if (cursor.phase === 'customers') {
      const rows = await this.db.selectFrom('screening_parties').selectAll().where('id', '>', cursor.after).orderBy('id').limit(this.chunk).execute();
      parties = rows.map(customerOf);
      next = rows.length < this.chunk ? { phase: 'applications', after: '' } : { phase: 'customers', after: rows[rows.length - 1]!.id };
    } else if (cursor.phase === 'applications') {
      parties = await applicationParties(this.db, cursor.after, this.chunk);
      next = parties.length < this.chunk ? { phase: 'done', after: '' } : { phase: 'applications', after: parties[parties.length - 1]!.ref };
    }
    await this.db.transaction().execute(async (trx) => {
      // the cursor check makes a chunk count once, even if a lease ran out meanwhile
      const r = await trx
        .updateTable('screening_jobs')
        .set({ cursor: JSON.stringify(next), lease_until: this.leaseUntil() })
        .where('id', '=', job.id)
        .where('lease_owner', '=', this.owner)
        .where('cursor', '=', JSON.stringify(cursor))
        .where('state', '=', 'running')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new LeaseLost();
      let alerts = 0;
      for (const p of parties) alerts += (await screenStoredParty(trx, this.clock, snap, p, 'list_activated')).alerts.length;
      await trx
        .updateTable('screening_jobs')
        .set((eb) => ({ done: eb('done', '+', parties.length), matched: eb('matched', '+', alerts) }))
        .where('id', '=', job.id)
        .execute();
    });
    if (next.phase === 'done') {
      await this.finish(job.id);
      return false;
    }
    return true;
  }
}

const runners = new WeakMap<Services, JobRunner>();

/**
 * The job runner of a composition root (one per `Services`), created on first
 * use; closing the services stops it first.
 */
export function screeningJobs(services: Services): JobRunner {
  let r = runners.get(services);
  if (!r) {
    const runner = new JobRunner(services, screeningRuntime(services));
    runners.set(services, runner);
    const close = services.close.bind(services);
    services.close = async () => {
      await runner.stop();
      await close();
    };
    r = runner;
  }
  return r;
}

/**
 * Start screening in a serving process: resume jobs left by a restart and
 * pick up jobs queued by other processes. Call once after `openServices`
 * (`fabgate serve`); the HTTP routes also start it on their first use.
 */
export function startScreening(services: Services): JobRunner {
  const r = screeningJobs(services);
  r.start();
  return r;
}
