/**
 * The `fabgate-agent` command line. Argument parsing is node:util's
 * `parseArgs`, so the agent needs no CLI library; output and exit codes
 * follow the `fabgate` conventions (src/cli/io.ts): `--json` prints one JSON
 * object, exit 0 ok, 1 a refusal or failure, 2 bad usage or input.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, emit, exitCodeForError, reportError, type CliIO, type ExitCode } from '../cli/io.js';
import { FabgateError } from '../shared/errors.js';
import type { AgentContext } from './agent.js';
import { PRINTER_KINDS, resolveStateDir, type PrinterKind } from './config.js';
import { enrol } from './enrol.js';
import { AgentError } from './errors.js';
import { flushOutbox } from './flush.js';
import { withAgent } from './agent.js';
import { printJob, type PrintRequest } from './print.js';
import { configurePrinter, readIssuerKeys, readLogKey, updateTrust } from './settings.js';
import { agentStatus } from './status.js';

const USAGE = `usage: fabgate-agent <command> [options]

  enrol   --server URL --token TOKEN [--name NAME] [--issuer-keys JWKS] [--log-key FILE] [--force]
  trust   [--issuer-keys JWKS] [--log-key FILE] [--log-origin ORIGIN] [--require-log-proof|--no-require-log-proof] [--design-signer PEM]…
  printer octoprint --url URL --api-key KEY [--default]
  printer moonraker --url URL [--api-key KEY] [--transport auto|http|websocket] [--default]
  printer serial    --device PATH [--baud N] [--default]
  print   --design FILE --ticket BUNDLE [--printer octoprint|moonraker|serial] [--part NAME] [--offline] [--no-precheck]
  flush   send waiting usage records, fetch the revocation list
  status  enrolment, counters, usage-record chain, revocations

every command: --state-dir DIR (default $FABGATE_AGENT_DIR or ~/.fabgate-agent), --json`;

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON: Options = { 'state-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };
const COMMANDS: Record<string, Options> = {
  enrol: { server: { type: 'string' }, token: { type: 'string' }, name: { type: 'string' }, 'issuer-keys': { type: 'string' }, 'log-key': { type: 'string' }, 'log-origin': { type: 'string' }, force: { type: 'boolean' } },
  trust: {
    'issuer-keys': { type: 'string' },
    'log-key': { type: 'string' },
    'log-origin': { type: 'string' },
    'require-log-proof': { type: 'boolean' },
    'no-require-log-proof': { type: 'boolean' },
    'design-signer': { type: 'string', multiple: true },
  },
  printer: { url: { type: 'string' }, 'api-key': { type: 'string' }, transport: { type: 'string' }, device: { type: 'string' }, baud: { type: 'string' }, default: { type: 'boolean' } },
  print: { design: { type: 'string' }, ticket: { type: 'string' }, printer: { type: 'string' }, part: { type: 'string' }, offline: { type: 'boolean' }, 'no-precheck': { type: 'boolean' } },
  flush: {},
  status: {},
};

export interface AgentCliHooks {
  /** The clock (tests). */
  now?: () => Date;
  /** Aborts a running print (the entry point wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
}

/** Run one `fabgate-agent` command; returns the exit code. */
export async function runAgentCli(argv: string[], io: CliIO, hooks: AgentCliHooks = {}): Promise<ExitCode> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return command ? EXIT.ok : EXIT.usage;
  }
  const spec = COMMANDS[command];
  if (!spec) {
    io.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
    return EXIT.usage;
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: { ...COMMON, ...spec }, allowPositionals: command === 'printer', strict: true }) as {
      values: Record<string, string | boolean | string[] | undefined>;
      positionals: string[];
    });
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const json = values.json === true;
  const ctx: AgentContext = {
    dir: resolveStateDir(values['state-dir'] as string | undefined, io.env, io.cwd),
    ...(hooks.now ? { now: hooks.now } : {}),
    log: (line) => io.stderr.write(`${line}\n`),
  };
  try {
    switch (command) {
      case 'enrol':
        return await enrolCommand(io, json, ctx, values);
      case 'trust':
        return await trustCommand(io, json, ctx, values);
      case 'printer':
        return await printerCommand(io, json, ctx, values, positionals);
      case 'print':
        return await printCommand(io, json, ctx, values, hooks);
      case 'flush': {
        const report = await withAgent(ctx, (agent) => flushOutbox(agent));
        emit(io, json, report, (out) => {
          out(report.reachable ? `server reached: ${report.acknowledged} records acknowledged, ${report.pending} waiting` : `server not reachable: ${report.pending} records waiting`);
          if (report.revocations && 'serial' in report.revocations) out(`revocation list ${report.revocations.serial}${report.revocations.updated ? ' (new)' : ''}`);
          if (report.error) out(`stopped: ${report.error.code} ${report.error.message}`);
        });
        return report.error && report.reachable ? EXIT.failure : EXIT.ok;
      }
      case 'status': {
        const report = await agentStatus(ctx);
        emit(io, json, report, (out) => {
          out(`device ${report.device_id} at ${report.server} (enrolled ${report.enrolled_at})`);
          out(`content key ${report.content_key_sha256}`);
          out(`issuer keys: ${report.issuer_keys.join(', ') || 'none'}; log key: ${report.log_key ? 'yes' : 'no'}; printers: ${report.printers.join(', ') || 'none'}`);
          out(`usage records: ${report.state.chain_seq} made, ${report.state.acked_seq} acknowledged, ${report.state.pending_records} waiting`);
          for (const c of report.state.counters) out(`ticket ${c.ticket}: ${c.used} of ${c.prints} prints used (expires ${c.expires})`);
          if (report.state.revocations) out(`revocation list ${report.state.revocations.serial}${report.state.revocations.stale ? ' (stale)' : ''}`);
          if (report.state.rollback) out(`ROLLBACK DETECTED ${report.state.rollback.detected_at}: ${report.state.rollback.reason}`);
          for (const n of report.notes) out(n);
        });
        return report.state.rollback ? EXIT.failure : EXIT.ok;
      }
    }
    return EXIT.usage;
  } catch (e) {
    if (!(e instanceof FabgateError)) throw e;
    reportError(io, json, e);
    return exitCodeForError(e.kind);
  }
}

