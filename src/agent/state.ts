/**
 * The agent's durable state: print counters per ticket, the head of its
 * usage-record hash chain, what the server last acknowledged, the revocation
 * list held, and the job in progress. Three mechanisms make it hard to roll
 * back (README.md, "Anti-rollback", says what they do not cover):
 *
 * 1. Every version is signed with the device key and names the SHA-256 of the
 *    version before it (`prev`); a journal file keeps that chain. A state file
 *    that is not the journal's last entry (an old copy put back) is refused.
 * 2. Every counter increment belongs to a usage record (its `seq` is reserved
 *    when the print starts), and usage records form a hash chain the server
 *    verifies and acknowledges with a signature. On the next contact, the
 *    server's head must be one the local chain knows, or the agent reports a
 *    rollback and refuses to print (flush.ts).
 * 3. Optionally, a hardware monotonic counter (monotonic.ts) is stepped with
 *    every version, so an older state is caught on the device, offline.
 *
 * Writes are durable (durable.ts): the counter is incremented and on disk
 * before any G-code leaves the agent.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJsonBytes } from '../ledger/core/canonical-json.js';
import { GENESIS_HASH, type SignedUsageRecord } from '../tickets/usage-record.js';
import { paths } from './config.js';
import { PRIVATE_DIR, appendDurable, unlinkDurable, writeFileDurable } from './durable.js';
import { AgentError } from './errors.js';
import type { MonotonicCounter } from './monotonic.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const ChainPointSchema = z.strictObject({ seq: z.number().int().min(0), hash: hex64 });

const OpenJobSchema = z.strictObject({
  /** The usage-record sequence number reserved for this job. */
  seq: z.number().int().min(1),
  /** `print`: a counter value was consumed; `refusal`: a refused ticket is being recorded. */
  kind: z.enum(['print', 'refusal']),
  ticket: z.string().min(1).max(128),
  design: hex64,
  counter: z.number().int().min(1),
  started_at: z.string(),
  printer: z.string().max(32).optional(),
  /** The file name uploaded to the print host, so a recovered job can be cleaned up. */
  remote_file: z.string().max(255).optional(),
  gcode_sha256: hex64.optional(),
});
export type OpenJob = z.infer<typeof OpenJobSchema>;

const RollbackSchema = z.strictObject({
  detected_at: z.string(),
  reason: z.string().max(512),
  local: z.unknown(),
  server: z.unknown(),
});
export type RollbackReport = z.infer<typeof RollbackSchema>;

export const AgentStateSchema = z.strictObject({
  v: z.literal(1),
  device: z.string().min(1).max(128),
  /** +1 with every write. */
  version: z.number().int().min(1),
  /** SHA-256 of the previous state file's bytes (64 zeros for the first). */
  prev: hex64,
  /** The last usage record made (seq 0 and the genesis hash before any). */
  chain: ChainPointSchema,
  /** The last usage record the server acknowledged with a valid signature. */
  acked: ChainPointSchema.extend({ at: z.string().nullable() }),
  /** Prints used per ticket id; `exp` lets expired entries be dropped. */
  counters: z.record(z.string(), z.strictObject({ used: z.number().int().min(0), prints: z.number().int().min(1), exp: z.number().int() })),
  open_job: OpenJobSchema.nullable(),
  /** The newest verified revocation list held (TICKET-FORMAT.md §5). */
  revocations: z.strictObject({ serial: z.number().int().min(1), next_update: z.number().int(), jws: z.string() }).nullable(),
  /** Unix seconds no clock reading may fall below (minus the tolerance): the latest time seen, locally or in a server acknowledgement. */
  time_floor: z.number().int().min(0),
  /** The hardware counter value this version was written at, when one is configured. */
  monotonic: z.number().int().min(0).nullable(),
  /** Set when a rollback was detected; jobs are refused until the device is enrolled again. */
  rollback: RollbackSchema.nullable(),
});
export type AgentState = z.infer<typeof AgentStateSchema>;

const StateFileSchema = z.strictObject({ state: z.unknown(), signature: z.string().max(200) });

const sha256hex = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

export interface StoreKeys {
  device: string;
  /** The device's Ed25519 private key: signs every state version. */
  signingKey: KeyObject;
  counter?: MonotonicCounter;
}

/** The state directory's mutable part: state.json, its journal, and the usage-record outbox. */
export class AgentStore {
  #state: AgentState;
  #fileHash: string;
  /** The hardware counter's value when a counter is first bound to an existing state. */
  #counterBase: number | null = null;

