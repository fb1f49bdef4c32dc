import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../cli/io.js';
import { runAgentCli } from './cli.js';
import { FakeMoonraker, FakeOctoPrint } from './test-support/fake-hosts.js';
import { FakeFabgate } from './test-support/fake-fabgate.js';
import { GCODE, deviceKeys, insertLine, makeIssuer, sealGcode, tempDir, ticketFor, writeBundle } from './test-support/fixtures.js';
import { keyFingerprint } from '../designs/securecontent/keys.js';
import { loadDeviceKeys } from './keys.js';
import { writeFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

describe('the import graph of fabgate-agent', () => {
  /** Every module main.ts loads at run time, following relative imports (type-only imports are erased). */
  function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const source = readFileSync(file, 'utf8');
      const specifiers = [
        ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'";]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
        ...[...source.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!),
        ...[...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
      ];
      for (const spec of specifiers) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
          if (!existsSync(target)) throw new Error(`${file} imports ${spec}, which does not exist`);
          visit(target);
        } else {
          packages.add(spec.startsWith('node:') ? 'node:' : spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'));
        }
      }
    };
    visit(entry);
    return { files, packages };
  }

  it('loads only node builtins, zod, and the XML and ZIP readers of the design format — no web framework, database or logger', () => {
    const { files, packages } = importGraph(join(here, 'main.ts'));
    expect([...packages].sort()).toEqual(['node:', 'saxes', 'yauzl', 'zod']);
    for (const heavy of ['hono', '@hono/node-server', '@hono/zod-openapi', 'kysely', 'pino', 'better-sqlite3', 'pg', 'commander', 'prom-client', '@node-rs/argon2', 'ws']) {
      expect(packages.has(heavy), heavy).toBe(false);
    }
    const folders = new Set([...files].map((f) => f.slice(repo.length + 1).split('/').slice(0, 2).join('/')));
    // the agent's own code plus the format modules it verifies with; nothing of the server
    expect([...folders].sort()).toEqual(['src/agent', 'src/cli', 'src/designs', 'src/gcode', 'src/ledger', 'src/shared', 'src/tickets']);
    const server = [...files].filter((f) => /\/(routes|store|service|tables)\.ts$|src\/ledger\/(log|store|routes|decisive)\.ts$|src\/cli\/(program|main)\.ts$/.test(f));
    expect(server).toEqual([]);
  });
});

function captureIO(env: NodeJS.ProcessEnv = {}): { io: CliIO; out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const stdin = new PassThrough();
  stdin.end();
  return { io: { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), stdin, env, cwd: repo }, out: () => stdout, err: () => stderr };
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const c = captureIO(env);
  const code = await runAgentCli(argv, c.io);
  return { code, stdout: c.out(), stderr: c.err(), json: () => JSON.parse(c.out().trim().split('\n').at(-1)!) as Record<string, unknown> };
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

beforeAll(async () => {
  await deviceKeys();
});

describe('fabgate-agent commands', () => {
  it('enrol, trust, printer, print, status, flush — with the documented exit codes', { timeout: 120_000 }, async () => {
    const issuer = makeIssuer();
    const server = await new FakeFabgate(issuer).start();
    const octo = await new FakeOctoPrint().start();
    stops.push(() => server.stop(), () => octo.stop());
    const work = tempDir();
    const dir = join(work, 'agent');
    const env = { FABGATE_AGENT_DIR: dir };

    expect((await cli([])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['status', '--json'], env)).json()).toMatchObject({ error: { code: 'AGENT_NOT_ENROLLED' } });
    expect((await cli(['enrol', '--server', server.url], env)).code).toBe(2); // --token missing

    const enrolled = await cli(['enrol', '--server', server.url, '--token', server.newToken(), '--name', 'bench-printer', '--json'], env);
    expect(enrolled.code).toBe(0);
    const deviceId = enrolled.json().device_id as string;
    expect(server.devices.has(deviceId)).toBe(true);
    expect((await cli(['printer', 'octoprint', '--url', octo.url, '--api-key', octo.apiKey, '--default', '--json'], env)).json()).toMatchObject({ printer: 'octoprint', settings: { api_key: '(set)' } });
    const jwks = join(work, 'issuers.json');
    writeFileSync(jwks, JSON.stringify({ keys: [issuer.jwk] }));
    expect((await cli(['trust', '--issuer-keys', jwks, '--json'], env)).json()).toMatchObject({ issuer_keys: [issuer.kid] });

    const keys = await loadDeviceKeys(dir);
    expect(keyFingerprint(keys.contentKey)).toBe(enrolled.json().content_key_sha256);
    const device = { id: deviceId, keys };
    const design = await sealGcode(work, readFileSync(GCODE.screw), device);
    const bundle = writeBundle(work, ticketFor(device, design.hash, issuer, { prints: 1 }));
    const printed = await cli(['print', '--design', design.file, '--ticket', bundle, '--json'], env);
    expect(printed.code).toBe(0);
    expect(printed.json()).toMatchObject({ outcome: 'completed', counter: 1, prints: 1, printer: 'octoprint' });

    const again = await cli(['print', '--design', design.file, '--ticket', bundle, '--json'], env);
    expect(again.code).toBe(1);
    expect(again.json()).toMatchObject({ error: { code: 'TICKET_EXHAUSTED' } });
    expect(again.stderr).toContain('error TICKET_EXHAUSTED');

    const hot = await sealGcode(work, insertLine(GCODE.screw, 1700, 'M104 S300'), device);
    const violating = await cli(['print', '--design', hot.file, '--ticket', writeBundle(work, ticketFor(device, hot.hash, issuer)), '--json'], env);
    expect(violating.code).toBe(1);
    expect(violating.json()).toMatchObject({ outcome: 'violation', violations: [{ line: 1701, rule: 'nozzle_temp_c' }] });
    expect(violating.stderr).toContain('error GCODE_ENVELOPE_VIOLATION: line 1701 breaks nozzle_temp_c');

    const status = await cli(['status', '--json'], env);
    expect(status.code).toBe(0);
    expect(status.json()).toMatchObject({ device_id: deviceId, issuer_keys: [issuer.kid], printers: ['octoprint'], state: { chain_seq: 3, acked_seq: 3, pending_records: 0 } });
    expect((await cli(['flush', '--json'], env)).json()).toMatchObject({ reachable: true, pending: 0, acked_seq: 3 });
    expect(server.devices.get(deviceId)!.records.map((r) => r.outcome)).toEqual(['completed', 'refused', 'violation']);
    const human = await cli(['status'], env);
    expect(human.stdout).toContain(`device ${deviceId}`);
  });
});

