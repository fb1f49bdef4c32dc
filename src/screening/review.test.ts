/**
 * Re-screening of stored parties and review memory, on both engines, with the
 * two consecutive weeks of the OFAC SDN list and the UN list of 2018 and 2026:
 * an activation raises alerts only for new hits and hits whose party or entity
 * changed; a decided hit is not raised again; organisations are kept apart;
 * parties of licensing applications are re-screened for their exporter;
 * decisions are in the transparency log and the audit finds nothing altered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../app/seed.js';
import { createOrganisation, findOrganisation } from '../identity/service.js';
import { auditLog } from '../ledger/audit.js';
import { seedLicensingDemo } from '../licensing/demo.js';
import { addParty, loadApplication } from '../licensing/store/applications.js';
import type { LicensingActor } from '../licensing/store/common.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { diffListVersions } from './diff.js';
import { screeningJobs } from './jobs.js';
import type { ListEntity } from './model.js';
import { createParty, decideAlert, decideHit, getAlert, getParty, listAlerts, updateParty, type AlertView, type PartyView } from './review.js';
import { screeningRuntime } from './runtime.js';
import { activateVersion, screenOne } from './service.js';
import { FILES, loadEntities } from './test-support/lists.js';
import { loadOne, TEST_ACTOR } from './test-support/service.js';

const officer = (organisationId: string) => ({ type: 'user' as const, id: 'usr_officer', organisationId });

/** Entities fit to be customers: persons and organisations with distinctive names. */
const fit = (e: ListEntity) => (e.type === 'person' || e.type === 'organisation') && e.name.length >= 12;

