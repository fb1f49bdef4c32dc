/**
 * One enrolled agent opened from its state directory: configuration, device
 * keys, the signed state and its outbox, and the operations that move them —
 * reserving a print before it starts, closing a job with its usage record,
 * and recovering a job that a crash or a kill interrupted.
 */
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { verifyRevocationList } from '../tickets/revocations.js';
import { issuerPublicKey, type TrustedIssuer } from '../tickets/ticket.js';
import { signUsageRecord, usageRecordHash, verifyUsageRecord, type SignedUsageRecord, type UsageRecord } from '../tickets/usage-record.js';
import { paths, readApiToken, readConfig, type AgentConfig } from './config.js';
import { acquireLock } from './durable.js';
import { AgentError } from './errors.js';
import { loadDeviceKeys, type DeviceKeyInfo } from './keys.js';
import { CommandCounter } from './monotonic.js';
import { FabgateClient } from './server-client.js';
import { AgentStore, type AgentState, type OpenJob } from './state.js';
import { isoTime, type RecordViolation, type UsageOutcome } from './usage.js';

export interface AgentContext {
  /** The state directory. */
  dir: string;
  /** The clock (tests pass their own). */
  now?: () => Date;
  /** Progress lines for people (stderr in the CLI). */
  log?: (line: string) => void;
  /** How long to wait for the Fabgate server (ms). */
  serverTimeoutMs?: number;
}

export class Agent {
  private constructor(
    readonly ctx: AgentContext,
    readonly config: AgentConfig,
    readonly keys: DeviceKeyInfo,
    readonly store: AgentStore,
  ) {}

  /** Open the agent in `ctx.dir` (the caller holds the lock: see `withAgent`). */
  static async open(ctx: AgentContext): Promise<Agent> {
    const config = await readConfig(ctx.dir);
    const keys = await loadDeviceKeys(ctx.dir);
    if (keys.contentKeySha256 !== config.content_key_sha256 || keys.signingKeySha256 !== config.signing_key_sha256) {
      throw new AgentError('AGENT_STATE_INVALID', 'the key files are not the keys this device enrolled with');
    }
    const store = await AgentStore.open(ctx.dir, {
      device: config.device_id,
      signingKey: keys.signingKey,
      ...(config.monotonic_counter ? { counter: new CommandCounter(config.monotonic_counter) } : {}),
    });
    return new Agent(ctx, config, keys, store);
  }

  now(): Date {
    return this.ctx.now?.() ?? new Date();
  }

  log(line: string): void {
    this.ctx.log?.(line);
  }

  get state(): AgentState {
    return this.store.state;
  }

  /** The trusted ticket issuers (also the keys that sign usage acknowledgements). */
  issuers(): TrustedIssuer[] {
    return this.config.issuer_keys.map((k) => ({ kid: k.kid, publicKey: issuerPublicKey(k.jwk) }));
  }

  /** Ticket ids on the revocation list held, re-verified (the state file is not trusted for it). */
  revoked(): Set<string> {
    const held = this.state.revocations;
    if (!held) return new Set();
    return new Set(verifyRevocationList(held.jws, this.issuers()).revoked.map((r) => r.jti));
  }

  async client(signal?: AbortSignal): Promise<FabgateClient> {
    return new FabgateClient(this.config.server, {
      token: await readApiToken(this.ctx.dir),
      timeoutMs: this.ctx.serverTimeoutMs ?? 30_000,
      ...(signal ? { signal } : {}),
    });
  }

  /** Refuse a host clock earlier than a time already seen (beyond the tolerance). */
  assertClock(): void {
    const now = Math.floor(this.now().getTime() / 1000);
    const floor = this.state.time_floor;
    if (now + this.config.clock_tolerance_seconds < floor) {
      throw new AgentError('AGENT_CLOCK_REGRESSED', `the clock reads ${new Date(now * 1000).toISOString()}, but ${new Date(floor * 1000).toISOString()} has already been seen`, {
        now,
        floor,
      });
    }
  }

  /**
   * Reserve the next usage-record number for a job, and for a print its
   * counter value, in one durable write. For a print this happens before any
   * G-code is decrypted: a crash from here on ends in a `failed` record, never
   * in a print that was not counted.
   */
  async reserve(job: Omit<OpenJob, 'seq' | 'started_at'>, ticket?: { prints: number; exp: number }): Promise<OpenJob> {
    const s = this.state;
    if (s.open_job) throw new AgentError('AGENT_STATE_INVALID', `job ${s.open_job.seq} is still open`);
    const now = this.now();
    const open: OpenJob = { ...job, seq: s.chain.seq + 1, started_at: isoTime(now) };
    const nowS = Math.floor(now.getTime() / 1000);
    await this.store.commit(job.kind === 'print' ? `reserve print ${job.counter} of ${job.ticket}` : `record refusal of ${job.ticket}`, (d) => {
      if (job.kind === 'print') {
        if (!ticket) throw new Error('a print reservation needs the ticket limits');
        d.counters[job.ticket] = { used: job.counter, prints: ticket.prints, exp: ticket.exp };
      }
      // Counters of tickets long expired can never be used again: drop them.
      for (const [jti, c] of Object.entries(d.counters)) if (c.exp + this.config.clock_tolerance_seconds + 86_400 < nowS) delete d.counters[jti];
      d.open_job = open;
      d.time_floor = Math.max(d.time_floor, nowS);
    });
    return open;
  }

