import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket as WsClient } from 'ws';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkBytes } from '../gcode/checker.js';
import { paths } from './config.js';
import { printJob, type PrintRequest } from './print.js';
import type { WebSocketConstructor } from './printers/jsonrpc-socket.js';
import { configurePrinter } from './settings.js';
import { FakeMoonraker, FakeOctoPrint, FakeSerialPrinter } from './test-support/fake-hosts.js';
import { ENVELOPE, GCODE, MK4_ENVELOPE, deviceKeys, insertLine, protectGcode3mf, sha256, ticketFor, wireLines, writeBundle } from './test-support/fixtures.js';
import { setupAgent, type TestAgent } from './test-support/setup.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

beforeAll(async () => {
  await deviceKeys();
});

async function agent(): Promise<TestAgent> {
  const t = await setupAgent();
  cleanup.push(() => t.close());
  return t;
}

const run = (t: TestAgent, files: { design: string; bundle: string }, extra: Partial<PrintRequest> = {}) =>
  printJob(t.ctx, { design: files.design, ticket: files.bundle, printerOverrides: { poll_interval_ms: 2 }, ...extra });

/** Every file under the state directory: none may hold G-code plaintext. */
function assertNoPlaintextAtRest(dir: string, probe: string): void {
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  for (const f of walk(dir)) expect(readFileSync(f, 'latin1').includes(probe), f).toBe(false);
}

const screw = readFileSync(GCODE.screw);
/** Line 1701 of this variant raises the nozzle to 300 °C, over the ticket's 260 °C. */
const hot = insertLine(GCODE.screw, 1700, 'M104 S300 ; raised mid-file');

describe('OctoPrint', () => {
  async function withOctoPrint() {
    const t = await agent();
    const octo = await new FakeOctoPrint().start();
    cleanup.push(() => octo.stop());
    await configurePrinter(t.ctx, 'octoprint', { url: octo.url, api_key: octo.apiKey }, true);
    return { t, octo };
  }

  it('uploads only the checked lines, selects, starts, follows the job to the end and removes the file', async () => {
    const { t, octo } = await withOctoPrint();
    const report = await run(t, await t.job(screw));
    expect(report.outcome).toBe('completed');
    expect(octo.uploads).toHaveLength(1);
    const upload = octo.uploads[0]!;
    expect(upload.fields).toEqual({ select: 'true', print: 'false' });
    expect(upload.bytes.equals(screw)).toBe(true); // LF-terminated lines in, the same lines out
    expect(upload.name).toBe(report.remote_file);
    expect(octo.jobCommands).toEqual(['start']);
    expect(octo.calls.filter((c) => c === 'GET /api/job').length).toBeGreaterThanOrEqual(3);
    expect(octo.deleted).toEqual([upload.name]);
    assertNoPlaintextAtRest(t.dir, 'G1 X');
  });

  it('checks the whole file first: a temperature raised mid-file means no upload and no start', async () => {
    const { t, octo } = await withOctoPrint();
    const report = await run(t, await t.job(hot));
    expect(report.outcome).toBe('violation');
    expect(report.violations[0]).toEqual({ line: 1701, rule: 'nozzle_temp_c', value: 300, limit: 260 });
    expect(octo.uploads).toHaveLength(0);
    expect(octo.jobCommands).toEqual([]);
    const record = t.server.devices.get(t.device.id)!.records[0]!;
    expect(record).toMatchObject({ outcome: 'violation', counter: 1, gcode_sha256: sha256(hot) });
    expect(record.violations).toEqual([{ line: 1701, rule: 'nozzle_temp_c', value: 300, limit: 260 }]);
  });

  it('cancels through POST /api/job {"command":"cancel"} when the job is aborted', async () => {
    const { t, octo } = await withOctoPrint();
    octo.pollsToFinish = Number.POSITIVE_INFINITY;
    const abort = new AbortController();
    octo.onPrinting = () => abort.abort();
    const report = await run(t, await t.job(screw), { signal: abort.signal });
    expect(report.outcome).toBe('cancelled');
    expect(octo.jobCommands).toEqual(['start', 'cancel']);
    expect(octo.deleted).toHaveLength(1);
    expect(t.server.devices.get(t.device.id)!.records[0]).toMatchObject({ outcome: 'cancelled', counter: 1 });
  });

  it('a wrong API key is a printer refusal, recorded as a failed job (the print stays counted)', async () => {
    const { t } = await withOctoPrint();
    await configurePrinter(t.ctx, 'octoprint', { api_key: 'WRONG' }, true);
    const report = await run(t, await t.job(screw));
    expect(report).toMatchObject({ outcome: 'failed', error: { code: 'AGENT_PRINTER_REFUSED' } });
  });

  it('prints the G-code part of a protected 3MF, and PrusaSlicer binary G-code decoded to checked text', async () => {
    const { t, octo } = await withOctoPrint();
    const pkg = await protectGcode3mf(t.work, screw, t.device);
    const report = await run(t, { design: pkg.file, bundle: writeBundle(t.work, ticketFor(t.device, pkg.hash, t.issuer)) });
    expect(report).toMatchObject({ outcome: 'completed', design: pkg.hash });
    expect(octo.uploads[0]!.bytes.equals(screw)).toBe(true);
    // two G-code parts: the agent will not guess which one to print
    const two = await protectGcode3mf(t.work, screw, t.device, 2);
    const bundle = writeBundle(t.work, ticketFor(t.device, two.hash, t.issuer));
    await expect(run(t, { design: two.file, bundle })).rejects.toMatchObject({ code: 'AGENT_DESIGN_NO_GCODE' });
    expect((await run(t, { design: two.file, bundle }, { part: 'Metadata/plate_2.gcode' })).outcome).toBe('completed');
    // a model without G-code is not printable: it must be sliced first
    const model = await protectGcode3mf(t.work, screw, t.device, 0);
    await expect(run(t, { design: model.file, bundle: writeBundle(t.work, ticketFor(t.device, model.hash, t.issuer)) })).rejects.toMatchObject({ code: 'AGENT_DESIGN_NO_GCODE' });

    const bgcode = readFileSync(GCODE.bgcode);
    const job = await t.job(bgcode, { envelope: MK4_ENVELOPE }, { name: 'mini_cube.bgcode', contentType: 'application/x.bgcode' });
    const printed = await run(t, job);
    expect(printed).toMatchObject({ outcome: 'completed', gcode_sha256: sha256(bgcode) });
    const text = octo.uploads.at(-1)!.bytes;
    expect(text.includes(Buffer.from('GCDE'))).toBe(false);
    // what was uploaded is G-code text that passes the same envelope on its own
    expect(checkBytes(text, MK4_ENVELOPE)).toMatchObject({ ok: true, stats: { format: 'gcode', lines: printed.stats!.lines } });
  });
});

