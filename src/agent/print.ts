/**
 * A print job, from files to usage record:
 *
 *  1. report to the server first when it is reachable (records, revocations);
 *     refuse when a rollback was detected or too many records wait;
 *  2. open the design from the private spool and learn its hash;
 *  3. verify the ticket offline (TICKET-FORMAT.md §4); a refusal of an
 *     authentic ticket is itself recorded;
 *  4. reserve the print: counter + 1 and an open job, durably, before any
 *     G-code is decrypted;
 *  5. print — upload hosts get a file only after the whole G-code passed the
 *     envelope, and only the gated lines; a serial printer gets each line as
 *     it passes, and the cancel sequence at the first that does not;
 *  6. close the job with its signed usage record, and report again.
 */
import { readFile, stat } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import type { CheckResult, GcodeStats } from '../gcode/checker.js';
import type { Envelope } from '../gcode/envelope.js';
import { FabgateError } from '../shared/errors.js';
import { TicketError } from '../tickets/errors.js';
import { parseTicketBundle, type TicketBundle } from '../tickets/ticket.js';
import { usageRecordHash } from '../tickets/usage-record.js';
import { withAgent, type Agent, type AgentContext } from './agent.js';
import { PRINTER_KINDS, type AgentConfig, type PrinterKind } from './config.js';
import { openDesign, type DesignSource } from './design.js';
import { AgentError } from './errors.js';
import { flushOutbox, type FlushReport } from './flush.js';
import { checkWhole, gatedStream, streamLines } from './gcode-passes.js';
import { MoonrakerHost } from './printers/moonraker.js';
import type { WebSocketConstructor } from './printers/jsonrpc-socket.js';
import { OctoPrintHost } from './printers/octoprint.js';
import { SerialPrinter } from './printers/serial.js';
import type { LinePrinter, UploadHost } from './printers/types.js';
import { toRecordViolations, type RecordViolation, type UsageOutcome } from './usage.js';
import { authenticRefusal, checkTicket } from './verify.js';

export interface PrintRequest {
  /** The protected design: a `.fgenv` envelope or a 3MF package. */
  design: string;
  /** The ticket bundle file (TICKET-FORMAT.md §7), or a file holding the bare JWS. */
  ticket: string;
  printer?: PrinterKind;
  /** Which G-code part of a 3MF package. */
  part?: string;
  /** Do not contact the server before and after the job. */
  offline?: boolean;
  /** For serial printers: check the whole file before sending the first line (default true). */
  precheck?: boolean;
  /** Aborting cancels the job through the printer's cancel path. */
  signal?: AbortSignal;
  /** Printer settings over the configured ones (tests, one-off runs). */
  printerOverrides?: Partial<AgentConfig['printers']>;
  /** A WebSocket client for Moonraker when the runtime has none (tests). */
  webSocket?: WebSocketConstructor;
}

export interface PrintReport {
  outcome: UsageOutcome;
  ticket: string;
  counter: number;
  prints: number;
  design: string;
  printer: PrinterKind;
  /** The usage record made for the job. */
  record: { seq: number; hash: string };
  violations: RecordViolation[];
  stats?: GcodeStats;
  gcode_sha256?: string;
  log: 'verified' | 'absent' | 'unchecked';
  /** The path of the file on the print host (upload hosts). */
  remote_file?: string;
  /** Lines the printer acknowledged after the stop (serial). */
  cancel_sent?: string[];
  lines_sent?: number;
  /** Why the job did not complete, when a printer or the G-code failed. */
  error?: { code: string; message: string; details?: unknown };
  flush_before?: FlushReport;
  flush_after?: FlushReport;
  notes: string[];
}

