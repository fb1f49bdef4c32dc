/**
 * One enrolled agent against a loopback Fabgate server, for tests: real
 * enrolment over HTTP with real device keys, the issuer key fetched as the
 * agent would, and helpers to make designs and tickets for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, type AgentContext } from '../agent.js';
import { enrol, type EnrolReport } from '../enrol.js';
import { deviceKeys, makeIssuer, sealGcode, tempDir, ticketFor, writeBundle, type DeviceRef } from './fixtures.js';
import { FakeFabgate } from './fake-fabgate.js';
import type { PrintTicketClaims } from '../../tickets/ticket.js';

export interface TestAgent {
  dir: string;
  work: string;
  server: FakeFabgate;
  issuer: ReturnType<typeof makeIssuer>;
  enrolment: EnrolReport;
  device: DeviceRef;
  ctx: AgentContext;
  logLines: string[];
  /** Seal G-code for this device and sign a ticket for it; returns the design and bundle files. */
  job(gcode: Buffer | string, overrides?: Partial<PrintTicketClaims>, options?: { name?: string; contentType?: string }): Promise<{ design: string; bundle: string; jws: string; designHash: string }>;
  open(): Promise<Agent>;
  close(): Promise<void>;
}

export async function setupAgent(options: { keyIndex?: number; logKey?: string; monotonicCounter?: { read: string[]; increment: string[] }; now?: () => Date } = {}): Promise<TestAgent> {
  const issuer = makeIssuer();
  const server = await new FakeFabgate(issuer, options.logKey).start();
  const work = tempDir();
  const dir = join(work, 'state');
  const keys = (await deviceKeys())[options.keyIndex ?? 0]!;
  const enrolment = await enrol({
    dir,
    server: server.url,
    token: server.newToken(),
    keys,
    name: 'test-host',
    ...(options.monotonicCounter ? { monotonicCounter: options.monotonicCounter } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const device: DeviceRef = { id: enrolment.device_id, keys };
  const logLines: string[] = [];
  const ctx: AgentContext = { dir, log: (l) => logLines.push(l), serverTimeoutMs: 5000, ...(options.now ? { now: options.now } : {}) };
  return {
    dir,
    work,
    server,
    issuer,
    enrolment,
    device,
    ctx,
    logLines,
    async job(gcode, overrides = {}, opts = {}) {
      const bytes = typeof gcode === 'string' ? readFileSync(gcode) : gcode;
      const sealed = await sealGcode(work, bytes, device, opts.name ?? 'part.gcode', opts.contentType);
      const jws = ticketFor(device, sealed.hash, issuer, overrides);
      return { design: sealed.file, bundle: writeBundle(work, jws), jws, designHash: sealed.hash };
    },
    open: () => Agent.open(ctx),
    close: () => server.stop(),
  };
}