  private constructor(
    private readonly dir: string,
    private readonly keys: StoreKeys,
    state: AgentState,
    fileHash: string,
  ) {
    this.#state = state;
    this.#fileHash = fileHash;
  }

  /** The current state (a copy: change it only through `commit`). */
  get state(): AgentState {
    return structuredClone(this.#state);
  }

  /** Write the first state of a fresh enrolment (an existing journal is replaced by the caller's re-enrolment). */
  static async create(dir: string, keys: StoreKeys, now: Date): Promise<AgentStore> {
    const p = paths(dir);
    await mkdir(p.outbox, { recursive: true, mode: PRIVATE_DIR });
    const state: AgentState = {
      v: 1,
      device: keys.device,
      version: 1,
      prev: GENESIS_HASH,
      chain: { seq: 0, hash: GENESIS_HASH },
      acked: { seq: 0, hash: GENESIS_HASH, at: null },
      counters: {},
      open_job: null,
      revocations: null,
      time_floor: Math.floor(now.getTime() / 1000),
      monotonic: keys.counter ? await keys.counter.read() : null,
      rollback: null,
    };
    const bytes = signedStateFile(state, keys.signingKey);
    await writeFileDurable(p.state, bytes);
    await writeFileDurable(p.journal, journalLine(state, sha256hex(bytes), 'enrolled'));
    return new AgentStore(dir, keys, state, sha256hex(bytes));
  }

  /** Load, verify and (after a crash between two steps of a write) repair the state. */
  static async open(dir: string, keys: StoreKeys): Promise<AgentStore> {
    const p = paths(dir);
    const bytes = await readFile(p.state).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new AgentError('AGENT_NOT_ENROLLED', `no state in ${dir}: enrol the device first`);
      throw e;
    });
    const state = parseStateFile(bytes, keys.signingKey);
    if (state.device !== keys.device) throw new AgentError('AGENT_STATE_INVALID', `the state belongs to device ${state.device}, not ${keys.device}`);
    const fileHash = sha256hex(bytes);
    await checkJournal(p.journal, state, fileHash);
    const store = new AgentStore(dir, keys, state, fileHash);
    if (keys.counter) await store.#checkCounter(keys.counter);
    return store;
  }

  /**
   * Write a new version: `mutate` edits a draft, which is then signed and made
   * durable (state file, journal, then the hardware counter) before this returns.
   */
  async commit(reason: string, mutate: (draft: AgentState) => void): Promise<AgentState> {
    const draft = structuredClone(this.#state);
    mutate(draft);
    draft.version = this.#state.version + 1;
    draft.prev = this.#fileHash;
    if (this.keys.counter) draft.monotonic = (this.#state.monotonic ?? this.#counterBase ?? 0) + 1;
    const parsed = AgentStateSchema.safeParse(draft);
    if (!parsed.success) throw new AgentError('AGENT_STATE_INVALID', `refusing to write an invalid state: ${parsed.error.issues[0]?.message}`);
    const bytes = signedStateFile(parsed.data, this.keys.signingKey);
    const hash = sha256hex(bytes);
    const p = paths(this.dir);
    // Order matters for recovery: the state first, then its journal line (a crash
    // in between leaves a state one ahead of the journal, which open() repairs),
    // then the hardware counter (a crash before it leaves the counter one behind,
    // which #checkCounter repairs). An older state never looks like either.
    await writeFileDurable(p.state, bytes);
    await appendDurable(p.journal, journalLine(parsed.data, hash, reason));
    if (this.keys.counter) await this.keys.counter.increment();
    this.#state = parsed.data;
    this.#fileHash = hash;
    return this.state;
  }

  async #checkCounter(counter: MonotonicCounter): Promise<void> {
    const value = await counter.read();
    const bound = this.#state.monotonic;
    if (bound === null) {
      // A counter configured after enrolment: bind the state to it from now on.
      this.#counterBase = value;
      await this.commit('monotonic counter bound', () => undefined);
      return;
    }
    if (value === bound) return;
    if (value === bound - 1) {
      await counter.increment(); // the write finished, the step did not
      return;
    }
    throw new AgentError(
      'AGENT_ROLLBACK_DETECTED',
      value > bound
        ? `the hardware counter is at ${value} but the state was written at ${bound}: this is an older copy of the state`
        : `the hardware counter is at ${value}, behind the state's ${bound}: the counter was reset or replaced`,
      { reason: value > bound ? 'monotonic_counter_ahead' : 'monotonic_counter_behind', counter: value, state: bound },
    );
  }

  // --- the outbox: signed usage records waiting for the server's acknowledgement ---

  #outboxPath(seq: number): string {
    return join(paths(this.dir).outbox, `${String(seq).padStart(10, '0')}.json`);
  }

  async putOutbox(signed: SignedUsageRecord): Promise<void> {
    await mkdir(paths(this.dir).outbox, { recursive: true, mode: PRIVATE_DIR });
    await writeFileDurable(this.#outboxPath(signed.record.seq), `${JSON.stringify(signed)}\n`);
  }

  async readOutbox(seq: number): Promise<SignedUsageRecord | undefined> {
    const text = await readFile(this.#outboxPath(seq), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as SignedUsageRecord;
    } catch {
      throw new AgentError('AGENT_STATE_INVALID', `outbox record ${seq} is not JSON`);
    }
  }

  /** Sequence numbers in the outbox, ascending. */
  async outboxSeqs(): Promise<number[]> {
    const names = await readdir(paths(this.dir).outbox).catch(() => [] as string[]);
    return names
      .filter((n) => /^\d{10}\.json$/.test(n))
      .map((n) => Number(n.slice(0, 10)))
      .sort((a, b) => a - b);
  }

  async dropOutbox(seq: number): Promise<void> {
    await unlinkDurable(this.#outboxPath(seq)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

function signedStateFile(state: AgentState, signingKey: KeyObject): Buffer {
  const signature = sign(null, canonicalJsonBytes(state), signingKey).toString('base64');
  return Buffer.from(`${JSON.stringify({ state, signature }, null, 1)}\n`);
}

function parseStateFile(bytes: Buffer, signingKey: KeyObject): AgentState {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AgentError('AGENT_STATE_INVALID', 'state.json is not JSON');
  }
  const file = StateFileSchema.safeParse(json);
  const parsed = file.success ? AgentStateSchema.safeParse(file.data.state) : undefined;
  if (!file.success || !parsed?.success) throw new AgentError('AGENT_STATE_INVALID', 'state.json does not have the state format');
  const signature = Buffer.from(file.data.signature, 'base64');
  // An edited state (a counter lowered by hand) fails here. A whole old copy does not: the journal catches that.
  if (signature.length !== 64 || !verify(null, canonicalJsonBytes(parsed.data), createPublicKey(signingKey), signature)) {
    throw new AgentError('AGENT_STATE_INVALID', 'state.json is not signed by this device: it was edited');
  }
  return parsed.data;
}

function journalLine(state: AgentState, fileHash: string, reason: string): string {
  return `${state.version} ${fileHash} ${state.prev} ${reason.replace(/\s+/g, '_').slice(0, 80)}\n`;
}

interface JournalEntry {
  version: number;
  hash: string;
  prev: string;
}

/**
 * The journal is the chain of every state version: each line names the hash
 * of its state file and of the one before. The state file must be the last
 * entry — or the one just after it, when a crash fell between the two writes.
 */
async function checkJournal(path: string, state: AgentState, fileHash: string): Promise<void> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new AgentError('AGENT_STATE_INVALID', 'the state journal is missing');
    throw e;
  });
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [version, hash, prev] = line.split(' ');
    if (!/^\d+$/.test(version ?? '') || !/^[0-9a-f]{64}$/.test(hash ?? '') || !/^[0-9a-f]{64}$/.test(prev ?? '')) {
      throw new AgentError('AGENT_STATE_INVALID', 'the state journal has a malformed line');
    }
    const entry = { version: Number(version), hash: hash!, prev: prev! };
    const before = entries.at(-1);
    if (before && (entry.version !== before.version + 1 || entry.prev !== before.hash)) throw new AgentError('AGENT_STATE_INVALID', `the state journal is broken at version ${entry.version}`);
    entries.push(entry);
  }
  const last = entries.at(-1);
  if (!last) throw new AgentError('AGENT_STATE_INVALID', 'the state journal is empty');
  if (last.hash === fileHash && last.version === state.version) return;
  if (last.hash === state.prev && last.version === state.version - 1) {
    await appendDurable(path, journalLine(state, fileHash, 'journal_repaired_after_crash'));
    return;
  }
  throw new AgentError('AGENT_ROLLBACK_DETECTED', `state.json (version ${state.version}) is not the latest state the journal records (version ${last.version}): an older copy was put back`, {
    reason: 'journal',
    state_version: state.version,
    journal_version: last.version,
  });
}