export async function printJob(ctx: AgentContext, request: PrintRequest): Promise<PrintReport> {
  return withAgent(ctx, async (agent, notes) => {
    const flushBefore = request.offline ? undefined : await flushOutbox(agent, request.signal);
    const s = agent.state;
    if (s.rollback) throw new AgentError('AGENT_ROLLBACK_DETECTED', `a rollback was detected at ${s.rollback.detected_at}: ${s.rollback.reason}; enrol the device again`, s.rollback);
    const waiting = s.chain.seq - s.acked.seq;
    if (waiting >= agent.config.max_unacknowledged) {
      throw new AgentError('AGENT_OFFLINE_LIMIT', `${waiting} usage records wait for the server (limit ${agent.config.max_unacknowledged}): connect and run \`fabgate-agent flush\``, { waiting });
    }
    const bundle = await readBundle(request.ticket);
    const kind = request.printer ?? agent.config.printers.default ?? onlyConfiguredPrinter(agent.config);
    const printers = { ...agent.config.printers, ...request.printerOverrides };
    const trustedSigners = agent.config.design_signers.map((pem) => createPublicKey(pem));
    const source = await openDesign(request.design, {
      stateDir: ctx.dir,
      deviceId: agent.config.device_id,
      contentKey: agent.keys.contentKey,
      contentKeySha256: agent.keys.contentKeySha256,
      ...(request.part ? { part: request.part } : {}),
      trustedSigners,
    });
    try {
      let check: ReturnType<typeof checkTicket>;
      try {
        check = checkTicket(agent, bundle, source.designHash);
      } catch (e) {
        if ((await recordRefusal(agent, e, bundle, kind)) && !request.offline) await flushOutbox(agent, request.signal).catch((f: unknown) => flushFailure(agent, f));
        throw e;
      }
      const claims = check.verified.claims;
      // Build the printer before reserving, so a configuration error costs no print.
      const printer = makePrinter(kind, printers, request.webSocket);
      await agent.reserve({ kind: 'print', ticket: claims.jti, design: source.designHash, counter: check.nextCounter, printer: kind }, { prints: claims.prints, exp: claims.exp });
      agent.log(`print ${check.nextCounter} of ${claims.prints} on ticket ${claims.jti}: reserved`);
      const run = await runOnPrinter(agent, printer, source, claims.envelope, request);
      const signed = await agent.closeJob(run.outcome, { violations: run.violations, ...(run.sha256 ? { gcodeSha256: run.sha256 } : {}) });
      agent.log(`job ${signed.record.seq}: ${run.outcome}`);
      // Reporting after the job never undoes it: a failure here (a rollback found) is reported with the job.
      const flushAfter = request.offline ? undefined : await flushOutbox(agent, undefined).catch((e: unknown) => flushFailure(agent, e));
      return {
        outcome: run.outcome,
        ticket: claims.jti,
        counter: check.nextCounter,
        prints: claims.prints,
        design: source.designHash,
        printer: kind,
        record: { seq: signed.record.seq, hash: usageRecordHash(signed.record) },
        violations: run.violations,
        ...(run.stats ? { stats: run.stats } : {}),
        ...(run.sha256 ? { gcode_sha256: run.sha256 } : {}),
        log: check.log,
        ...(run.remote ? { remote_file: run.remote } : {}),
        ...(run.cancelSent ? { cancel_sent: run.cancelSent } : {}),
        ...(run.linesSent !== undefined ? { lines_sent: run.linesSent } : {}),
        ...(run.error ? { error: run.error.toJSON() } : {}),
        ...(flushBefore ? { flush_before: flushBefore } : {}),
        ...(flushAfter ? { flush_after: flushAfter } : {}),
        notes,
      };
    } finally {
      await source.close();
    }
  });
}

function flushFailure(agent: Agent, e: unknown): FlushReport {
  if (!(e instanceof FabgateError)) throw e;
  const s = agent.state;
  agent.log(`reporting after the job failed: ${e.code} ${e.message}`);
  return { reachable: true, acknowledged: 0, pending: s.chain.seq - s.acked.seq, acked_seq: s.acked.seq, error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } };
}

/** A bundle is a 64 KiB ticket and a receipt of at most 2 MiB (TicketBundleSchema): anything larger is not read. */
const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

