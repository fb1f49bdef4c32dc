/**
 * Classification as a service, through a real HTTP server on both engines:
 * the spine case (SPINE.md step 1), the item register and its isolation
 * between organisations, recorded classifications as decisive events of the
 * transparency log (and their tampering found by the audit), rule-set status,
 * versions and diffs with their impact on stored items.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../app/server.js';
import { createToken } from '../identity/service.js';
import { auditLog } from '../ledger/audit.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { client, ensureUser, signIn, startTestServer, TEST_PASSWORD, type Client } from '../shared/test-support/http.js';
import { compileRuleSets, ruleSetDigest, type LoadedRuleSet } from './evaluate.js';
import { shippedRuleSets, withRuleSet } from './rules/index.js';
import type { RuleSet } from './rules/ruleset-schema.js';
import { recordClassification } from './store.js';
import { SPINE_MACHINE } from './test-support/items.js';
import type { TraceNode } from './types.js';

type Json = Record<string, unknown>;
interface ApiError {
  error: { code: string; message: string; details?: Json & { field?: string; issues?: Array<{ field: string }> } };
}
interface EntryResult {
  key: string;
  status: string;
  applicable: boolean;
  missing: string[];
  review: string[];
  trace: TraceNode;
}
interface ClassificationBody {
  status: string;
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  rule_sets: Array<{ id: string; version: string; sha256: string }>;
  results: EntryResult[];
  destination?: { destination: { code: string }; regimes: Array<{ regime: string; status: string; reasons: string[]; unknowns: string[] }> };
  comparison?: { controlled_in: string[]; not_controlled_in: string[]; undecided_in: string[] };
}
interface RecordBody {
  id: string;
  item_id: string;
  item_revision: number;
  status: string;
  controlled_by: string[];
  needs_review: string[];
  results: Array<{ key: string; status: string }>;
  rule_sets: Array<{ id: string; version: string; sha256: string }>;
  destination: { code: string; regimes: Array<{ regime: string; status: string; reasons: string[] }> } | null;
  outdated: boolean;
  outdated_rule_sets: Array<{ id: string; recorded_version: string; current_version: string | null }>;
  log: { leaf_index: number | null; commitment: string } | null;
  spec_sha256: string;
}
interface ItemBody {
  id: string;
  name: string;
  kind: string;
  revision: number;
  spec: Json;
  spec_sha256: string;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const spine = () => clone(SPINE_MACHINE) as unknown as Json & { machine: Json };
const withoutClosedLoop = () => {
  const s = spine();
  s.machine.closed_loop_control = { present: false, modifies: [], uses_feedback_from_qualifying_monitoring: false };
  s.name = 'Laser powder-bed metal printer, monitoring only';
  return s;
};

/** Every node of a trace tree, depth first. */
function nodes(t: TraceNode): TraceNode[] {
  return [t, ...(t.children ?? []).flatMap(nodes)];
}
const result = (c: ClassificationBody, key: string) => c.results.find((r) => r.key === key)!;
const condition = (r: EntryResult, id: string) => nodes(r.trace).find((n) => n.node === 'condition' && n.id === id);

/**
 * The shipped US rule set with 2B910's camera band starting at 900 nm instead of
 * 380 nm: a different version under which the spine's 850 nm camera no longer counts.
 */
function narrowedUsRuleSet(version: string): RuleSet {
  const rs = clone(shippedRuleSets().find((s) => s.ruleSet.id === 'us-ear')!.ruleSet);
  rs.version = version;
  const entry = rs.entries.find((e) => e.key === 'US-EAR:2B910')!;
  const band = entry.parameters.find((p) => p.id === '2B910.c.1.w')!;
  if (band.operator !== 'in_range') throw new Error('2B910.c.1.w changed shape');
  band.value = { ...band.value, min: 900 };
  return rs;
}

