/**
 * What the agent holds, for an operator: enrolment, trust, counters, the
 * usage-record chain and its acknowledgement, the revocation list, an open
 * job, a detected rollback. Read under the lock when it is free; while a job
 * runs, the last written state is shown unverified, marked `busy`.
 */
import { readFile } from 'node:fs/promises';
import { withAgent, type AgentContext } from './agent.js';
import { PRINTER_KINDS, paths, readConfig } from './config.js';
import { AgentError } from './errors.js';
import type { AgentState } from './state.js';

export interface StatusReport {
  device_id: string;
  server: string;
  enrolled_at: string;
  content_key_sha256: string;
  signing_key_sha256: string;
  issuer_keys: string[];
  log_key: boolean;
  printers: string[];
  default_printer: string | null;
  busy: boolean;
  state: {
    version: number;
    chain_seq: number;
    acked_seq: number;
    acked_at: string | null;
    pending_records: number;
    counters: Array<{ ticket: string; used: number; prints: number; expires: string }>;
    open_job: AgentState['open_job'];
    revocations: { serial: number; next_update: string; stale: boolean } | null;
    time_floor: string;
    monotonic: number | null;
    rollback: AgentState['rollback'];
  };
  notes: string[];
}

export async function agentStatus(ctx: AgentContext): Promise<StatusReport> {
  try {
    return await withAgent(ctx, async (agent, notes) => report(ctx, agent.state, false, notes));
  } catch (e) {
    if (!(e instanceof AgentError) || e.code !== 'AGENT_BUSY') throw e;
    const file = JSON.parse(await readFile(paths(ctx.dir).state, 'utf8')) as { state: AgentState };
    return report(ctx, file.state, true, ['a job is running: the state shown is the last one written, not verified']);
  }
}

async function report(ctx: AgentContext, s: AgentState, busy: boolean, notes: string[]): Promise<StatusReport> {
  const config = await readConfig(ctx.dir);
  const now = (ctx.now?.() ?? new Date()).getTime() / 1000;
  return {
    device_id: config.device_id,
    server: config.server,
    enrolled_at: config.enrolled_at,
    content_key_sha256: config.content_key_sha256,
    signing_key_sha256: config.signing_key_sha256,
    issuer_keys: config.issuer_keys.map((k) => k.kid),
    log_key: config.log !== undefined,
    printers: PRINTER_KINDS.filter((k) => config.printers[k] !== undefined),
    default_printer: config.printers.default ?? null,
    busy,
    state: {
      version: s.version,
      chain_seq: s.chain.seq,
      acked_seq: s.acked.seq,
      acked_at: s.acked.at,
      pending_records: s.chain.seq - s.acked.seq,
      counters: Object.entries(s.counters).map(([ticket, c]) => ({ ticket, used: c.used, prints: c.prints, expires: new Date(c.exp * 1000).toISOString() })),
      open_job: s.open_job,
      revocations: s.revocations ? { serial: s.revocations.serial, next_update: new Date(s.revocations.next_update * 1000).toISOString(), stale: now > s.revocations.next_update } : null,
      time_floor: new Date(s.time_floor * 1000).toISOString(),
      monotonic: s.monotonic,
      rollback: s.rollback,
    },
    notes,
  };
}