describe('Moonraker', () => {
  async function withMoonraker(transport: 'http' | 'websocket', apiKey?: string) {
    const t = await agent();
    const moon = await new FakeMoonraker(apiKey).start();
    cleanup.push(() => moon.stop());
    await configurePrinter(t.ctx, 'moonraker', { url: moon.url, transport, ...(apiKey ? { api_key: apiKey } : {}) }, true);
    return { t, moon };
  }
  const ws = WsClient as unknown as WebSocketConstructor;

  it('over HTTP: uploads with the SHA-256 Moonraker checks, starts, polls print_stats, removes the file', async () => {
    const { t, moon } = await withMoonraker('http');
    const report = await run(t, await t.job(screw));
    expect(report.outcome).toBe('completed');
    const upload = moon.uploads[0]!;
    expect(upload.fields).toEqual({ root: 'gcodes', checksum: sha256(screw), print: 'false' });
    expect(upload.bytes.equals(screw)).toBe(true);
    expect(moon.calls).toEqual(expect.arrayContaining(['POST /server/files/upload', 'POST /printer/print/start', 'GET /printer/objects/query', `DELETE /server/files/gcodes/${upload.name}`]));
    expect(moon.rpcCalls).toEqual([]);
  });

  it('over JSON-RPC on /websocket: subscribes to print_stats, starts and cancels with printer.print.*', async () => {
    const { t, moon } = await withMoonraker('websocket', 'moon-key');
    moon.ticksToFinish = Number.POSITIVE_INFINITY;
    const abort = new AbortController();
    moon.onPrinting = () => abort.abort();
    const report = await run(t, await t.job(screw), { signal: abort.signal, webSocket: ws });
    expect(report.outcome).toBe('cancelled');
    expect(moon.rpcCalls).toEqual(['printer.objects.subscribe', 'printer.print.start', 'printer.print.cancel']);
    expect(moon.calls).toContain('GET /access/oneshot_token');
    expect(moon.calls).not.toContain('POST /printer/print/start');
    expect(moon.calls).not.toContain('GET /printer/objects/query');
    expect(t.server.devices.get(t.device.id)!.records[0]).toMatchObject({ outcome: 'cancelled' });
  });

  it('over JSON-RPC: a completed print is seen from the pushed status updates', async () => {
    const { t, moon } = await withMoonraker('websocket');
    const report = await run(t, await t.job(screw), { webSocket: ws });
    expect(report.outcome).toBe('completed');
    expect(moon.rpcCalls).toEqual(['printer.objects.subscribe', 'printer.print.start']);
    expect(moon.deleted).toHaveLength(1);
  });

  it('a violation never reaches Moonraker', async () => {
    const { t, moon } = await withMoonraker('http');
    const report = await run(t, await t.job(hot));
    expect(report).toMatchObject({ outcome: 'violation', violations: [{ line: 1701, rule: 'nozzle_temp_c' }] });
    expect(moon.calls).toEqual([]);
  });
});

