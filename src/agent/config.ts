/**
 * The agent's configuration and the layout of its state directory. Parsed
 * once when a command starts; a bad file stops the command with
 * `AGENT_CONFIG_INVALID` and the field at fault, never a half-configured run.
 *
 *   <state dir>/               0700  (default ~/.fabgate-agent, or $FABGATE_AGENT_DIR)
 *     agent.json               0600  this configuration
 *     credentials.json         0600  the device's API token for the server
 *     keys/content-key.pem     0600  RSA-OAEP private key (designs are wrapped to it)
 *     keys/signing-key.pem     0600  Ed25519 private key (signs usage records and the state)
 *     state.json               0600  counters, usage-record chain head, revocation list (signed)
 *     journal                  0600  hash chain of every state.json version
 *     outbox/<seq>.json        0600  signed usage records not yet acknowledged
 *     spool/                   0700  ciphertext of the job being printed (never plaintext)
 *     lock                           one agent process at a time
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_TOLERANCE_SECONDS } from '../tickets/ticket.js';
import { writeFileDurable } from './durable.js';
import { AgentError } from './errors.js';

export const STATE_DIR_ENV = 'FABGATE_AGENT_DIR';

/** The state directory: `--state-dir`, else `$FABGATE_AGENT_DIR`, else `~/.fabgate-agent`. */
export function resolveStateDir(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (explicit) return resolve(cwd, explicit);
  if (env[STATE_DIR_ENV]) return resolve(cwd, env[STATE_DIR_ENV]);
  return join(homedir(), '.fabgate-agent');
}

export const paths = (dir: string) => ({
  config: join(dir, 'agent.json'),
  credentials: join(dir, 'credentials.json'),
  keys: join(dir, 'keys'),
  contentKey: join(dir, 'keys', 'content-key.pem'),
  signingKey: join(dir, 'keys', 'signing-key.pem'),
  state: join(dir, 'state.json'),
  journal: join(dir, 'journal'),
  outbox: join(dir, 'outbox'),
  spool: join(dir, 'spool'),
});

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * The lines sent to a serial printer when a job is stopped. Marlin has no
 * "cancel" for a host-streamed job: the host stops sending and runs its
 * cancel script (OctoPrint's "After print job is cancelled" script does the
 * same). Laser or spindle off first, then heaters, fan and motors.
 */
export const DEFAULT_SERIAL_CANCEL = ['M5', 'M104 S0', 'M140 S0', 'M107', 'M84'];

export const OctoPrintConfigSchema = z.strictObject({
  url: httpUrl,
  api_key: z.string().min(1).max(256).describe('OctoPrint application key, sent as X-Api-Key'),
});
export const MoonrakerConfigSchema = z.strictObject({
  url: httpUrl,
  api_key: z.string().min(1).max(256).optional().describe('Moonraker API key (X-Api-Key), when authorization is enabled'),
  transport: z
    .enum(['auto', 'http', 'websocket'])
    .default('auto')
    .describe('JSON-RPC over /websocket for start, cancel and status when the runtime has a WebSocket client; HTTP otherwise'),
});
export const SerialConfigSchema = z.strictObject({
  path: z.string().min(1).describe('The serial device, e.g. /dev/ttyACM0'),
  baud: z.number().int().min(1200).max(4_000_000).optional().describe('Set with stty before opening (raw, no echo)'),
  cancel_gcode: z.array(z.string().min(1).max(96)).max(32).default(DEFAULT_SERIAL_CANCEL),
  boot_wait_ms: z.number().int().min(0).max(60_000).default(2000).describe('Opening the port resets most boards: wait this long (or for "start")'),
  handshake_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
  response_timeout_ms: z.number().int().min(100).max(24 * 3600_000).default(600_000).describe('Longest silence before the printer is declared gone (heating waits report temperatures)'),
});

export const PRINTER_KINDS = ['octoprint', 'moonraker', 'serial'] as const;
export type PrinterKind = (typeof PRINTER_KINDS)[number];

export const AgentConfigSchema = z.strictObject({
  v: z.literal(1),
  server: httpUrl.describe('The Fabgate server the device enrolled with'),
  device_id: z.string().min(1).max(128),
  enrolled_at: z.string(),
  content_key_sha256: hex64,
  signing_key_sha256: hex64,
  /** Ticket issuer keys (TICKET-FORMAT.md §2), configured out of band or fetched at enrolment. */
  issuer_keys: z.array(z.strictObject({ kid: z.string().min(1).max(128), jwk: z.strictObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string() }) })).max(16),
  /** The transparency log's C2SP verifier key, for ticket receipts. */
  log: z.strictObject({ verifier_key: z.string().min(1).max(512), origin: z.string().max(256).optional() }).optional(),
  /** Refuse tickets that come without a log proof. */
  require_log_proof: z.boolean().default(false),
  /** Producer keys (Ed25519 SPKI PEM) whose signature a design must carry; absent = the ticket's hash binding suffices. */
  design_signers: z.array(z.string().max(1024)).max(16).default([]),
  clock_tolerance_seconds: z.number().int().min(0).max(86_400).default(DEFAULT_TOLERANCE_SECONDS),
  /** Usage records allowed to wait for the server before the agent refuses new jobs. */
  max_unacknowledged: z.number().int().min(0).max(100_000).default(20),
  /** Optional hardware monotonic counter (e.g. a TPM 2.0 NV counter through tpm2-tools); see README. */
  monotonic_counter: z.strictObject({ read: z.array(z.string()).min(1), increment: z.array(z.string()).min(1) }).optional(),
  printers: z
    .strictObject({
      default: z.enum(PRINTER_KINDS).optional(),
      octoprint: OctoPrintConfigSchema.optional(),
      moonraker: MoonrakerConfigSchema.optional(),
      serial: SerialConfigSchema.optional(),
      poll_interval_ms: z.number().int().min(1).max(600_000).default(2000),
    })
    .prefault({}),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

/** Parse a configuration object, naming the first field at fault. */
export function parseConfig(input: unknown, where = 'agent.json'): AgentConfig {
  const parsed = AgentConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AgentError('AGENT_CONFIG_INVALID', `${where}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { issues: parsed.error.issues.slice(0, 10) });
  }
  return parsed.data;
}

export async function readConfig(dir: string): Promise<AgentConfig> {
  const text = await readFile(paths(dir).config, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new AgentError('AGENT_NOT_ENROLLED', `no enrolment in ${dir}: run \`fabgate-agent enrol\` first`);
    throw e;
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError('AGENT_CONFIG_INVALID', 'agent.json is not JSON');
  }
  return parseConfig(json);
}

export async function writeConfig(dir: string, config: AgentConfigInput): Promise<AgentConfig> {
  const parsed = parseConfig(config);
  await writeFileDurable(paths(dir).config, `${JSON.stringify(parsed, null, 2)}\n`);
  return parsed;
}

export async function readApiToken(dir: string): Promise<string> {
  const text = await readFile(paths(dir).credentials, 'utf8').catch(() => undefined);
  const token = text === undefined ? undefined : (JSON.parse(text) as { api_token?: unknown }).api_token;
  if (typeof token !== 'string' || token.length === 0) throw new AgentError('AGENT_NOT_ENROLLED', 'no API token: enrol the device first');
  return token;
}

export async function writeApiToken(dir: string, token: string): Promise<void> {
  await writeFileDurable(paths(dir).credentials, `${JSON.stringify({ api_token: token })}\n`);
}
