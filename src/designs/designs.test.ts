/**
 * Protected designs on the server, both engines, real HTTP: uploads are
 * protected at once (never stored in the clear), hostile archives are refused
 * with the securecontent codes, a design is released only to devices named
 * under a licence in force, and a device opens its release with its own
 * private key to the original parts; nobody else gets it.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../shared/test-support/databases.js';
import { sharedData } from '../shared/test-support/shared-data.js';
import { openTicketWorld, PART_3MF, PART_GCODE, type EnrolledDevice, type TicketWorld } from '../tickets/test-support/world.js';
import { inspectPackage, openEnvelopeStream, openProtectedPackage, readDesignManifestHash, SafeZip } from './securecontent/index.js';
import { craftZip } from './securecontent/test-support/zips.js';
import { sniffDesignFormat } from './service.js';

type Err = { error: { code: string; details?: { reason?: string } } };
const MiB = 1024 * 1024;
const mustFail = (name: string) => readFileSync(sharedData('3mf', '3mf-samples', 'validation tests', '_archive', '3mf-Verify', 'MUSTFAIL', name));

describe.each(DIALECTS)('protected designs on %s', (dialect) => {
  let w: TicketWorld;
  let host1: EnrolledDevice;
  let host2: EnrolledDevice;
  let licence: Awaited<ReturnType<TicketWorld['grant']>>;

  beforeAll(async () => {
    w = await openTicketWorld(dialect);
    [host1, host2] = [await w.enrol(undefined, 'Bureau MK4 #1'), await w.enrol(undefined, 'Bureau MK4 #2')];
    licence = await w.grant(10);
    for (const d of [host1, host2]) expect((await w.officer.request('POST', `/api/licences/${licence.id}/devices`, { device_id: d.id })).status).toBe(201);
  });
  afterAll(async () => {
    await w?.close();
  });

  /** The fetch in the test client decodes bodies as text; downloads are fetched raw here. */
  const raw = async (token: string | null, path: string, cookieOf?: TicketWorld['officer']) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (cookieOf?.cookie) headers.cookie = cookieOf.cookie;
    const res = await fetch(w.server.url + path, { headers });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, bytes, hash: res.headers.get('x-fabgate-manifest-sha256'), code: res.status === 200 ? undefined : (JSON.parse(bytes.toString('utf8')) as Err).error.code };
  };

  it('protects a 3MF on upload: only a sealed package is stored, sealed to the vault and signed', async () => {
    const plain = PART_3MF();
    const res = await w.upload(w.officer, plain, 'hinge-bracket.3mf');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ format: '3mf', filename: 'hinge-bracket.3mf', name: 'hinge-bracket', plain_size: plain.length });
    const row = await w.services.database.db.selectFrom('designs').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    const stored = Buffer.from(row.content);
    // the model XML and the slicer config are nowhere in the stored bytes
    expect(stored.includes(Buffer.from('<vertex'))).toBe(false);
    expect(stored.includes(Buffer.from('<triangle'))).toBe(false);
    const report = await inspectPackage({ buffer: stored });
    expect(report.keystore?.consumers.map((c) => c.consumerId)).toEqual(['fabgate-vault']);
    expect(report.manifest.status).toBe('verified');
    expect(await readDesignManifestHash({ buffer: stored })).toBe(row.stored_sha256);
  });

  it('refuses hostile and broken uploads with the securecontent codes, storing nothing', async () => {
    const before = (await w.services.database.db.selectFrom('designs').select('id').execute()).length;
    const model = '<?xml version="1.0" encoding="UTF-8"?><model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources/><build/></model>';
    const cases: Array<[string, Buffer, string, string?]> = [
      ['DTD in the model', mustFail('MUSTFAIL_Chapter2.3.2b_DataTypeDefinitionInXMLMarkup.3mf'), 'DESIGN_XML_DTD_FORBIDDEN'],
      ['zip bomb', craftZip([{ name: '3D/3dmodel.model', content: Buffer.alloc(64 * MiB), method: 8 }]), 'DESIGN_ARCHIVE_TOO_LARGE', 'ratio'],
      ['path traversal', craftZip([{ name: '../../etc/cron.d/evil', content: Buffer.from(model) }]), 'DESIGN_ARCHIVE_UNSAFE', 'path-traversal'],
      ['duplicate entries', craftZip([{ name: '3D/3dmodel.model', content: Buffer.from(model) }, { name: '3D/3dmodel.model', content: Buffer.from(model) }]), 'DESIGN_ARCHIVE_UNSAFE'],
      ['truncated archive', PART_3MF().subarray(0, 2000), 'DESIGN_ARCHIVE_MALFORMED'],
      ['not a design at all', Buffer.from('%PDF-1.7 a contract, not a part'), 'DESIGN_FORMAT_UNSUPPORTED'],
    ];
    for (const [what, bytes, code, reason] of cases) {
      const r = await w.upload(w.officer, bytes, 'upload.3mf');
      expect(r.body.error?.code, what).toBe(code);
      if (reason) expect((r.body as unknown as Err).error.details?.reason, what).toBe(reason);
      expect(r.status, what).toBeGreaterThanOrEqual(400);
    }
    expect((await w.services.database.db.selectFrom('designs').select('id').execute()).length).toBe(before);
    // an applicant may read designs but not upload them
    expect((await w.upload(w.applicant, PART_3MF(), 'x.3mf')).status).toBe(403);
  });

  it('refuses an upload over the configured limit', async () => {
    const limit = w.services.config.uploadLimit;
    const big = Buffer.alloc(limit + 1, 0x47);
    const r = await w.upload(w.officer, big, 'huge.gcode');
    expect([r.status, r.body.error?.code]).toEqual([413, 'REQUEST_TOO_LARGE']);
  });

  it('releases a 3MF to devices named under the licence; each opens it with its own key to the original parts', async () => {
    const plain = PART_3MF();
    const up = await w.upload(w.officer, plain, 'bracket.3mf');
    const rel = await w.officer.request<{ release: { id: string; manifest_sha256: string; devices: Array<{ id: string }> }; created: boolean }>('POST', `/api/designs/${up.body.id}/releases`, {
      licence_id: licence.id,
      device_ids: [host1.id, host2.id],
    });
    expect(rel.status).toBe(200);
    expect(rel.body.created).toBe(true);
    expect(rel.body.release.devices.map((d) => d.id).sort()).toEqual([host1.id, host2.id].sort());
    // the same devices and keys again: the same release
    const again = await w.officer.request<{ release: { id: string }; created: boolean }>('POST', `/api/designs/${up.body.id}/releases`, { licence_id: licence.id, device_ids: [host2.id, host1.id] });
    expect(again.body).toMatchObject({ created: false, release: { id: rel.body.release.id } });

    const original = await SafeZip.open({ buffer: plain });
    const originalParts = new Map<string, Buffer>();
    for (const e of original.entries) originalParts.set(e.partName, await original.readEntry(e.partName, 1 << 30));
    await original.close();

    for (const host of [host1, host2]) {
      const pkg = await raw(host.apiToken, `/api/designs/${up.body.id}/package`);
      expect(pkg.status).toBe(200);
      expect(pkg.hash).toBe(rel.body.release.manifest_sha256);
      expect(await readDesignManifestHash({ buffer: pkg.bytes })).toBe(rel.body.release.manifest_sha256);
      const opened = await openProtectedPackage({ buffer: pkg.bytes }, { consumerId: host.id, privateKey: host.contentKey.privateKey, requireManifest: true });
      try {
        // the root model moved behind a shell: its geometry is the encrypted part, byte for byte
        expect((await opened.readPart('/3D/protected.model')).equals(originalParts.get('/3D/3dmodel.model')!)).toBe(true);
        expect((await opened.readPart('/Metadata/Slic3r_PE_model.config')).equals(originalParts.get('/Metadata/Slic3r_PE_model.config')!)).toBe(true);
      } finally {
        await opened.close();
      }
      // the vault is not a consumer of a release
      expect((await inspectPackage({ buffer: pkg.bytes })).keystore?.consumers.map((c) => c.consumerId).sort()).toEqual([host1.id, host2.id].sort());
    }
    // the exporter downloads a device's release too
    const forHost = await raw(null, `/api/designs/${up.body.id}/package?device=${host1.id}`, w.officer);
    expect(forHost.hash).toBe(rel.body.release.manifest_sha256);
  });

  it('seals bare G-code in an envelope and releases it re-sealed to the device', async () => {
    const gcode = PART_GCODE();
    const up = await w.upload(w.officer, gcode, 'screw.gcode');
    expect(up.body).toMatchObject({ format: 'gcode', content_type: 'text/x.gcode' });
    const stored = Buffer.from((await w.services.database.db.selectFrom('designs').select('content').where('id', '=', up.body.id).executeTakeFirstOrThrow()).content);
    expect(stored.subarray(0, 5).toString('latin1')).toBe('FGENV');
    expect(stored.includes(gcode.subarray(0, 200))).toBe(false);
    const rel = await w.officer.request<{ release: { manifest_sha256: string } }>('POST', `/api/designs/${up.body.id}/releases`, { licence_id: licence.id, device_ids: [host1.id] });
    const pkg = await raw(host1.apiToken, `/api/designs/${up.body.id}/package`);
    expect(pkg.hash).toBe(rel.body.release.manifest_sha256);
    const chunks: Buffer[] = [];
    for await (const c of openEnvelopeStream(Readable.from([pkg.bytes]), { consumerId: host1.id, privateKey: host1.contentKey.privateKey, requireSignature: true })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(gcode)).toBe(true);
    // host 2 is named under the licence but this release is not wrapped to it
    const other = await raw(host2.apiToken, `/api/designs/${up.body.id}/package`);
    expect([other.status, other.code]).toEqual([404, 'DESIGN_RELEASE_NOT_FOUND']);
    // nor may host 2 ask for host 1's
    expect((await raw(host2.apiToken, `/api/designs/${up.body.id}/package?device=${host1.id}`)).status).toBe(404);
  });

  it('releases only to devices named under a licence in force that the exporter holds', async () => {
    const up = await w.upload(w.officer, PART_3MF(), 'bracket.3mf');
    const stranger = await w.enrol(undefined, 'Not named');
    const notNamed = await w.officer.request<Err>('POST', `/api/designs/${up.body.id}/releases`, { licence_id: licence.id, device_ids: [stranger.id] });
    expect([notNamed.status, notNamed.body.error.code]).toEqual([409, 'TICKET_DEVICE_NOT_NAMED']);
    const othersLicence = await w.grant(5, { holder: 'other' });
    const foreign = await w.officer.request<Err>('POST', `/api/designs/${up.body.id}/releases`, { licence_id: othersLicence.id, device_ids: [host1.id] });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'LICENSING_LICENCE_NOT_FOUND']);
    // another exporter cannot see, release or download the design
    expect((await w.other.request<Err>('GET', `/api/designs/${up.body.id}`)).status).toBe(404);
    const otherRelease = await w.other.request<Err>('POST', `/api/designs/${up.body.id}/releases`, { licence_id: othersLicence.id, device_ids: [host1.id] });
    expect([otherRelease.status, otherRelease.body.error.code]).toEqual([404, 'DESIGN_NOT_FOUND']);
    expect((await raw(null, `/api/designs/${up.body.id}/package?device=${host1.id}`, w.other)).status).toBe(404);
  });

  it('links a design to a classification register item and shows its latest classification', async () => {
    const item = await w.officer.request<{ id: string }>('POST', '/api/items', { spec: { kind: 'printed_part', name: 'Hinge bracket', part: { is_firearm_or_firearm_part: false } } });
    expect(item.status).toBe(201);
    const classified = await w.officer.request<{ record: { id: string; status: string } }>('POST', `/api/items/${item.body.id}/classifications`, {});
    expect(classified.status).toBe(201);
    const up = await w.upload(w.officer, PART_3MF(), 'bracket.3mf', { item_id: item.body.id });
    expect(up.status).toBe(201);
    const got = await w.officer.request<{ design: { item: { id: string; name: string; classification: { id: string; status: string } | null } } }>('GET', `/api/designs/${up.body.id}`);
    expect(got.body.design.item).toMatchObject({ id: item.body.id, name: 'Hinge bracket', classification: { id: classified.body.record.id, status: classified.body.record.status } });
    const unlinked = await w.officer.request<{ item: unknown }>('PATCH', `/api/designs/${up.body.id}`, { item_id: null });
    expect(unlinked.body.item).toBeNull();
    const foreignItem = await w.other.request<{ id: string }>('POST', '/api/items', { spec: { kind: 'printed_part', name: 'Theirs', part: { is_firearm_or_firearm_part: false } } });
    const bad = await w.officer.request<Err>('PATCH', `/api/designs/${up.body.id}`, { item_id: foreignItem.body.id });
    expect([bad.status, bad.body.error.code]).toEqual([404, 'DESIGN_ITEM_NOT_FOUND']);
  });

  it('lists to a device only the designs released to it', async () => {
    const listed = await host2.client.request<{ designs: Array<{ id: string }> }>('GET', '/api/designs');
    const mine = await w.officer.request<{ designs: Array<{ id: string }> }>('GET', '/api/designs');
    expect(listed.body.designs.length).toBeGreaterThan(0);
    expect(listed.body.designs.length).toBeLessThan(mine.body.designs.length);
  });
});

describe('design format sniffing', () => {
  it('reads the format from the bytes', () => {
    expect(sniffDesignFormat(PART_3MF())).toBe('3mf');
    expect(sniffDesignFormat(PART_GCODE())).toBe('gcode');
    expect(sniffDesignFormat(readFileSync(sharedData('gcode', 'prusaslicer', 'part.stl')))).toBe('stl');
    expect(sniffDesignFormat(readFileSync(sharedData('3mf', 'lib3mf', 'Tests', 'TestFiles', 'CPP_UnitTests', 'Box.stl')))).toBe('stl');
    expect(() => sniffDesignFormat(Buffer.from([0, 1, 2, 3, 4, 5]))).toThrow(expect.objectContaining({ code: 'DESIGN_FORMAT_UNSUPPORTED' }));
  });
});