describe.each(DIALECTS)('re-screening and review on %s', (dialect) => {
  let s: TestServices;
  let orgA: string;
  let orgB: string;
  let week1: string;
  let week2: string;
  const added: ListEntity[] = [];
  const unchanged: ListEntity[] = [];
  const customers = new Map<string, PartyView>();

  beforeAll(async () => {
    s = await openTestServices(dialect);
    await seedDemo(s);
    orgA = (await findOrganisation(s.database.db, 'Aurora Additive GmbH'))!.id;
    orgB = (await createOrganisation(s.database.db, s.clock, { name: 'Rival Printers Ltd', kind: 'exporter', country: 'GB' })).id;
    const d = diffListVersions(await loadEntities(FILES.sdn20240426), await loadEntities(FILES.sdn20240503));
    added.push(...d.added.filter(fit).slice(0, 3));
    const changedOrGone = new Set([...d.removed, ...d.added].map((e) => e.entity_id));
    const week1Entities = (await loadEntities(FILES.sdn20240426)).filter((e) => fit(e) && !changedOrGone.has(e.entity_id));
    unchanged.push(week1Entities[100]!, week1Entities[2000]!, week1Entities[5000]!);
    week1 = (await loadOne(s, FILES.sdn20240426)).version.id;
    await screeningJobs(s).drain();
  });
  afterAll(async () => {
    await s?.dispose();
  });

  const customer = async (organisationId: string, e: ListEntity, key: string) => {
    const snap = await screeningRuntime(s).snapshot();
    const r = await s.database.db.transaction().execute((trx) =>
      createParty(trx, s.clock, snap, { organisationId, actor: officer(organisationId), party: { name: e.name, type: e.type === 'person' ? 'person' : 'organisation', reference: key } }),
    );
    customers.set(`${organisationId}:${key}`, r.party);
    return r;
  };
  const alertsOn = (alerts: AlertView[], party: PartyView, e: ListEntity) => alerts.filter((a) => a.party_ref === party.id && a.entity_id === e.entity_id);

  it('raises alerts only for new hits when the next week of the SDN list is activated', async () => {
    for (const [i, e] of added.entries()) await customer(orgA, e, `added-${i}`);
    for (const [i, e] of unchanged.entries()) {
      const r = await customer(orgA, e, `unchanged-${i}`);
      // screened at once: listed this week already
      expect(r.screening.matches.map((m) => m.entity_id)).toContain(e.entity_id);
      expect(r.screening.alerts.length).toBeGreaterThan(0);
    }
    const snap = await screeningRuntime(s).snapshot();
    const clean = await s.database.db.transaction().execute((trx) => createParty(trx, s.clock, snap, { organisationId: orgA, actor: officer(orgA), party: { name: 'Nordlicht Maschinenbau GmbH', country: 'DE', type: 'organisation' } }));
    expect(clean.party.status).toBe('clear');
    const before = await listAlerts(s.database.db, orgA, { state: 'all' });
    for (const [i, e] of added.entries()) expect(alertsOn(before, customers.get(`${orgA}:added-${i}`)!, e)).toEqual([]);
    for (const [i, e] of unchanged.entries()) expect(alertsOn(before, customers.get(`${orgA}:unchanged-${i}`)!, e).map((a) => [a.reason, a.trigger])).toEqual([['new', 'party_created']]);

    const loaded = await loadOne(s, FILES.sdn20240503);
    week2 = loaded.version.id;
    await screeningJobs(s).drain();
    const job = await s.database.db.selectFrom('screening_jobs').selectAll().where('id', '=', loaded.rescreen_job!).executeTakeFirstOrThrow();
    expect(job.state).toBe('done');
    expect(Number(job.done)).toBeGreaterThanOrEqual(7);

    const after = await listAlerts(s.database.db, orgA, { state: 'all' });
    const raised = after.filter((a) => a.trigger === 'list_activated');
    for (const [i, e] of added.entries()) {
      expect(alertsOn(raised, customers.get(`${orgA}:added-${i}`)!, e).map((a) => [a.reason, a.state, a.version_id])).toEqual([['new', 'open', week2]]);
    }
    for (const [i, e] of unchanged.entries()) expect(alertsOn(raised, customers.get(`${orgA}:unchanged-${i}`)!, e)).toEqual([]);
    expect(raised.filter((a) => a.party_ref === clean.party.id)).toEqual([]);
    // every alert the activation raised is a hit the customer did not have before
    for (const a of raised) expect(before.some((b) => b.party_ref === a.party_ref && b.entity_id === a.entity_id)).toBe(false);

    // the same activation screened again changes nothing
    const again = await s.database.db.transaction().execute((trx) => activateVersion(s, trx, week1, TEST_ACTOR));
    await s.database.db.transaction().execute((trx) => activateVersion(s, trx, week2, TEST_ACTOR));
    expect(again.rescreen_job).toBeTruthy();
    await screeningJobs(s).drain();
    const open = await listAlerts(s.database.db, orgA);
    expect(open.map((a) => a.id).sort()).toEqual(after.filter((a) => a.state === 'open').map((a) => a.id).sort());
  });

  it('remembers a false positive until the party changes', async () => {
    const u = customers.get(`${orgA}:unchanged-0`)!;
    const alert = alertsOn(await listAlerts(s.database.db, orgA), u, unchanged[0]!)[0]!;
    const d = await s.database.db.transaction().execute((trx) =>
      decideAlert(trx, s.clock, { organisationId: orgA, actor: officer(orgA), alertId: alert.id, decision: 'false_positive', reason: 'Different company: registered in Germany since 1998, no link to the listed party.' }),
    );
    expect(d).toMatchObject({ decision: 'false_positive', alert_id: alert.id, party_ref: u.id, entity_id: unchanged[0]!.entity_id, fingerprint: alert.fingerprint });
    const closed = await getAlert(s.database.db, orgA, alert.id);
    expect(closed.alert).toMatchObject({ state: 'decided', decision: { id: d.id } });
    expect(closed.entity.entity_id).toBe(unchanged[0]!.entity_id);
    await expect(s.database.db.transaction().execute((trx) => decideAlert(trx, s.clock, { organisationId: orgA, actor: officer(orgA), alertId: alert.id, decision: 'true_positive', reason: 'x' }))).rejects.toMatchObject({
      code: 'SCREENING_ALERT_CLOSED',
    });

    // list activations come and go: the decided hit is not raised again
    await s.database.db.transaction().execute((trx) => activateVersion(s, trx, week1, TEST_ACTOR));
    await screeningJobs(s).drain();
    await s.database.db.transaction().execute((trx) => activateVersion(s, trx, week2, TEST_ACTOR));
    await screeningJobs(s).drain();
    expect(alertsOn(await listAlerts(s.database.db, orgA, { state: 'all' }), u, unchanged[0]!).map((a) => a.state)).toEqual(['decided']);
    const party = await getParty(s.database.db, orgA, u.id);
    expect(party.hits.find((h) => h.entity_id === unchanged[0]!.entity_id)!.decision!.id).toBe(d.id);

    // screening the same party ad hoc shows the decision beside the match
    const adhoc = await screenOne(s, orgA, { id: 'q', name: unchanged[0]!.name, type: unchanged[0]!.type === 'person' ? 'person' : 'organisation' });
    expect(adhoc.matches.find((m) => m.entity_id === unchanged[0]!.entity_id)!.review).toMatchObject({ id: d.id, decision: 'false_positive' });
    // …but not to another organisation
    const other = await screenOne(s, orgB, { id: 'q', name: unchanged[0]!.name, type: unchanged[0]!.type === 'person' ? 'person' : 'organisation' });
    expect(other.matches.find((m) => m.entity_id === unchanged[0]!.entity_id)!.review).toBeNull();

    // the party changes (a country is added): the hit is raised again, as changed
    const snap = await screeningRuntime(s).snapshot();
    const changed = await s.database.db.transaction().execute((trx) =>
      updateParty(trx, s.clock, snap, { organisationId: orgA, actor: officer(orgA), id: u.id, party: { name: u.name, type: (u.type ?? undefined) as 'person' | 'organisation' | undefined, country: unchanged[0]!.countries[0] ?? 'IR' }, revision: 1 }),
    );
    const reraised = alertsOn(await listAlerts(s.database.db, orgA), u, unchanged[0]!);
    expect(reraised.map((a) => [a.reason, a.trigger])).toEqual([['changed', 'party_updated']]);
    expect(changed.screening.alerts).toContain(reraised[0]!.id);
    await expect(
      s.database.db.transaction().execute((trx) => updateParty(trx, s.clock, snap, { organisationId: orgA, actor: officer(orgA), id: u.id, party: { name: u.name }, revision: 1 })),
    ).rejects.toMatchObject({ code: 'SCREENING_PARTY_STALE' });
  });

  it('raises a hit again when the listed entity changes, not when only its remarks do', async () => {
    const un2018 = await loadEntities(FILES.un2018);
    const d = diffListVersions(un2018, await loadEntities(FILES.un2026));
    const matching = d.changed.find((c) => c.after.type === 'person' && c.fields.some((f) => f === 'aliases' || f === 'dates_of_birth' || f === 'countries' || f === 'addresses') && c.before.name === c.after.name)!;
    const remarksOnly = d.changed.find((c) => c.after.type === 'person' && c.fields.length === 1 && c.fields[0] === 'remarks' && c.before.name.length > 12)!;
    await loadOne(s, FILES.un2018);
    await screeningJobs(s).drain();
    const a = await customer(orgA, matching.before, 'un-changed');
    const b = await customer(orgA, remarksOnly.before, 'un-remarks');
    // the officer clears both hits as false positives
    for (const [p, e] of [[a.party, matching.before], [b.party, remarksOnly.before]] as const) {
      const alert = alertsOn(await listAlerts(s.database.db, orgA), p, e)[0]!;
      await s.database.db.transaction().execute((trx) => decideAlert(trx, s.clock, { organisationId: orgA, actor: officer(orgA), alertId: alert.id, decision: 'false_positive', reason: 'namesake' }));
    }
    await loadOne(s, FILES.un2026);
    await screeningJobs(s).drain();
    const open = await listAlerts(s.database.db, orgA);
    expect(alertsOn(open, a.party, matching.before).map((x) => [x.reason, x.trigger])).toEqual([['changed', 'list_activated']]);
    expect(alertsOn(open, b.party, remarksOnly.before)).toEqual([]);
  });

  it('keeps organisations apart', async () => {
    const u = customers.get(`${orgA}:unchanged-0`)!;
    // Rival Printers has the same customer: Aurora's decision does not answer Rival's alert
    const r = await customer(orgB, unchanged[0]!, 'same');
    expect(r.screening.alerts.length).toBeGreaterThan(0);
    const bAlerts = await listAlerts(s.database.db, orgB);
    expect(bAlerts.every((x) => x.party_ref === r.party.id)).toBe(true);
    const aAlert = (await listAlerts(s.database.db, orgA))[0]!;
    await expect(getAlert(s.database.db, orgB, aAlert.id)).rejects.toMatchObject({ code: 'SCREENING_ALERT_NOT_FOUND' });
    await expect(getParty(s.database.db, orgB, u.id)).rejects.toMatchObject({ code: 'SCREENING_PARTY_NOT_FOUND' });
    await expect(
      s.database.db.transaction().execute((trx) => decideAlert(trx, s.clock, { organisationId: orgB, actor: officer(orgB), alertId: aAlert.id, decision: 'false_positive', reason: 'x' })),
    ).rejects.toMatchObject({ code: 'SCREENING_ALERT_NOT_FOUND' });
    // an ad hoc decision by Rival on the same party data closes Rival's alert only
    const snap = await screeningRuntime(s).snapshot();
    const d = await s.database.db.transaction().execute((trx) =>
      decideHit(trx, s.clock, snap, { organisationId: orgB, actor: officer(orgB), party: { id: 'q', name: unchanged[0]!.name, type: unchanged[0]!.type === 'person' ? 'person' : 'organisation' }, list: 'us-ofac-sdn', entityId: unchanged[0]!.entity_id, decision: 'true_positive', reason: 'the listed company itself' }),
    );
    expect(d.score).toBeGreaterThan(0.9);
    const bOwn = alertsOn(await listAlerts(s.database.db, orgB, { state: 'all' }), r.party, unchanged[0]!);
    expect(bOwn.map((x) => [x.state, x.decision?.id])).toEqual([['decided', d.id]]);
    await expect(
      s.database.db.transaction().execute((trx) => decideHit(trx, s.clock, snap, { organisationId: orgB, actor: officer(orgB), party: { id: 'q', name: 'x' }, list: 'us-ofac-sdn', entityId: 'nope', decision: 'true_positive', reason: 'x' })),
    ).rejects.toMatchObject({ code: 'SCREENING_ENTITY_NOT_FOUND' });
  });

  it("re-screens the parties of licensing applications for their exporter", async () => {
    const demo = (await seedLicensingDemo(s, { exporter: 'Aurora Additive GmbH', authority: 'Federal Export Licensing Authority' }))!;
    const applicant = await s.database.db.selectFrom('users').select(['id']).where('email', '=', 'applicant@aurora.example').executeTakeFirstOrThrow();
    const actor: LicensingActor = { type: 'user', id: applicant.id, userId: applicant.id, organisationId: orgA, kind: 'exporter', role: 'applicant' };
    const draft = await loadApplication(s.database.db, demo.draft, { side: 'system' });
    const listed = added[1]!;
    const party = await addParty(s.database.db, s.clock, actor, draft, { role: 'end_user', name: listed.name, type: listed.type === 'person' ? 'person' : 'organisation', country: 'AE' });
    // the next activation re-screens it
    await loadOne(s, FILES.consPrim, FILES.consAlt, FILES.consAdd, FILES.consComments);
    await screeningJobs(s).drain();
    const alerts = (await listAlerts(s.database.db, orgA)).filter((a) => a.party_kind === 'application_party');
    const mine = alerts.filter((a) => a.party_ref === party.id && a.entity_id === listed.entity_id);
    expect(mine.map((a) => [a.reason, a.trigger, a.party.application_id, a.party.role])).toEqual([['new', 'list_activated', demo.draft, 'end_user']]);
    expect(await listAlerts(s.database.db, orgB).then((l) => l.filter((a) => a.party_kind === 'application_party'))).toEqual([]);
  });

  it('logs every decision; the audit finds nothing altered', async () => {
    const decisions = await s.database.db.selectFrom('screening_decisions').select('id').execute();
    expect(decisions.length).toBeGreaterThanOrEqual(4);
    const events = await s.database.db.selectFrom('ledger_events').select('record_id').where('event_type', '=', 'screening.decided').execute();
    expect(events.map((e) => e.record_id).sort()).toEqual(decisions.map((d) => d.id).sort());
    await s.ledger.integrate();
    const audit = await auditLog(s.database.db, s.config.logOrigin);
    expect(audit.findings).toEqual([]);
    expect(audit.unverifiable_record_types).not.toContain('screening_decision');
    // decisions cannot be edited through SQL
    await expect(s.database.db.updateTable('screening_decisions').set({ decision: 'true_positive' }).where('id', '=', decisions[0]!.id).execute()).rejects.toThrow(/append-only/);
  });
});