type Values = Record<string, string | boolean | string[] | undefined>;

function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new AgentError('AGENT_CONFIG_INVALID', `--${name} is required`);
  return v;
}

async function enrolCommand(io: CliIO, json: boolean, ctx: AgentContext, values: Values): Promise<ExitCode> {
  const report = await enrol({
    dir: ctx.dir,
    server: required(values, 'server'),
    token: required(values, 'token'),
    ...(typeof values.name === 'string' ? { name: values.name } : {}),
    ...(typeof values['issuer-keys'] === 'string' ? { issuerKeys: await readIssuerKeys(values['issuer-keys']) } : {}),
    ...(typeof values['log-key'] === 'string' ? { logKey: await readLogKey(values['log-key']) } : {}),
    ...(typeof values['log-origin'] === 'string' ? { logOrigin: values['log-origin'] } : {}),
    force: values.force === true,
    ...(ctx.now ? { now: ctx.now } : {}),
  });
  emit(io, json, report, (out) => {
    out(`enrolled as device ${report.device_id} with ${report.server}`);
    out(`state directory ${report.state_dir}`);
    out(`content key ${report.content_key_sha256}`);
    out(`signing key ${report.signing_key_sha256}`);
    out(`issuer keys: ${report.issuer_keys.join(', ') || 'none (run `fabgate-agent trust --issuer-keys FILE`)'}`);
    for (const n of report.notes) out(n);
  });
  return EXIT.ok;
}