describe.each(DIALECTS)('classification service on %s', (dialect) => {
  let s: TestServices;
  let server: RunningServer;
  let officer: Client;
  let applicant: Client;
  let auditor: Client;
  let rival: Client;
  let supervisor: Client;
  let authorityAdmin: Client;
  let bearer: Client;
  let orgA: string;
  let officerId: string;

  beforeAll(async () => {
    s = await openTestServices(dialect);
    server = await startTestServer(s);
    const a = { name: 'Aurora Additive GmbH', kind: 'exporter' as const };
    const o = await ensureUser(s, a, 'compliance_officer');
    orgA = o.organisationId;
    officerId = o.userId;
    officer = await signIn(server.url, o.email, TEST_PASSWORD);
    applicant = await signIn(server.url, (await ensureUser(s, a, 'applicant')).email, TEST_PASSWORD);
    auditor = await signIn(server.url, (await ensureUser(s, a, 'auditor')).email, TEST_PASSWORD);
    rival = await signIn(server.url, (await ensureUser(s, { name: 'Rival Printers Ltd', kind: 'exporter' }, 'compliance_officer')).email, TEST_PASSWORD);
    const authority = { name: 'Federal Export Licensing Authority', kind: 'authority' as const };
    supervisor = await signIn(server.url, (await ensureUser(s, authority, 'supervisor')).email, TEST_PASSWORD);
    authorityAdmin = await signIn(server.url, (await ensureUser(s, authority, 'admin')).email, TEST_PASSWORD);
    const t = await createToken(s.database.db, s.clock, { organisationId: orgA, createdBy: officerId, name: 'ERP connector', permissions: ['classification:run', 'items:read'] });
    bearer = client(server.url, { token: t.token });
  });
  afterAll(async () => {
    await server?.close();
    await s?.dispose();
  });

  describe('ad hoc classification', () => {
    it('classifies the spine machine: US 2B910 and EU 2B510 controlled, UK PL9015 open for review, with the parameter trace', async () => {
      const r = await officer.request<ClassificationBody>('POST', '/api/classification/classify', { item: spine() });
      expect(r.status).toBe(200);
      const c = r.body;
      expect(c.controlled_by).toEqual(['US-EAR:2B910', 'EU-2021/821:2B510']);
      expect(c.status).toBe('controlled');
      expect(c.needs_information).toEqual([]);
      expect(c.needs_review).toContain('UK-ECO2008:PL9015');
      // The UK data marks PL9015's remaining parameters as not retrieved: needs review, never a silent answer.
      const uk = result(c, 'UK-ECO2008:PL9015');
      expect(uk.status).toBe('needs_review');
      expect(uk.review.join(' ')).toMatch(/not retrieved/);
      expect(c.rule_sets.map((x) => x.id)).toEqual(shippedRuleSets().map((x) => x.ruleSet.id));
      expect(c.rule_sets.map((x) => x.sha256)).toEqual(shippedRuleSets().map((x) => x.sha256));

      // The trace: the monitoring list is met by element 0, the co-axial camera, at 850 nm inside (380, 14000] nm.
      const us = result(c, 'US-EAR:2B910');
      const monitoring = nodes(us.trace).find((n) => n.node === 'any_element')!;
      expect(monitoring).toMatchObject({ path: 'machine.in_process_monitoring', result: 'met', satisfied_by: [0] });
      expect(condition(us, '2B910.c.cfg')).toMatchObject({ parameter: 'machine.in_process_monitoring[0].configuration', found: 'co-axial', result: 'met' });
      expect(condition(us, '2B910.c.1.w')).toMatchObject({
        parameter: 'machine.in_process_monitoring[0].peak_response_wavelength',
        operator: 'in_range',
        found: { value: 850, unit: 'nm' },
        converted: { value: 850, unit: 'nm' },
        threshold: { min: 380, min_inclusive: false, max: 14000, max_inclusive: true, unit: 'nm' },
        result: 'met',
      });
      expect(condition(us, '2B910.d')).toMatchObject({ parameter: 'machine.closed_loop_control.present', found: true, result: 'met' });
      expect(condition(us, '2B910.b.1')).toMatchObject({ found: ['inert_gas'], result: 'met' });
      expect(c.comparison!.controlled_in).toEqual(expect.arrayContaining(['US-EAR', 'EU-2021/821']));
      expect(c.comparison!.undecided_in).toContain('UK');
    });

    it('the same machine without closed loop is not controlled by 2B910 or 2B510, and the trace says why', async () => {
      const r = await officer.request<ClassificationBody>('POST', '/api/classification/classify', { item: withoutClosedLoop(), destination: 'CN' });
      expect(r.status).toBe(200);
      expect(r.body.controlled_by).toEqual([]);
      expect(result(r.body, 'US-EAR:2B910').status).toBe('not_controlled');
      expect(result(r.body, 'EU-2021/821:2B510').status).toBe('not_controlled');
      expect(condition(result(r.body, 'US-EAR:2B910'), '2B910.d')).toMatchObject({ found: false, result: 'not_met' });
      // the monitoring alone still satisfies paragraph c: only the closed loop is missing
      expect(nodes(result(r.body, 'US-EAR:2B910').trace).find((n) => n.node === 'any_element')!.result).toBe('met');
      const us = r.body.destination!.regimes.find((x) => x.regime === 'US-EAR')!;
      expect(us.status).toBe('not_controlled');
    });

    it('for destination CN shows the licence requirement per regime with its reasons', async () => {
      const r = await officer.request<ClassificationBody>('POST', '/api/classification/classify', { item: spine(), destination: 'cn', compare: false });
      expect(r.status).toBe(200);
      const d = r.body.destination!;
      expect(d.destination.code).toBe('CN');
      const us = d.regimes.find((x) => x.regime === 'US-EAR')!;
      expect(us.status).toBe('licence_required');
      expect(us.reasons.join('\n')).toMatch(/US-EAR:2B910: NS: worldwide control/);
      const eu = d.regimes.find((x) => x.regime === 'EU-2021/821')!;
      expect(eu.status).toBe('licence_required');
      expect(eu.reasons.join('\n')).toMatch(/CN is outside the EU customs territory/);
      expect(d.regimes.find((x) => x.regime === 'UK')!.status).toBe('needs_review');
      expect(r.body.comparison).toBeUndefined();
    });

    it('converts units before comparing and shows the converted value: a pyrometer up to 1273.15 K is exactly 1000 °C, outside', async () => {
      const item = spine();
      item.machine.in_process_monitoring = [{ sensor_type: 'pyrometer', configuration: 'co-axial', max_measurable_temperature: { value: 1273.15, unit: 'K' } }];
      const r = await officer.request<ClassificationBody>('POST', '/api/classification/classify', { item, regimes: ['us-ear'] });
      expect(r.status).toBe(200);
      expect(r.body.rule_sets.map((x) => x.id)).toEqual(['us-ear']);
      const us = result(r.body, 'US-EAR:2B910');
      expect(us.status).toBe('not_controlled');
      expect(condition(us, '2B910.c.2.t')).toMatchObject({ found: { value: 1273.15, unit: 'K' }, converted: { value: 1000, unit: 'degC' }, operator: 'gt', result: 'not_met' });
      (item.machine.in_process_monitoring as Json[])[0]!.max_measurable_temperature = { value: 1273.16, unit: 'K' };
      const hot = await officer.request<ClassificationBody>('POST', '/api/classification/classify', { item, regimes: ['us-ear'] });
      expect(result(hot.body, 'US-EAR:2B910').status).toBe('controlled');
    });

    it('lists exactly the missing parameters, never counting a missing one as false', async () => {
      const item = spine();
      delete item.machine.closed_loop_control;
      const r = await officer.request<ClassificationBody>('POST', '/api/classification/classify', { item, regimes: ['us-ear'] });
      const us = result(r.body, 'US-EAR:2B910');
      expect(us.status).toBe('needs_information');
      expect(us.missing).toEqual(['machine.closed_loop_control.present', 'machine.closed_loop_control.modifies', 'machine.closed_loop_control.uses_feedback_from_qualifying_monitoring']);
      expect(r.body.needs_information).toContain('US-EAR:2B910');
      expect(r.body.status).toBe('needs_information');
    });

    it('answers an API token as it answers the UI', async () => {
      const r = await bearer.request<ClassificationBody>('POST', '/api/classification/classify', { item: spine() });
      expect(r.status).toBe(200);
      expect(r.body.controlled_by).toEqual(['US-EAR:2B910', 'EU-2021/821:2B510']);
    });

    it('refuses invalid specifications with 400 and a code naming the field', async () => {
      const bad = async (item: unknown, extra: Json = {}) => {
        const r = await officer.request<ApiError>('POST', '/api/classification/classify', { item, ...extra });
        expect(r.status).toBe(400);
        return r.body.error;
      };
      const kelvin = spine();
      kelvin.machine.chamber_vacuum_pressure = { value: 1, unit: 'K' };
      expect(await bad(kelvin)).toMatchObject({ code: 'CLASSIFICATION_UNIT_DIMENSION', details: { field: 'machine.chamber_vacuum_pressure', unit: 'K' } });
      const furlong = spine();
      (furlong.machine.in_process_monitoring as Json[])[0]!.peak_response_wavelength = { value: 3, unit: 'furlong' };
      expect(await bad(furlong)).toMatchObject({ code: 'CLASSIFICATION_UNIT_UNKNOWN', details: { field: 'machine.in_process_monitoring[0].peak_response_wavelength' } });
      const typo = spine();
      typo.machine.closed_loop = true;
      const e = await bad(typo);
      expect(e.code).toBe('CLASSIFICATION_ITEM_INVALID');
      expect(e.details!.issues!.map((i) => i.field)).toContain('machine');
      expect(e.message).toMatch(/closed_loop/);
      const wrongType = spine();
      wrongType.machine.process_atmosphere = 'argon';
      expect((await bad(wrongType)).details!.issues!.map((i) => i.field)).toContain('machine.process_atmosphere');
      expect((await bad({ kind: 'time_machine' })).code).toBe('CLASSIFICATION_ITEM_INVALID');
      const none = await bad(undefined);
      expect(none.code).toBe('REQUEST_INVALID');
      expect(none.message).toMatch(/^item:/);
      expect((await bad(spine(), { destination: 'XX' })).code).toBe('CLASSIFICATION_COUNTRY_UNKNOWN');
      expect((await bad(spine(), { regimes: ['narnia'] })).code).toBe('CLASSIFICATION_REGIME_UNKNOWN');
      expect((await bad(spine(), { colour: 'red' })).code).toBe('REQUEST_INVALID');
    });

    it('answers hostile bodies with a specific error, never a crash', async () => {
      const deep = '{"item":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
      const asJson = { 'content-type': 'application/json' };
      const r1 = await officer.request<ApiError>('POST', '/api/classification/classify', deep, asJson);
      expect(r1.status).toBe(400);
      expect(r1.body.error.code).toMatch(/^(CLASSIFICATION_ITEM_INVALID|REQUEST_INVALID|REQUEST_MALFORMED)$/);
      const r2 = await officer.request<ApiError>('POST', '/api/classification/classify', '{"item": {"kind": "am_machine",', asJson);
      expect(r2.status).toBe(400);
      // more sensors than any machine has: refused by the schema's list bound, naming the list
      const many = spine();
      many.machine.in_process_monitoring = Array.from({ length: 65 }, () => ({ sensor_type: 'photodiode', configuration: 'off-axis' }));
      const r3 = await officer.request<ApiError>('POST', '/api/classification/classify', { item: many });
      expect(r3.status).toBe(400);
      expect(r3.body.error.details!.issues!.map((i) => i.field)).toContain('machine.in_process_monitoring');
      // still serving
      expect((await officer.request('POST', '/api/classification/classify', { item: spine() })).status).toBe(200);
    });
  });

  describe('the item register', () => {
    it('adds, reads, revises and removes items; a stale revision is refused', async () => {
      const created = await officer.request<ItemBody>('POST', '/api/items', { spec: withoutClosedLoop() });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'Laser powder-bed metal printer, monitoring only', kind: 'am_machine', revision: 1 });
      expect(created.body.spec_sha256).toMatch(/^[0-9a-f]{64}$/);
      const id = created.body.id;
      expect((await officer.request<ItemBody>('GET', `/api/items/${id}`)).body.spec).toEqual(withoutClosedLoop());

      const renamed = await officer.request<ItemBody>('PUT', `/api/items/${id}`, { name: 'LPBF-400 without closed loop', spec: withoutClosedLoop(), revision: 1 });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'LPBF-400 without closed loop', revision: 2 });
      const stale = await officer.request<ApiError>('PUT', `/api/items/${id}`, { spec: withoutClosedLoop(), revision: 1 });
      expect(stale.status).toBe(409);
      expect(stale.body.error.code).toBe('CLASSIFICATION_ITEM_STALE');
      const invalid = await officer.request<ApiError>('PUT', `/api/items/${id}`, { spec: { ...withoutClosedLoop(), kind: 'am_gizmo' } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.code).toBe('CLASSIFICATION_ITEM_INVALID');

      const listed = await auditor.request<{ items: Array<{ id: string; latest_classification: unknown }> }>('GET', '/api/items');
      expect(listed.body.items.find((i) => i.id === id)).toMatchObject({ latest_classification: null });
      // an auditor reads but does not write
      expect((await auditor.request<ApiError>('POST', '/api/items', { spec: spine() })).status).toBe(403);

      expect((await applicant.request('DELETE', `/api/items/${id}`)).status).toBe(204);
      const gone = await officer.request<ApiError>('GET', `/api/items/${id}`);
      expect(gone.status).toBe(404);
      expect(gone.body.error.code).toBe('CLASSIFICATION_ITEM_NOT_FOUND');
    });

    it('needs a name, here or in the specification', async () => {
      const { name: _n, ...anonymous } = spine();
      const r = await officer.request<ApiError>('POST', '/api/items', { spec: anonymous });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'CLASSIFICATION_ITEM_NAME_REQUIRED', details: { field: 'name' } });
      const named = await officer.request<ItemBody>('POST', '/api/items', { name: 'Anonymous printer', spec: anonymous });
      expect(named.status).toBe(201);
      expect((await officer.request('DELETE', `/api/items/${named.body.id}`)).status).toBe(204);
    });

    it("keeps organisations apart: another organisation's item is not found, whatever the verb", async () => {
      const mine = (await officer.request<ItemBody>('POST', '/api/items', { spec: spine() })).body;
      for (const [method, path, body] of [
        ['GET', `/api/items/${mine.id}`, undefined],
        ['PUT', `/api/items/${mine.id}`, { spec: spine() }],
        ['DELETE', `/api/items/${mine.id}`, undefined],
        ['GET', `/api/items/${mine.id}/classifications`, undefined],
        ['POST', `/api/items/${mine.id}/classifications`, {}],
      ] as const) {
        const r = await rival.request<ApiError>(method, path, body);
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.body.error.code).toBe('CLASSIFICATION_ITEM_NOT_FOUND');
      }
      expect((await rival.request<{ items: ItemBody[] }>('GET', '/api/items')).body.items).toEqual([]);
      const recorded = await officer.request<{ record: RecordBody }>('POST', `/api/items/${mine.id}/classifications`, {});
      const other = await rival.request<ApiError>('GET', `/api/classifications/${recorded.body.record.id}`);
      expect(other.status).toBe(404);
      expect(other.body.error.code).toBe('CLASSIFICATION_RECORD_NOT_FOUND');
      // unchanged by the attempts
      expect((await officer.request<ItemBody>('GET', `/api/items/${mine.id}`)).body.revision).toBe(1);
    });
  });

  describe('recorded classifications', () => {
    let itemId: string;
    let record: RecordBody;

    it('records the classification of a stored item with its rule-set versions, as a decisive event of the log', async () => {
      itemId = (await officer.request<ItemBody>('POST', '/api/items', { spec: spine() })).body.id;
      const r = await officer.request<{ record: RecordBody; classification: ClassificationBody }>('POST', `/api/items/${itemId}/classifications`, { destination: 'CN', note: 'SPINE step 1' });
      expect(r.status).toBe(201);
      record = r.body.record;
      expect(record).toMatchObject({ item_id: itemId, item_revision: 1, status: 'controlled', controlled_by: ['US-EAR:2B910', 'EU-2021/821:2B510'], outdated: false, outdated_rule_sets: [] });
      expect(record.needs_review).toContain('UK-ECO2008:PL9015');
      expect(record.rule_sets).toEqual(shippedRuleSets().map((x) => ({ id: x.ruleSet.id, regime: x.ruleSet.regime, version: x.ruleSet.version, sha256: x.sha256 })));
      expect(record.destination!.code).toBe('CN');
      expect(record.destination!.regimes.find((x) => x.regime === 'US-EAR')!.status).toBe('licence_required');
      expect(r.body.classification.results.find((x) => x.key === 'US-EAR:2B910')!.trace.result).toBe('met');

      const events = await s.database.db.selectFrom('ledger_events').selectAll().where('record_type', '=', 'classification').where('record_id', '=', record.id).execute();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ event_type: 'classification.recorded', organisation_id: orgA, commitment: record.log!.commitment });
      const trail = await s.database.db.selectFrom('audit_events').select(['action', 'target_id']).where('action', '=', 'classification.recorded').execute();
      expect(trail.map((t) => t.target_id)).toContain(record.id);
    });

    it('lists the history with the log position once integrated, and rebuilds the decided trace exactly', async () => {
      await s.ledger.integrate();
      const list = await applicant.request<{ classifications: RecordBody[] }>('GET', `/api/items/${itemId}/classifications`);
      expect(list.status).toBe(200);
      expect(list.body.classifications.map((x) => x.id)).toEqual([record.id]);
      expect(list.body.classifications[0]!.log!.leaf_index).toEqual(expect.any(Number));
      const one = await auditor.request<{ record: RecordBody; classification: ClassificationBody; trace: string }>('GET', `/api/classifications/${record.id}`);
      expect(one.status).toBe(200);
      expect(one.body.trace).toBe('rebuilt');
      expect(one.body.classification.controlled_by).toEqual(record.controlled_by);
      expect(one.body.classification.destination!.destination.code).toBe('CN');
      const items = await officer.request<{ items: Array<{ id: string; latest_classification: { id: string; status: string; outdated: boolean } }> }>('GET', '/api/items');
      expect(items.body.items.find((i) => i.id === itemId)!.latest_classification).toMatchObject({ id: record.id, status: 'controlled', outdated: false });
      // a classified item is evidence: it stays
      const del = await officer.request<ApiError>('DELETE', `/api/items/${itemId}`);
      expect(del.status).toBe(409);
      expect(del.body.error.code).toBe('CLASSIFICATION_ITEM_HAS_CLASSIFICATIONS');
    });

    it('keeps the specification it classified when the item changes later', async () => {
      const changed = (await officer.request<ItemBody>('PUT', `/api/items/${itemId}`, { spec: withoutClosedLoop() })).body;
      expect(changed.revision).toBe(2);
      const one = await officer.request<{ record: RecordBody & { spec: Json } }>('GET', `/api/classifications/${record.id}`);
      expect(one.body.record.spec).toEqual(spine());
      expect(one.body.record.spec_sha256).toBe(record.spec_sha256);
      const again = await officer.request<{ record: RecordBody }>('POST', `/api/items/${itemId}/classifications`, {});
      expect(again.body.record).toMatchObject({ item_revision: 2, status: 'needs_review', controlled_by: [], destination: null });
      const list = await officer.request<{ classifications: RecordBody[] }>('GET', `/api/items/${itemId}/classifications`);
      expect(list.body.classifications.map((x) => x.id)).toEqual([again.body.record.id, record.id]);
    });

    it('audits clean; the row is append-only; an edit below SQL triggers is reported as record_altered', async () => {
      await s.ledger.integrate();
      const clean = await auditLog(s.database.db, s.ledger.origin);
      expect(clean.findings).toEqual([]);
      expect(clean.unverifiable_record_types).not.toContain('classification');

      const db = s.database.db;
      await expect(db.updateTable('classification_records').set({ status: 'not_controlled' }).where('id', '=', record.id).execute()).rejects.toThrow(/append-only/);
      // Someone with DDL rights drops the guard and rewrites the decision: the log still notices.
      if (dialect === 'sqlite') await sql`drop trigger classification_records_no_update`.execute(db);
      else await sql`drop trigger classification_records_append_only on classification_records`.execute(db);
      await db.updateTable('classification_records').set({ status: 'not_controlled', controlled_by: '[]' }).where('id', '=', record.id).execute();
      const report = await auditLog(db, s.ledger.origin);
      expect(report.ok).toBe(false);
      expect(report.findings).toEqual([expect.objectContaining({ kind: 'record_altered', record_type: 'classification', record_id: record.id })]);
    });

    it('flags a classification made under a rule set that is no longer in force', async () => {
      const older = clone(shippedRuleSets().find((x) => x.ruleSet.id === 'us-ear')!.ruleSet);
      older.version = '2026-01-15.1';
      const loaded: LoadedRuleSet = { ruleSet: older, sha256: ruleSetDigest(older) };
      const engine = compileRuleSets(withRuleSet(loaded));
      const id = (await officer.request<ItemBody>('POST', '/api/items', { spec: spine() })).body.id;
      const old = await s.database.db.transaction().execute((trx) => recordClassification(trx, s.clock, engine, { organisationId: orgA, actor: { type: 'user', id: officerId }, itemId: id }));
      expect(old.record.outdated).toBe(false); // current for the engine that made it

      const list = await officer.request<{ classifications: RecordBody[] }>('GET', `/api/items/${id}/classifications`);
      expect(list.body.classifications[0]).toMatchObject({
        outdated: true,
        outdated_rule_sets: [{ id: 'us-ear', recorded_version: '2026-01-15.1', current_version: shippedRuleSets()[0]!.ruleSet.version }],
      });
      const one = await officer.request<{ classification: null; trace: string }>('GET', `/api/classifications/${old.record.id}`);
      expect(one.body).toMatchObject({ classification: null, trace: 'unavailable' });
      const items = await officer.request<{ items: Array<{ id: string; latest_classification: { outdated: boolean } }> }>('GET', '/api/items');
      expect(items.body.items.find((i) => i.id === id)!.latest_classification.outdated).toBe(true);
    });
  });

  describe('rule sets', () => {
    it('lists each rule set with its dates, and flags review and sunset dates that have passed', async () => {
      type Rules = { date: string; rule_sets: Array<{ id: string; version: string; review_date: string; sunset_date: string | null; state: string; flagged: boolean }> };
      // A token, not a session: sessions expire while the clock jumps ahead.
      const started = s.clock.now();
      try {
        s.clock.set('2026-12-01T10:00:00Z');
        const now = await bearer.request<Rules>('GET', '/api/rules');
        expect(now.status).toBe(200);
        expect(now.body.date).toBe('2026-12-01');
        expect(now.body.rule_sets.map((r) => r.id)).toEqual(shippedRuleSets().map((r) => r.ruleSet.id));
        const uk = shippedRuleSets().find((r) => r.ruleSet.id === 'uk')!.ruleSet;
        expect(now.body.rule_sets.find((r) => r.id === 'uk')).toMatchObject({ state: 'current', flagged: false, review_date: uk.review_date });
        // on the UK review date still current; the day after, flagged; the day after its sunset, sunset passed
        s.clock.set(`${uk.review_date}T23:59:59Z`);
        expect((await bearer.request<Rules>('GET', '/api/rules')).body.rule_sets.find((r) => r.id === 'uk')).toMatchObject({ state: 'current', flagged: false });
        s.clock.advance(1000);
        expect((await bearer.request<Rules>('GET', '/api/rules')).body.rule_sets.find((r) => r.id === 'uk')).toMatchObject({ state: 'review_overdue', flagged: true });
        s.clock.set(`${uk.sunset_date}T12:00:00Z`);
        s.clock.advance(24 * 3600_000);
        const sunset = await bearer.request<Rules>('GET', '/api/rules');
        expect(sunset.body.rule_sets.find((r) => r.id === 'uk')).toMatchObject({ state: 'sunset_passed', flagged: true });
        expect(sunset.body.rule_sets.filter((r) => r.flagged).map((r) => r.id)).toEqual(expect.arrayContaining(['uk', 'ca-ecl']));
      } finally {
        s.clock.set(started);
      }
    });

    it('serves the published JSON Schemas to anyone', async () => {
      const item = await client(server.url).request<Json>('GET', '/api/schemas/item');
      expect(item.status).toBe(200);
      expect(item.body.$id).toBe('https://fabgate.dev/schemas/item.schema.json');
      const rules = await client(server.url).request<Json>('GET', '/api/schemas/ruleset');
      expect(rules.status).toBe(200);
      expect(JSON.stringify(rules.body)).toContain('fabgate-ruleset/1');
    });

    it('stores a new version, diffs it against the one in force, and names the items and recorded classifications it would change', async () => {
      const doc = narrowedUsRuleSet('2026-09-01.1');
      const up = await supervisor.request<{ id: string; sha256: string; version: string; shipped: boolean }>('POST', '/api/rules', { rule_set: doc, note: 'camera band narrowed (test)' });
      expect(up.status).toBe(201);
      expect(up.body).toMatchObject({ version: '2026-09-01.1', shipped: false, sha256: ruleSetDigest(doc) });
      const again = await supervisor.request<ApiError>('POST', '/api/rules', { rule_set: doc });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('CLASSIFICATION_RULESET_EXISTS');
      const shipped = await supervisor.request<ApiError>('POST', '/api/rules', { rule_set: shippedRuleSets()[0]!.ruleSet });
      expect(shipped.body.error.code).toBe('CLASSIFICATION_RULESET_EXISTS');
      const broken = clone(doc);
      broken.version = '2026-09-02.1';
      broken.entries[0]!.parameters[0]!.name = 'machine.flux_capacitor';
      const bad = await supervisor.request<ApiError>('POST', '/api/rules', { rule_set: broken });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('CLASSIFICATION_RULESET_INVALID');
      expect((await officer.request<ApiError>('POST', '/api/rules', { rule_set: doc })).status).toBe(403);

      const versions = await officer.request<{ versions: Array<{ rule_set_id: string; version: string; shipped: boolean }> }>('GET', '/api/rules');
      expect(versions.body.versions.filter((v) => v.rule_set_id === 'us-ear').map((v) => [v.version, v.shipped])).toEqual([
        [shippedRuleSets()[0]!.ruleSet.version, true],
        ['2026-09-01.1', false],
      ]);

      type Diff = {
        from: { version: string };
        to: { version: string; sha256: string };
        diff: { changed: Array<{ key: string; changes: Array<{ what: string }> }>; added: string[]; removed: string[] };
        impact: {
          items: Array<{ item_id: string; changes: Array<{ key: string; old_status: string; new_status: string }> }>;
          items_checked: number;
          recorded: Array<{ classification_id: string; changes: Array<{ key: string; old_status: string; new_status: string }> }>;
          recorded_checked: number;
          recorded_under_other_versions: number;
        } | null;
      };
      const d = await officer.request<Diff>('GET', '/api/rules/diff?rule_set=us-ear&to=2026-09-01.1');
      expect(d.status).toBe(200);
      expect(d.body.from.version).toBe(shippedRuleSets()[0]!.ruleSet.version);
      expect(d.body.diff.changed).toEqual([{ key: 'US-EAR:2B910', changes: [expect.objectContaining({ what: 'parameter 2B910.c.1.w changed' })] }]);
      expect(d.body.diff.added).toEqual([]);
      const impact = d.body.impact!;
      // the organisation's spine machines (850 nm camera) would no longer be caught by 2B910
      const spineItems = (await officer.request<{ items: Array<{ id: string; spec_sha256: string }> }>('GET', '/api/items')).body.items;
      expect(impact.items_checked).toBe(spineItems.length);
      expect(impact.items.length).toBeGreaterThan(0);
      for (const it of impact.items) expect(it.changes).toEqual([{ key: 'US-EAR:2B910', old_status: 'controlled', new_status: 'not_controlled' }]);
      // Recorded classifications: the newest per item made under the shipped version; one was made under an older one.
      expect(impact.recorded_under_other_versions).toBe(1);
      expect(impact.recorded.length).toBeGreaterThan(0);
      for (const r of impact.recorded) expect(r.changes).toEqual([{ key: 'US-EAR:2B910', old_status: 'controlled', new_status: 'not_controlled' }]);
      // by digest too; and a reader without items:read sees the diff without the impact
      const bySha = await authorityAdmin.request<Diff>('GET', `/api/rules/diff?rule_set=us-ear&from=current&to=${d.body.to.sha256}`);
      expect(bySha.status).toBe(200);
      expect(bySha.body.diff.changed.map((c) => c.key)).toEqual(['US-EAR:2B910']);
      expect(bySha.body.impact).toBeNull();
      const unknown = await officer.request<ApiError>('GET', '/api/rules/diff?rule_set=us-ear&to=1999-01-01.1');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('CLASSIFICATION_RULESET_NOT_FOUND');
      const noTo = await officer.request<ApiError>('GET', '/api/rules/diff?rule_set=us-ear');
      expect(noTo.status).toBe(400);
    });

    it('refuses a rule set nested deeper than the limit', async () => {
      let logic: unknown = '2B910.heading';
      for (let i = 0; i < 80; i++) logic = { not: logic };
      const doc = narrowedUsRuleSet('2026-09-03.1');
      doc.entries.find((e) => e.key === 'US-EAR:2B910')!.branches[0]!.logic = logic as never;
      const r = await supervisor.request<ApiError>('POST', '/api/rules', { rule_set: doc });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('CLASSIFICATION_RULESET_TOO_DEEP');
    });
  });
});