describe('serial printer (a pseudo-terminal pair made with socat)', () => {
  async function withSerial() {
    const t = await agent();
    const printer = await new FakeSerialPrinter(t.work).start();
    cleanup.push(() => printer.stop());
    await configurePrinter(t.ctx, 'serial', { path: printer.agentPath, boot_wait_ms: 0, handshake_timeout_ms: 5000, response_timeout_ms: 10_000 }, true);
    return { t, printer };
  }

  it('streams each checked line with the ok handshake, comments stripped, and waits for the moves to finish', async () => {
    const { t, printer } = await withSerial();
    const report = await run(t, await t.job(screw));
    expect(report.outcome).toBe('completed');
    const expected = wireLines(screw.toString('latin1'));
    expect(printer.received).toEqual(['M110 N0', ...expected, 'M400']);
    expect(report.lines_sent).toBe(expected.length);
    assertNoPlaintextAtRest(t.dir, 'G1 X');
  });

  it('stops at a violation: no line past it is sent, the cancel sequence is, and the record says why', async () => {
    const { t, printer } = await withSerial();
    const report = await run(t, await t.job(hot), { precheck: false });
    expect(report.outcome).toBe('violation');
    expect(report.violations).toEqual([{ line: 1701, rule: 'nozzle_temp_c', value: 300, limit: 260 }]);
    const before = wireLines(hot.toString('latin1').split('\n').slice(0, 1700).join('\n'));
    expect(printer.received).toEqual(['M110 N0', ...before, 'M5', 'M104 S0', 'M140 S0', 'M107', 'M84']);
    expect(printer.received.some((l) => l.startsWith('M104 S300'))).toBe(false);
    expect(report.cancel_sent).toEqual(['M5', 'M104 S0', 'M140 S0', 'M107', 'M84']);
    const record = t.server.devices.get(t.device.id)!.records[0]!;
    expect(record).toMatchObject({ outcome: 'violation', gcode_sha256: sha256(hot), violations: [{ line: 1701, rule: 'nozzle_temp_c', value: 300, limit: 260 }] });
  });

  it('with the whole-file check (the default), a violating file sends nothing at all', async () => {
    const { t, printer } = await withSerial();
    const report = await run(t, await t.job(hot));
    expect(report.outcome).toBe('violation');
    expect(printer.received).toEqual([]);
  });

  it('a forbidden command in a real file stops the stream at that line', async () => {
    const { t, printer } = await withSerial();
    const variant = insertLine(GCODE.screw, 40, 'M302 P1 ; allow cold extrusion');
    const report = await run(t, await t.job(variant, { envelope: ENVELOPE }), { precheck: false });
    expect(report.violations[0]).toEqual({ line: 41, rule: 'forbidden_commands', value: 'M302', limit: '' });
    expect(printer.received).not.toContain('M302 P1');
    expect(printer.received.slice(-5)).toEqual(['M5', 'M104 S0', 'M140 S0', 'M107', 'M84']);
    expect(paths(t.dir).spool && readdirSync(paths(t.dir).spool)).toEqual([]);
  });
});