  /** Note details of the open job as they become known (the uploaded file's name, the G-code hash). */
  async annotateJob(patch: Partial<Pick<OpenJob, 'remote_file' | 'gcode_sha256' | 'printer'>>): Promise<void> {
    await this.store.commit('job progress', (d) => {
      if (!d.open_job) throw new AgentError('AGENT_STATE_INVALID', 'no job is open');
      Object.assign(d.open_job, patch);
    });
  }

  /**
   * Close the open job: make its usage record, sign it, put it in the outbox
   * and move the chain head — in that order, so a crash leaves either the old
   * state (the record is redone) or a finished one.
   */
  async closeJob(outcome: UsageOutcome, detail: { violations?: RecordViolation[]; gcodeSha256?: string } = {}): Promise<SignedUsageRecord> {
    const s = this.state;
    const job = s.open_job;
    if (!job) throw new AgentError('AGENT_STATE_INVALID', 'no job is open');
    const ended = isoTime(this.now());
    const gcode = detail.gcodeSha256 ?? job.gcode_sha256;
    const record: UsageRecord = {
      v: 1,
      device: this.config.device_id,
      seq: job.seq,
      prev: s.chain.hash,
      ticket: job.ticket,
      design: job.design,
      counter: job.counter,
      started_at: job.started_at,
      // A clock that stepped back during the job must not make the record end before it began.
      ended_at: ended < job.started_at ? job.started_at : ended,
      outcome,
      ...(gcode ? { gcode_sha256: gcode } : {}),
      violations: detail.violations ?? [],
    };
    const signed = signUsageRecord(record, this.keys.signingKey);
    await this.store.putOutbox(signed);
    await this.#advanceChain(signed.record, `record ${record.seq} ${outcome}`);
    return signed;
  }

  async #advanceChain(record: UsageRecord, reason: string): Promise<void> {
    const nowS = Math.floor(this.now().getTime() / 1000);
    await this.store.commit(reason, (d) => {
      d.chain = { seq: record.seq, hash: usageRecordHash(record) };
      d.open_job = null;
      d.time_floor = Math.max(d.time_floor, nowS);
    });
  }

  /**
   * Bring the outbox and the state into line after an interruption:
   * acknowledged records still in the outbox are dropped; a record written
   * but not yet committed is committed; a job open without a record (the
   * agent died mid-print) is closed as `failed` — its print stays counted.
   * Records newer than the state mean the state is an old copy.
   */
  async recover(): Promise<string[]> {
    const notes: string[] = [];
    const s = this.state;
    const seqs = await this.store.outboxSeqs();
    for (const seq of seqs.filter((q) => q <= s.acked.seq)) await this.store.dropOutbox(seq);
    for (let seq = s.acked.seq + 1; seq <= s.chain.seq; seq++) {
      if (!seqs.includes(seq)) throw new AgentError('AGENT_STATE_INVALID', `usage record ${seq} is neither acknowledged nor in the outbox`, { seq });
    }
    const newer = seqs.filter((q) => q > s.chain.seq);
    if (newer.length > 0) {
      const job = s.open_job;
      const signed = job && newer.length === 1 && newer[0] === job.seq ? await this.store.readOutbox(job.seq) : undefined;
      if (!job || !signed) {
        throw new AgentError('AGENT_ROLLBACK_DETECTED', `the outbox holds usage records (${newer.join(', ')}) newer than the state (${s.chain.seq}): the state is an older copy`, {
          reason: 'outbox_ahead',
          chain: s.chain.seq,
          outbox: newer,
        });
      }
      const checked = verifyUsageRecord(signed, createPublicKey(this.keys.signingKey), s.chain.seq === 0 ? null : s.chain);
      if (checked.record.ticket !== job.ticket || checked.record.counter !== job.counter) throw new AgentError('AGENT_STATE_INVALID', `outbox record ${job.seq} is not the open job's`);
      await this.#advanceChain(checked.record, `record ${job.seq} committed after a crash`);
      notes.push(`usage record ${job.seq} was written before an interruption and is now committed`);
      return notes;
    }
    if (s.open_job) {
      const job = s.open_job;
      await this.closeJob(job.kind === 'print' ? 'failed' : 'refused');
      notes.push(
        job.kind === 'print'
          ? `job ${job.seq} (print ${job.counter} of ticket ${job.ticket}) was interrupted; it stays counted and is recorded as failed${job.remote_file ? ` (file '${job.remote_file}' may remain on the ${job.printer} host)` : ''}`
          : `the refusal of ticket ${job.ticket} was recorded after an interruption`,
      );
    }
    return notes;
  }
}

/**
 * Run `fn` with the agent in `ctx.dir` opened and locked against other agent
 * processes, after recovering any interrupted job.
 */
export async function withAgent<T>(ctx: AgentContext, fn: (agent: Agent, notes: string[]) => Promise<T>): Promise<T> {
  await readFile(paths(ctx.dir).config).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new AgentError('AGENT_NOT_ENROLLED', `no enrolment in ${ctx.dir}: run \`fabgate-agent enrol\` first`);
    throw e;
  });
  const release = await acquireLock(ctx.dir);
  try {
    const agent = await Agent.open(ctx);
    const notes = await agent.recover();
    for (const n of notes) agent.log(n);
    return await fn(agent, notes);
  } finally {
    await release();
  }
}
