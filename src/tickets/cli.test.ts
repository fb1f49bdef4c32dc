/**
 * `fabgate ticket …` and `fabgate device …` in process: enrolment tokens from
 * the console, a ticket issued through the database, verified offline from
 * the files a printer would hold (bundle, JWK set, device key, log key,
 * revocation list), revoked, and the log audit over it all. SQLite: the CLI
 * finds its database through FABGATE_DATA_DIR like `fabgate serve` does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDeviceCommands } from '../devices/cli.js';
import { registerLedgerServiceCommands } from '../ledger/service-cli.js';
import { runCli } from '../shared/test-support/cli.js';
import { client } from '../shared/test-support/http.js';
import { registerTicketCommands } from './cli.js';
import { edKeys, openTicketWorld, PART_3MF, rsaKeys, type EnrolledDevice, type TicketWorld } from './test-support/world.js';

const registrars = [registerTicketCommands, registerDeviceCommands, registerLedgerServiceCommands];

describe('ticket and device commands', () => {
  let w: TicketWorld;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let host: EnrolledDevice;
  let licence: Awaited<ReturnType<TicketWorld['grant']>>;
  let designId: string;
  const run = (argv: string[]) => runCli(registrars, argv, { env, cwd: dir });

  beforeAll(async () => {
    // The CLI reads the real clock: so does this world.
    w = await openTicketWorld('sqlite', { realTime: true });
    env = { FABGATE_DATA_DIR: w.services.config.dataDir, FABGATE_KEK: w.services.config.kek, FABGATE_LOG_LEVEL: 'silent', FABGATE_LOG_ORIGIN: w.services.config.logOrigin };
    dir = mkdtempSync(join(tmpdir(), 'fabgate-ticket-cli-'));
    licence = await w.grant(5);
    designId = (await w.upload(w.officer, PART_3MF(), 'hinge-bracket.3mf')).body.id;
  });
  afterAll(async () => {
    await w?.close();
  });

  it('prints a one-time enrolment token a print host enrols with', async () => {
    const r = await run(['device', 'enrol-token', '--org', 'Northwind Print Services', '--name', 'Console host', '--json']);
    expect(r.code).toBe(0);
    const { token, record } = r.json<{ token: string; record: { organisation_id: string } }>();
    expect(record.organisation_id).toBe(w.operatorId);
    const content = rsaKeys();
    const signing = edKeys();
    const enrolled = await client(w.server.url).request<{ device_id: string; api_token: string; content_key_sha256: string; device: { name: string } }>('POST', '/api/devices/enrol', { token, content_key: content.pem, signing_key: signing.pem });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.device.name).toBe('Console host');
    host = { id: enrolled.body.device_id, apiToken: enrolled.body.api_token, client: client(w.server.url, { token: enrolled.body.api_token }), contentKey: content, signingKey: signing, contentKeySha256: enrolled.body.content_key_sha256, signingKeySha256: '' };
    writeFileSync(join(dir, 'device.pub.pem'), content.pem);
    const listed = await run(['device', 'list', '--org', 'Northwind Print Services', '--json']);
    expect(listed.json<{ devices: Array<{ id: string }> }>().devices.map((d) => d.id)).toContain(host.id);
    expect((await run(['device', 'enrol-token', '--org', 'Nobody Ltd'])).code).toBe(1);
  });

  it('issues a ticket from the console and verifies the bundle offline, receipt included', async () => {
    expect((await w.officer.request('POST', `/api/licences/${licence.id}/devices`, { device_id: host.id })).status).toBe(201);
    writeFileSync(join(dir, 'envelope.json'), JSON.stringify({ nozzle_temp_c: { max: 260 }, bed_temp_c: { max: 110 }, build_volume_mm: { x: [0, 250], y: [-4, 210], z: [0, 210] } }));
    const notAfter = new Date(Date.now() + 7 * 86400_000).toISOString();
    const issued = await run(['ticket', 'issue', '--licence', licence.id, '--design', designId, '--device', host.id, '--prints', '2', '--not-after', notAfter, '--envelope', 'envelope.json', '--out', 'bundle.json', '--json']);
    expect(issued.code, issued.stderr).toBe(0);
    const out = issued.json<{ ticket: { jti: string; manifest_sha256: string; prints: number }; log_index: string | null }>();
    expect(out.ticket.prints).toBe(2);
    expect(out.log_index).not.toBeNull();
    // what a printer holds: the bundle, the issuer key set, its own key, the log key
    const jwks = await run(['ticket', 'issuer-keys', '--json']);
    writeFileSync(join(dir, 'issuers.json'), jwks.stdout);
    const logKey = (await client(w.server.url).request<string>('GET', '/log/key')).body.trim();
    const verified = await run(['ticket', 'verify', 'bundle.json', '--key', 'issuers.json', '--device-key', 'device.pub.pem', '--design-hash', out.ticket.manifest_sha256, '--log-key', logKey, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json()).toMatchObject({ valid: true, jti: out.ticket.jti, prints: 2, checked: { device: true, design: true, log_index: out.log_index } });

    // the bare JWS verifies too (no receipt to check)
    const bundle = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as { ticket: string; log: { receipt: string } };
    writeFileSync(join(dir, 'ticket.jws'), bundle.ticket + '\n');
    const bare = await run(['ticket', 'verify', 'ticket.jws', '--key', 'issuers.json', '--json']);
    expect(bare.json()).toMatchObject({ valid: true, checked: { device: false, log_index: null } });
    // and each failure is exit 1 with its code
    writeFileSync(join(dir, 'other.pub.pem'), rsaKeys().pem);
    const failures: Array<[string[], string]> = [
      [['ticket', 'verify', 'bundle.json', '--key', 'issuers.json', '--device-key', 'other.pub.pem', '--json'], 'TICKET_WRONG_DEVICE'],
      [['ticket', 'verify', 'bundle.json', '--key', 'issuers.json', '--now', new Date(Date.now() + 30 * 86400_000).toISOString(), '--json'], 'TICKET_EXPIRED'],
      [['ticket', 'verify', 'bundle.json', '--key', 'issuers.json', '--design-hash', 'ab'.repeat(32), '--json'], 'TICKET_DESIGN_MISMATCH'],
      [['ticket', 'verify', 'ticket.jws', '--key', 'issuers.json', '--log-key', logKey, '--json'], 'TICKET_RECEIPT_INVALID'],
    ];
    writeFileSync(join(dir, 'stranger.pem'), edKeys().pem);
    failures.push([['ticket', 'verify', 'bundle.json', '--key', 'stranger.pem', '--json'], 'TICKET_ISSUER_UNKNOWN']);
    const [h, p, s] = bundle.ticket.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as { prints: number };
    writeFileSync(join(dir, 'forged.json'), JSON.stringify({ ...bundle, ticket: `${h}.${Buffer.from(JSON.stringify({ ...payload, prints: 99 })).toString('base64url')}.${s}` }));
    failures.push([['ticket', 'verify', 'forged.json', '--key', 'issuers.json', '--json'], 'TICKET_SIGNATURE_INVALID']);
    for (const [argv, code] of failures) {
      const r = await run(argv);
      expect([r.code, r.json<{ error: { code: string } }>().error.code], argv.join(' ')).toEqual([1, code]);
    }
    expect((await run(['ticket', 'verify', 'missing.json', '--key', 'issuers.json'])).code).toBe(2);
  });

  it('revokes from the console; a printer holding the new list refuses the ticket', async () => {
    const bundle = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as { ticket: string };
    const jti = (JSON.parse(Buffer.from(bundle.ticket.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    const revoked = await run(['ticket', 'revoke', jti, '--reason', 'Licence holder asked', '--json']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json<{ state: string }>().state).toBe('revoked');
    writeFileSync(join(dir, 'revocations.jws'), (await client(w.server.url).request<string>('GET', '/api/tickets/revocations')).body);
    const r = await run(['ticket', 'verify', 'bundle.json', '--key', 'issuers.json', '--revocations', 'revocations.jws', '--json']);
    expect([r.code, r.json<{ error: { code: string } }>().error.code]).toEqual([1, 'TICKET_REVOKED']);
  });

  it('refuses past the balance with exit 1, and `fabgate log audit` passes until a ticket row is edited', async () => {
    const notAfter = new Date(Date.now() + 7 * 86400_000).toISOString();
    const over = await run(['ticket', 'issue', '--licence', licence.id, '--design', designId, '--device', host.id, '--prints', '4', '--not-after', notAfter, '--envelope', 'envelope.json', '--json']);
    expect([over.code, over.json<{ error: { code: string } }>().error.code]).toEqual([1, 'LICENSING_BALANCE_EXCEEDED']);
    const audit = await run(['log', 'audit', '--state', join(dir, 'seen.json'), '--json']);
    expect(audit.code, audit.stdout).toBe(0);
    const t = await w.services.database.db.selectFrom('print_tickets').select(['jti', 'not_after']).executeTakeFirstOrThrow();
    await w.services.database.db.updateTable('print_tickets').set({ not_after: '2099-01-01T00:00:00.000Z' }).where('jti', '=', t.jti).execute();
    const tampered = await run(['log', 'audit', '--state', join(dir, 'seen.json'), '--json']);
    expect(tampered.code).toBe(1);
    expect(tampered.json<{ findings: Array<{ kind: string; record_id: string }> }>().findings).toContainEqual(expect.objectContaining({ kind: 'record_altered', record_id: t.jti }));
  });
});