async function trustCommand(io: CliIO, json: boolean, ctx: AgentContext, values: Values): Promise<ExitCode> {
  const signers = (values['design-signer'] as string[] | undefined) ?? [];
  const config = await updateTrust(ctx, {
    ...(typeof values['issuer-keys'] === 'string' ? { issuerKeys: await readIssuerKeys(values['issuer-keys']) } : {}),
    ...(typeof values['log-key'] === 'string' ? { logKey: await readLogKey(values['log-key']) } : {}),
    ...(typeof values['log-origin'] === 'string' ? { logOrigin: values['log-origin'] } : {}),
    ...(values['require-log-proof'] ? { requireLogProof: true } : values['no-require-log-proof'] ? { requireLogProof: false } : {}),
    ...(signers.length ? { designSigners: await Promise.all(signers.map((f) => readFile(f, 'utf8'))) } : {}),
  });
  emit(io, json, { issuer_keys: config.issuer_keys.map((k) => k.kid), log: config.log ?? null, require_log_proof: config.require_log_proof, design_signers: config.design_signers.length }, (out) => {
    out(`issuer keys: ${config.issuer_keys.map((k) => k.kid).join(', ') || 'none'}`);
    out(`log key: ${config.log?.verifier_key ?? 'none'}${config.require_log_proof ? ' (required)' : ''}`);
  });
  return EXIT.ok;
}

async function printerCommand(io: CliIO, json: boolean, ctx: AgentContext, values: Values, positionals: string[]): Promise<ExitCode> {
  const kind = positionals[0] as PrinterKind | undefined;
  if (!kind || !PRINTER_KINDS.includes(kind) || positionals.length > 1) throw new AgentError('AGENT_CONFIG_INVALID', `printer needs one of ${PRINTER_KINDS.join(', ')}`);
  const settings: Record<string, unknown> = {};
  if (kind === 'serial') {
    settings.path = required(values, 'device');
    if (typeof values.baud === 'string') settings.baud = Number(values.baud);
  } else {
    settings.url = required(values, 'url');
    if (typeof values['api-key'] === 'string') settings.api_key = values['api-key'];
    if (kind === 'moonraker' && typeof values.transport === 'string') settings.transport = values.transport;
  }
  const config = await configurePrinter(ctx, kind, settings, values.default === true);
  const shown = { ...config.printers[kind], ...('api_key' in (config.printers[kind] ?? {}) ? { api_key: '(set)' } : {}) };
  emit(io, json, { printer: kind, settings: shown, default: config.printers.default ?? null }, (out) => out(`${kind} configured${config.printers.default === kind ? ' (default)' : ''}`));
  return EXIT.ok;
}

async function printCommand(io: CliIO, json: boolean, ctx: AgentContext, values: Values, hooks: AgentCliHooks): Promise<ExitCode> {
  const printer = values.printer as string | undefined;
  if (printer !== undefined && !PRINTER_KINDS.includes(printer as PrinterKind)) throw new AgentError('AGENT_CONFIG_INVALID', `--printer must be one of ${PRINTER_KINDS.join(', ')}`);
  const request: PrintRequest = {
    design: required(values, 'design'),
    ticket: required(values, 'ticket'),
    ...(printer ? { printer: printer as PrinterKind } : {}),
    ...(typeof values.part === 'string' ? { part: values.part } : {}),
    offline: values.offline === true,
    precheck: values['no-precheck'] !== true,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  };
  const report = await printJob(ctx, request);
  emit(io, json, report, (out) => {
    out(`${report.outcome}: print ${report.counter} of ${report.prints} on ticket ${report.ticket} (${report.printer}), usage record ${report.record.seq}`);
    for (const v of report.violations) out(`  line ${v.line}: ${v.rule} = ${v.value} (limit ${v.limit})`);
    if (report.error) out(`  ${report.error.code}: ${report.error.message}`);
  });
  const after = report.flush_after?.error;
  if (after?.code === 'AGENT_ROLLBACK_DETECTED') {
    // The job ran, but reporting it showed the state is an older copy: the device now refuses jobs.
    io.stderr.write(`error ${after.code}: ${after.message}\n`);
    return EXIT.failure;
  }
  if (report.outcome === 'completed') return EXIT.ok;
  if (report.outcome === 'violation') {
    const first = report.violations[0];
    io.stderr.write(`error GCODE_ENVELOPE_VIOLATION: ${first ? `line ${first.line} breaks ${first.rule}` : 'the G-code breaks the envelope'}\n`);
  }
  return EXIT.failure;
}
