/**
 * Enrolment: the device makes its keys, registers the public halves with the
 * server under a one-time enrolment token, and starts a fresh state. Nothing
 * is written before the server accepted the enrolment, and the configuration
 * is written last, so an interrupted enrolment leaves no half-enrolled device.
 * Enrolling again (`--force`) moves the previous enrolment, with any usage
 * records it has not reported, to `retired/<time>/`.
 */
import { hostname } from 'node:os';
import { chmod, mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { keyFingerprint } from '../designs/securecontent/keys.js';
import { paths, writeApiToken, writeConfig, type AgentConfig } from './config.js';
import { PRIVATE_DIR, acquireLock } from './durable.js';
import { AgentError } from './errors.js';
import { describeKeys, generateDeviceKeys, publicPems, saveDeviceKeys, type DeviceKeys } from './keys.js';
import { CommandCounter } from './monotonic.js';
import { FabgateClient, type IssuerJwk } from './server-client.js';
import { AgentStore } from './state.js';

export interface EnrolOptions {
  dir: string;
  server: string;
  /** The one-time enrolment token. */
  token: string;
  /** The device's name at the server (default: the host name). */
  name?: string;
  /** Issuer keys configured out of band; fetched from the server when absent. */
  issuerKeys?: IssuerJwk[];
  /** The log's verifier key configured out of band; fetched from the server when absent. */
  logKey?: string;
  logOrigin?: string;
  /** Replace an existing enrolment. */
  force?: boolean;
  /** Keys made elsewhere (tests make them once); generated here by default. */
  keys?: DeviceKeys;
  monotonicCounter?: { read: string[]; increment: string[] };
  now?: () => Date;
  timeoutMs?: number;
}

export interface EnrolReport {
  device_id: string;
  server: string;
  state_dir: string;
  content_key_sha256: string;
  signing_key_sha256: string;
  issuer_keys: string[];
  log_key: string | null;
  retired?: string;
  notes: string[];
}

export async function enrol(options: EnrolOptions): Promise<EnrolReport> {
  const p = paths(options.dir);
  await mkdir(options.dir, { recursive: true, mode: PRIVATE_DIR });
  await chmod(options.dir, PRIVATE_DIR);
  const release = await acquireLock(options.dir);
  try {
    const enrolled = await stat(p.config).then(
      () => true,
      () => false,
    );
    if (enrolled && !options.force) throw new AgentError('AGENT_ALREADY_ENROLLED', `${options.dir} already holds an enrolment; use --force to replace it`);
    const notes: string[] = [];
    const keys = describeKeys(options.keys ?? (await generateDeviceKeys()));
    const pems = publicPems(keys);
    const client = new FabgateClient(options.server, { timeoutMs: options.timeoutMs ?? 30_000 });
    const enrolment = await client.enrol({ token: options.token, content_key: pems.content, signing_key: pems.signing, name: options.name ?? hostname() });
    if (
      (enrolment.content_key_sha256 && enrolment.content_key_sha256 !== keyFingerprint(keys.contentKey)) ||
      (enrolment.signing_key_sha256 && enrolment.signing_key_sha256 !== keyFingerprint(keys.signingKey))
    ) {
      throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', 'the server registered other keys than the ones this device sent');
    }
    const issuerKeys = options.issuerKeys ?? (await client.issuerKeys().catch((e: Error) => (notes.push(`issuer keys not fetched: ${e.message}`), [] as IssuerJwk[])));
    const logKey = options.logKey ?? (await client.logKey().catch((e: Error) => (notes.push(`log key not fetched: ${e.message}`), undefined)));
    if (!options.issuerKeys && issuerKeys.length > 0) notes.push(`issuer keys fetched from the server at enrolment: ${issuerKeys.map((k) => k.kid).join(', ')} (check them out of band)`);

    const retired = enrolled ? await retire(options.dir) : undefined;
    await saveDeviceKeys(options.dir, keys);
    await writeApiToken(options.dir, enrolment.api_token);
    const now = options.now?.() ?? new Date();
    await AgentStore.create(options.dir, { device: enrolment.device_id, signingKey: keys.signingKey, ...(options.monotonicCounter ? { counter: new CommandCounter(options.monotonicCounter) } : {}) }, now);
    const config: AgentConfig = await writeConfig(options.dir, {
      v: 1,
      server: options.server,
      device_id: enrolment.device_id,
      enrolled_at: now.toISOString(),
      content_key_sha256: keys.contentKeySha256,
      signing_key_sha256: keys.signingKeySha256,
      issuer_keys: issuerKeys,
      ...(logKey ? { log: { verifier_key: logKey, ...(options.logOrigin ? { origin: options.logOrigin } : {}) } } : {}),
      ...(options.monotonicCounter ? { monotonic_counter: options.monotonicCounter } : {}),
    });
    return {
      device_id: config.device_id,
      server: config.server,
      state_dir: options.dir,
      content_key_sha256: config.content_key_sha256,
      signing_key_sha256: config.signing_key_sha256,
      issuer_keys: config.issuer_keys.map((k) => k.kid),
      log_key: config.log?.verifier_key ?? null,
      ...(retired ? { retired } : {}),
      notes,
    };
  } finally {
    await release();
  }
}

/** Move the previous enrolment aside (its unsent records stay readable there). */
async function retire(dir: string): Promise<string> {
  const target = join(dir, 'retired', new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(target, { recursive: true, mode: PRIVATE_DIR });
  const keep = new Set(['agent.json', 'credentials.json', 'keys', 'state.json', 'journal', 'outbox']);
  for (const name of await readdir(dir)) if (keep.has(name)) await rename(join(dir, name), join(target, name));
  return target;
}