async function readBundle(path: string): Promise<TicketBundle> {
  const size = await stat(path).then(
    (s) => s.size,
    (e: NodeJS.ErrnoException) => {
      throw new AgentError('AGENT_CONFIG_INVALID', `cannot read the ticket ${path}: ${e.code ?? e.message}`);
    },
  );
  if (size > MAX_BUNDLE_BYTES) throw new TicketError('TICKET_TOO_LARGE', `the ticket bundle is ${size} bytes; at most ${MAX_BUNDLE_BYTES} are read`);
  const text = (await readFile(path, 'utf8')).trim();
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return parseTicketBundle(undefined);
    }
    return parseTicketBundle(json);
  }
  // A bare JWS: a bundle without a log proof.
  return parseTicketBundle({ format: 'fabgate.ticket-bundle.v1', ticket: text });
}

/** Record the refusal of an authentic ticket (its id is signed); forged tickets leave no record. */
async function recordRefusal(agent: Agent, e: unknown, bundle: TicketBundle, printer: PrinterKind): Promise<boolean> {
  const refusal = authenticRefusal(e, bundle.ticket);
  if (!refusal) return false;
  const used = agent.state.counters[refusal.jti]?.used ?? 0;
  await agent.reserve({ kind: 'refusal', ticket: refusal.jti, design: refusal.design, counter: used + 1, printer });
  const code = e instanceof FabgateError ? e.code : 'TICKET_REFUSED';
  await agent.closeJob('refused', { violations: [{ line: 1, rule: 'ticket', value: code, limit: '' }] });
  agent.log(`ticket ${refusal.jti} refused (${code}); the refusal is recorded`);
  return true;
}

function onlyConfiguredPrinter(config: AgentConfig): PrinterKind {
  const configured = PRINTER_KINDS.filter((k) => config.printers[k] !== undefined);
  if (configured.length === 1) return configured[0]!;
  throw new AgentError('AGENT_CONFIG_INVALID', configured.length === 0 ? 'no printer is configured: run `fabgate-agent printer …`' : 'several printers are configured: choose one with --printer');
}

function makePrinter(kind: PrinterKind, printers: AgentConfig['printers'], webSocket?: WebSocketConstructor): UploadHost | LinePrinter {
  const hostOptions = { pollIntervalMs: printers.poll_interval_ms };
  switch (kind) {
    case 'octoprint':
      if (!printers.octoprint) throw new AgentError('AGENT_CONFIG_INVALID', 'OctoPrint is not configured: run `fabgate-agent printer octoprint --url … --api-key …`');
      return new OctoPrintHost(printers.octoprint, hostOptions);
    case 'moonraker':
      if (!printers.moonraker) throw new AgentError('AGENT_CONFIG_INVALID', 'Moonraker is not configured: run `fabgate-agent printer moonraker --url …`');
      return new MoonrakerHost(printers.moonraker, { ...hostOptions, ...(webSocket ? { WebSocket: webSocket } : {}) });
    case 'serial':
      if (!printers.serial) throw new AgentError('AGENT_CONFIG_INVALID', 'no serial printer is configured: run `fabgate-agent printer serial --device …`');
      return new SerialPrinter(printers.serial);
  }
}

interface RunResult {
  outcome: UsageOutcome;
  violations: RecordViolation[];
  sha256?: string;
  stats?: GcodeStats;
  remote?: string;
  cancelSent?: string[];
  linesSent?: number;
  error?: FabgateError;
}

async function runOnPrinter(agent: Agent, printer: UploadHost | LinePrinter, source: DesignSource, envelope: Envelope, request: PrintRequest): Promise<RunResult> {
  // The whole-file check: always for upload hosts, by default for serial printers too.
  let whole: Awaited<ReturnType<typeof checkWhole>> | undefined;
  if (printer.kind !== 'serial' || request.precheck !== false) {
    try {
      whole = await checkWhole(source.openGcode(), envelope);
    } catch (e) {
      return unreadable(e);
    }
    if (!whole.result.ok) {
      agent.log(`the G-code breaks the ticket's envelope (${whole.result.stats.violation_count} violations): nothing was sent to the printer`);
      return { outcome: 'violation', violations: toRecordViolations(whole.result.violations), sha256: whole.result.sha256, stats: whole.result.stats };
    }
    await agent.annotateJob({ gcode_sha256: whole.result.sha256 });
  }
  if (printer.kind === 'serial') return runSerial(agent, printer, source, envelope, request, whole?.result);
  return runUpload(agent, printer, source, envelope, request, whole!);
}

