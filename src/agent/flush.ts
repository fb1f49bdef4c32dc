/**
 * Store and forward: send the outbox's usage records in order, move the
 * acknowledged mark on each signed acknowledgement, and fetch a newer
 * revocation list. This is also where the local chain is held against the
 * server's: when the server refuses a record and names its own head, the head
 * must be a record this device still knows with the same hash (an
 * acknowledgement that was lost on the way) — anything else means the local
 * state is older than what the device has already reported, i.e. a restored
 * copy, and the agent records a rollback and refuses to print.
 */
import { verifyRevocationList } from '../tickets/revocations.js';
import { GENESIS_HASH, usageRecordHash } from '../tickets/usage-record.js';
import { FabgateError } from '../shared/errors.js';
import { TicketError } from '../tickets/errors.js';
import { verifyUsageAck } from '../tickets/usage-ack.js';
import type { Agent } from './agent.js';
import { AgentError } from './errors.js';
import type { RollbackReport } from './state.js';

export interface FlushReport {
  /** False when the server could not be reached (nothing changed). */
  reachable: boolean;
  /** Records acknowledged in this run. */
  acknowledged: number;
  /** Records still waiting. */
  pending: number;
  /** The last record the server acknowledged. */
  acked_seq: number;
  revocations?: { serial: number; updated: boolean } | { error: { code: string; message: string } };
  /** Why sending stopped early, when it did. */
  error?: { code: string; message: string; details?: unknown };
}

export async function flushOutbox(agent: Agent, signal?: AbortSignal): Promise<FlushReport> {
  const client = await agent.client(signal);
  const report: FlushReport = { reachable: true, acknowledged: 0, pending: 0, acked_seq: agent.state.acked.seq };
  try {
    report.revocations = await refreshRevocations(agent, await client.revocations());
  } catch (e) {
    if (e instanceof AgentError && e.code === 'AGENT_SERVER_UNREACHABLE') return offline(agent, report, e);
    if (!(e instanceof FabgateError)) throw e;
    report.revocations = { error: { code: e.code, message: e.message } };
  }
  const issuers = agent.issuers();
  for (;;) {
    const s = agent.state;
    const seq = s.acked.seq + 1;
    if (seq > s.chain.seq) break;
    const signed = await agent.store.readOutbox(seq);
    if (!signed) throw new AgentError('AGENT_STATE_INVALID', `usage record ${seq} is missing from the outbox`);
    const hash = usageRecordHash(signed.record);
    let answer: Awaited<ReturnType<typeof client.sendUsageRecord>>;
    try {
      answer = await client.sendUsageRecord(signed);
    } catch (e) {
      if (e instanceof AgentError && e.code === 'AGENT_SERVER_UNREACHABLE') return offline(agent, report, e);
      throw e;
    }
    // Accepted — or refused as a replay of the very record the server holds, with its acknowledgement again.
    const acknowledgement = answer.accepted ? answer.acknowledgement : answer.code === 'USAGE_RECORD_REPLAYED' ? answer.acknowledgement : undefined;
    if (acknowledgement !== undefined) {
      const ack = verifyUsageAck(acknowledgement, issuers, { device: agent.config.device_id, seq, hash });
      await agent.store.commit(`acknowledged ${seq}`, (d) => {
        d.acked = { seq, hash, at: new Date(ack.received_at * 1000).toISOString() };
        d.time_floor = Math.max(d.time_floor, ack.received_at); // the server's signed clock is a floor for ours
      });
      await agent.store.dropOutbox(seq);
      report.acknowledged++;
      continue;
    }
    if (answer.accepted) throw new TicketError('USAGE_ACK_INVALID', 'an accepted record came without an acknowledgement');
    // Refused. Does the server's head lie on our chain?
    const head = answer.head;
    if (head && head.seq >= s.acked.seq && head.seq <= s.chain.seq && head.seq !== seq - 1 && (await localHash(agent, head.seq)) === head.hash) {
      // The server has our records up to head.seq: their acknowledgements were lost on the way.
      await agent.store.commit(`server holds ${head.seq}`, (d) => {
        d.acked = { seq: head.seq, hash: head.hash, at: null };
      });
      for (let q = seq; q <= head.seq; q++) await agent.store.dropOutbox(q);
      continue;
    }
    if (head && head.seq === seq - 1 && head.hash === (await localHash(agent, head.seq)) && answer.code === 'USAGE_RECORD_INVALID') {
      // Same chain, but the server will not take this record (a key it does not know for us?): not a rollback.
      report.error = { code: answer.code, message: `the server refused usage record ${seq}: ${answer.message}` };
      break;
    }
    if (!head && !['USAGE_RECORD_REPLAYED', 'USAGE_RECORD_GAP', 'USAGE_RECORD_INVALID'].includes(answer.code)) {
      report.error = { code: answer.code, message: `the server refused usage record ${seq}: ${answer.message}` };
      break;
    }
    const rollback: RollbackReport = {
      detected_at: agent.now().toISOString(),
      reason: !head
        ? `the server refused record ${seq} with ${answer.code} without naming its head`
        : head.seq < s.acked.seq
          ? `the server's last record is ${head.seq}, behind the ${s.acked.seq} it acknowledged to this device: the chains no longer agree`
          : `the server's last record is ${head.seq} (${head.hash.slice(0, 12)}…), which is not on this device's chain (acknowledged ${s.acked.seq}, head ${s.chain.seq}): the local state is an older copy`,
      local: { acked: { seq: s.acked.seq, hash: s.acked.hash }, chain: s.chain, record: { seq, hash } },
      server: { code: answer.code, message: answer.message, ...(head ? { head } : {}) },
    };
    await agent.store.commit('rollback detected', (d) => {
      d.rollback = rollback;
    });
    throw new AgentError('AGENT_ROLLBACK_DETECTED', rollback.reason, rollback);
  }
  const s = agent.state;
  return { ...report, pending: s.chain.seq - s.acked.seq, acked_seq: s.acked.seq };
}

function offline(agent: Agent, report: FlushReport, e: AgentError): FlushReport {
  agent.log(`server not reachable (${e.message}); records stay in the outbox`);
  const s = agent.state;
  return { ...report, reachable: false, pending: s.chain.seq - s.acked.seq, acked_seq: s.acked.seq, error: { code: e.code, message: e.message } };
}

/** The hash of local record `seq`, if this device still knows it. */
async function localHash(agent: Agent, seq: number): Promise<string | undefined> {
  const s = agent.state;
  if (seq === 0) return GENESIS_HASH;
  if (seq === s.acked.seq) return s.acked.hash;
  if (seq > s.acked.seq && seq <= s.chain.seq) {
    const signed = await agent.store.readOutbox(seq);
    return signed ? usageRecordHash(signed.record) : undefined;
  }
  return undefined;
}

/** Keep the newer of the held list and the server's; an older one from the server is refused (§5). */
async function refreshRevocations(agent: Agent, jws: string | null): Promise<FlushReport['revocations']> {
  const held = agent.state.revocations;
  if (jws === null) return held ? { serial: held.serial, updated: false } : undefined;
  const list = verifyRevocationList(jws, agent.issuers(), held?.serial ?? 0);
  if (held && list.serial === held.serial) return { serial: held.serial, updated: false };
  await agent.store.commit(`revocation list ${list.serial}`, (d) => {
    d.revocations = { serial: list.serial, next_update: list.next_update, jws };
  });
  return { serial: list.serial, updated: true };
}