describe('the fabgate-agent process', () => {
  /** Run src/agent/main.ts in its own Node process (through tsx), as the print host would. */
  function agentProcess(args: string[], env: NodeJS.ProcessEnv, nodeFlags: string[] = []) {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', join(here, 'main.ts'), ...args], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    return { child, done };
  }

  async function enrolled() {
    const issuer = makeIssuer();
    const server = await new FakeFabgate(issuer).start();
    stops.push(() => server.stop());
    const work = tempDir();
    const dir = join(work, 'agent');
    const keys = (await deviceKeys())[0]!;
    const { enrol } = await import('./enrol.js');
    const report = await enrol({ dir, server: server.url, token: server.newToken(), keys });
    const device = { id: report.device_id, keys };
    const design = await sealGcode(work, readFileSync(GCODE.screw), device);
    const bundle = writeBundle(work, ticketFor(device, design.hash, issuer));
    return { server, work, dir, design, bundle, device };
  }

  // Each starts Node processes that compile the agent with tsx: a generous harness timeout, no timing assertion.
  it("drives Moonraker over JSON-RPC with Node's own WebSocket client (--experimental-websocket on Node 20)", { timeout: 180_000 }, async () => {
    const { server, dir, design, bundle, device } = await enrolled();
    const moon = await new FakeMoonraker().start();
    stops.push(() => moon.stop());
    const env = { FABGATE_AGENT_DIR: dir };
    expect((await agentProcess(['printer', 'moonraker', '--url', moon.url, '--transport', 'websocket', '--default'], env).done).code).toBe(0);
    const flags = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : [];
    const { code, stdout, stderr } = await agentProcess(['print', '--design', design.file, '--ticket', bundle, '--json'], env, flags).done;
    expect(stderr).not.toMatch(/error /);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'completed', printer: 'moonraker' });
    expect(moon.rpcCalls).toEqual(['printer.objects.subscribe', 'printer.print.start']);
    expect(server.devices.get(device.id)!.records[0]).toMatchObject({ outcome: 'completed' });
  });

  it('SIGINT during a print cancels it through the printer and still records the job', { timeout: 180_000 }, async () => {
    const { server, dir, design, bundle, device } = await enrolled();
    const octo = await new FakeOctoPrint().start();
    stops.push(() => octo.stop());
    octo.pollsToFinish = Number.POSITIVE_INFINITY;
    const env = { FABGATE_AGENT_DIR: dir };
    expect((await agentProcess(['printer', 'octoprint', '--url', octo.url, '--api-key', octo.apiKey, '--default'], env).done).code).toBe(0);
    const { child, done } = agentProcess(['print', '--design', design.file, '--ticket', bundle, '--json'], env);
    let signalled = false;
    octo.onPrinting = () => {
      if (!signalled) child.kill('SIGINT');
      signalled = true;
    };
    const { code, stdout } = await done;
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'cancelled' });
    expect(octo.jobCommands).toEqual(['start', 'cancel']);
    expect(server.devices.get(device.id)!.records[0]).toMatchObject({ outcome: 'cancelled', counter: 1 });
  });
});