function unreadable(e: unknown): RunResult {
  if (!(e instanceof FabgateError)) throw e;
  // G-code the checker cannot read (binary, an overlong line, corrupt .bgcode) is never printed.
  if (e.code.startsWith('GCODE_')) return { outcome: 'violation', violations: [{ line: 1, rule: 'unreadable_gcode', value: e.code, limit: '' }], error: e };
  return { outcome: 'failed', violations: [], error: e };
}

async function runSerial(agent: Agent, printer: LinePrinter, source: DesignSource, envelope: Envelope, request: PrintRequest, checked?: CheckResult): Promise<RunResult> {
  try {
    await printer.open();
  } catch (e) {
    await printer.close();
    if (e instanceof FabgateError) return { outcome: 'failed', violations: [], error: e, ...(checked ? { sha256: checked.sha256, stats: checked.stats } : {}) };
    throw e;
  }
  try {
    const streamed = await streamLines(source.openGcode(), envelope, printer, request.signal);
    if (streamed.outcome === 'violation') agent.log(`line ${streamed.violations[0]?.line} breaks ${streamed.violations[0]?.rule}: the job was stopped after ${streamed.linesSent} lines`);
    return {
      outcome: streamed.outcome,
      violations: toRecordViolations(streamed.violations),
      ...(streamed.sha256 ? { sha256: streamed.sha256 } : {}),
      ...(streamed.result ? { stats: streamed.result.stats } : checked ? { stats: checked.stats } : {}),
      linesSent: streamed.linesSent,
      ...(streamed.cancelled ? { cancelSent: streamed.cancelled } : {}),
      ...(streamed.error ? { error: streamed.error } : {}),
    };
  } finally {
    await printer.close();
  }
}

async function runUpload(agent: Agent, host: UploadHost, source: DesignSource, envelope: Envelope, request: PrintRequest, whole: Awaited<ReturnType<typeof checkWhole>>): Promise<RunResult> {
  const base = { violations: [] as RecordViolation[], sha256: whole.result.sha256, stats: whole.result.stats };
  const name = uploadName(source.gcodeName, agent.state.open_job!.ticket, agent.state.open_job!.counter);
  let remote: string | undefined;
  try {
    remote = await host.upload({ name, length: whole.gated.length, sha256: whole.gated.sha256, open: () => gatedStream(source.openGcode(), envelope, whole.gated) });
    await agent.annotateJob({ remote_file: remote });
    agent.log(`uploaded ${remote} to ${host.kind} (${whole.gated.length} bytes of checked G-code)`);
    await host.start(remote);
    const outcome = await host.waitForEnd(remote, request.signal);
    return { ...base, outcome, remote };
  } catch (e) {
    if (!(e instanceof FabgateError)) throw e;
    if (remote !== undefined) await host.cancel().catch(() => undefined);
    return { ...base, outcome: 'failed', error: e, ...(remote ? { remote } : {}) };
  } finally {
    // The plaintext should not rest on the host once the job is over.
    if (remote !== undefined) await host.remove(remote).catch((e: Error) => agent.log(`could not remove ${remote} from ${host.kind}: ${e.message}`));
    await host.close();
  }
}

/** A file name for the host: the design's G-code name, tagged with the ticket and print number. */
export function uploadName(gcodeName: string, ticket: string, counter: number): string {
  const stem = gcodeName.replace(/\.(gcode|gco|g|bgcode)$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'design';
  return `${stem}.fabgate-${ticket.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64)}-${counter}.gcode`;
}
