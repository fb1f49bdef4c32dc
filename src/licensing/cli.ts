/**
 * `fabgate application …`, `fabgate case …`, `fabgate licence …`: the common
 * licensing steps from a terminal or a script, on the configured database.
 *
 * A step taken for a person names them with `--as <e-mail>`: the state
 * machine checks their role as it would over HTTP, and the audit trail
 * records them. Exit codes: 0 done, 1 refused (wrong state, guard, balance),
 * 2 bad input.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { recordAudit, type Actor } from '../audit/trail.js';
import { withServices } from '../app/cli.js';
import type { Services } from '../app/services.js';
import { CliExit, EXIT, emit, type CliIO } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import type { OrganisationKind, Role } from '../identity/permissions.js';
import { findOrganisation } from '../identity/service.js';
import { FabgateError } from '../shared/errors.js';
import { describeIssues } from '../shared/zod-issues.js';
import { contentSchema, partyInputSchema, valueSchema } from './model.js';
import { authorityView, exporterView } from './presenters.js';
import { addDocument, addItem, addParty, checklistOf, createApplication, listApplications, loadApplication, loadSnapshot } from './store/applications.js';
import { queueQuery, takeTransition, type TransitionInput } from './store/cases.js';
import { SYSTEM_ACTOR, machineActor, type Db, type LicensingActor } from './store/common.js';
import { depleteLicence, licenceView, listLicences, loadLicence, LICENCE_STATUSES } from './store/licences.js';
import { loadCaseBundle, loadInternalBundle } from './store/views.js';
import './store/records.js';

const MAX_FILE_BYTES = 16 * 1024 * 1024;

function readFile(io: CliIO, path: string): Buffer {
  const full = isAbsolute(path) ? path : resolve(io.cwd, path);
  let size: number;
  try {
    size = statSync(full).size;
  } catch (e) {
    throw new FabgateError('LICENSING_FILE_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'invalid_input');
  }
  if (size > MAX_FILE_BYTES) throw new FabgateError('LICENSING_FILE_TOO_LARGE', `${path}: more than ${MAX_FILE_BYTES} bytes`, 'too_large');
  return readFileSync(full);
}

/** The person a step is taken for: their role and organisation, as over HTTP. */
async function actorFor(db: Db, email: string | undefined): Promise<LicensingActor> {
  if (!email) return SYSTEM_ACTOR;
  const u = await db
    .selectFrom('users')
    .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
    .select(['users.id', 'users.role', 'users.disabled_at', 'organisations.id as org', 'organisations.kind'])
    .where('users.email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  if (!u || u.disabled_at) throw new FabgateError('LICENSING_CLI_USER_UNKNOWN', `no active user '${email}'`, 'invalid_input');
  return { type: 'user', id: u.id, userId: u.id, organisationId: u.org, kind: u.kind as OrganisationKind, role: u.role as Role };
}

const auditActor = (a: LicensingActor): Actor => (a.type === 'system' ? { type: 'system', id: 'cli', organisationId: null } : { type: 'user', id: a.id, organisationId: a.organisationId });

/** Run a write in one transaction with its audit record. */
async function write<T>(s: Services, actor: LicensingActor, action: string, target: [string, string | null], fn: (trx: Db) => Promise<T>): Promise<T> {
  return s.database.db.transaction().execute(async (trx) => {
    const out = await fn(trx);
    const id = target[1] ?? (out as { id?: string })?.id ?? null;
    await recordAudit(trx, { actor: auditActor(actor), action, targetType: target[0], targetId: id, at: s.clock.now() });
    return out;
  });
}

const applicationFileSchema = z.strictObject({
  licence_type: z.string(),
  authority: z.string().optional(),
  content: contentSchema.optional(),
  items: z.array(z.strictObject({ spec: z.record(z.string(), z.unknown()), quantity: z.number().nullable().optional(), unit: z.string().nullable().optional(), value: valueSchema.nullable().optional() })).max(200).default([]),
  parties: z.array(partyInputSchema).max(50).default([]),
  documents: z.array(z.strictObject({ doc_type: z.string(), path: z.string(), party: z.number().int().min(0).optional() })).max(50).default([]),
});

function parseApplicationFile(text: string) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FabgateError('LICENSING_CLI_INPUT_INVALID', `not JSON: ${(e as Error).message}`, 'invalid_input');
  }
  const r = applicationFileSchema.safeParse(value);
  if (!r.success) {
    throw new FabgateError('LICENSING_CLI_INPUT_INVALID', `not an application file: ${describeIssues(r.error, 3)}`, 'invalid_input', { issues: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) });
  }
  return r.data;
}

export const registerLicensingCommands: CommandRegistrar = (program, { io }) => {
  /* ------------------------------------------------------------ application */
  const app = program.command('application').description('Licence applications (the exporter’s side)');

  app
    .command('create')
    .description('Create a draft from a JSON file: licence_type, content, items (specs), parties, documents (paths)')
    .requiredOption('--as <email>', 'the applicant (a user of an exporter organisation)')
    .requiredOption('--from <file>', 'application JSON')
    .option('--json')
    .action(async (opts: { as: string; from: string; json?: boolean }) => {
      const input = parseApplicationFile(readFile(io, opts.from).toString('utf8'));
      const docs = input.documents.map((d) => ({ ...d, bytes: new Uint8Array(readFile(io, d.path)), filename: basename(d.path) }));
      const view = await withServices(io, async (s) => {
        const actor = await actorFor(s.database.db, opts.as);
        if (actor.kind !== 'exporter') throw new FabgateError('LICENSING_CLI_USER_UNKNOWN', `${opts.as} is not an exporter's user`, 'invalid_input');
        const authority = input.authority ? await findOrganisation(s.database.db, input.authority) : undefined;
        if (input.authority && !authority) throw new FabgateError('LICENSING_AUTHORITY_UNKNOWN', `no authority '${input.authority}'`, 'invalid_input');
        const row = await write(s, actor, 'licensing.application_created', ['licensing_application', null], async (trx) => {
          const r = await createApplication(trx, s.clock, actor, actor.organisationId!, { licence_type: input.licence_type, ...(authority ? { authority_id: authority.id } : {}), ...(input.content ? { content: input.content } : {}) });
          for (const it of input.items) await addItem(trx, s.clock, actor, await loadApplication(trx, r.id, { side: 'system' }), it);
          const parties = [];
          for (const p of input.parties) parties.push(await addParty(trx, s.clock, actor, await loadApplication(trx, r.id, { side: 'system' }), p));
          for (const d of docs) {
            await addDocument(trx, s.clock, actor, await loadApplication(trx, r.id, { side: 'system' }), { doc_type: d.doc_type, filename: d.filename, bytes: d.bytes, ...(d.party !== undefined ? { party_id: parties[d.party]?.id ?? null } : {}) });
          }
          return r;
        });
        const fresh = await loadApplication(s.database.db, row.id, { side: 'system' });
        return exporterView(await loadCaseBundle(s.database.db, fresh, s.clock.now()), machineActor(actor));
      });
      emit(io, !!opts.json, view, (out) => {
        out(`${view.id}  draft ${view.licence_type}: ${view.items.length} item(s), ${view.parties.length} part(ies), ${view.documents.length} document(s)`);
        const open = view.checklist!.entries.filter((e) => e.status === 'missing' || e.status === 'inconsistent');
        out(open.length ? `checklist: ${open.length} open\n${open.map((e) => `  ${e.status.padEnd(12)} ${e.message}`).join('\n')}` : 'checklist: clear, ready to submit');
      });
    });

  app
    .command('list')
    .description("An exporter's applications, most recently changed first")
    .requiredOption('--org <id-or-name>', 'exporter organisation')
    .option('--state <state>')
    .option('--limit <n>', 'how many', '50')
    .option('--json')
    .action(async (opts: { org: string; state?: string; limit: string; json?: boolean }) => {
      const rows = await withServices(io, async (s) => {
        const org = await findOrganisation(s.database.db, opts.org);
        if (!org) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${opts.org}'`, 'invalid_input');
        return listApplications(s.database.db, org.id, { limit: Math.min(500, Number(opts.limit) || 50), ...(opts.state ? { state: opts.state } : {}) });
      });
      const list = rows.map((r) => ({ id: r.id, reference: r.reference, state: r.state, licence_type: r.licence_type, kind: r.kind, updated_at: r.updated_at }));
      emit(io, !!opts.json, { applications: list }, (out) => list.forEach((a) => out(`${a.id}  ${(a.reference ?? '(draft)').padEnd(18)} ${a.state.padEnd(22)} ${a.licence_type}`)));
    });

  app
    .command('checklist')
    .description('The completeness checklist of an application, computed now; exit 1 when not clear')
    .argument('<id>')
    .option('--json')
    .action(async (id: string, opts: { json?: boolean }) => {
      const c = await withServices(io, async (s) => {
        const row = await loadApplication(s.database.db, id, { side: 'system' });
        return checklistOf(s.database.db, row, await loadSnapshot(s.database.db, row));
      });
      emit(io, !!opts.json, c, (out) => c.entries.forEach((e) => out(`${e.status.padEnd(12)} ${e.message}`)));
      if (!c.clear) throw new CliExit(EXIT.failure);
    });

  for (const [name, transition, describe] of [
    ['submit', 'submit', 'Submit an application (refused until its checklist is clear)'],
    ['withdraw', 'withdraw', 'Withdraw an application'],
  ] as const) {
    app
      .command(name)
      .description(describe)
      .argument('<id>')
      .requiredOption('--as <email>', 'the applicant')
      .option('--reasons <text>')
      .option('--json')
      .action(async (id: string, opts: { as: string; reasons?: string; json?: boolean }) => {
        const row = await withServices(io, async (s) => {
          const actor = await actorFor(s.database.db, opts.as);
          return write(s, actor, `licensing.application_${name === 'submit' ? 'submitted' : 'withdrawn'}`, ['licensing_application', id], async (trx) =>
            takeTransition(trx, s.clock, actor, await loadApplication(trx, id, { side: 'exporter', organisationId: actor.organisationId! }), transition, opts.reasons ? { reasons: opts.reasons } : {}),
          );
        });
        emit(io, !!opts.json, { id: row.id, reference: row.reference, state: row.state, queue: row.queue }, (out) => out(`${row.id}  ${row.reference ?? ''} ${row.state}`));
      });
  }

  /* ------------------------------------------------------------ case */
  const kase = program.command('case').description('Cases (the authority’s side)');

  kase
    .command('list')
    .description("An authority's queue, oldest submission first (or soonest due with --due)")
    .requiredOption('--authority <id-or-name>')
    .option('--queue <queue>')
    .option('--state <state>')
    .option('--overdue', 'only overdue cases')
    .option('--due', 'sort by due date')
    .option('--limit <n>', 'how many', '50')
    .option('--json')
    .action(async (opts: { authority: string; queue?: string; state?: string; overdue?: boolean; due?: boolean; limit: string; json?: boolean }) => {
      const rows = await withServices(io, async (s) => {
        const org = await findOrganisation(s.database.db, opts.authority);
        if (!org || org.kind !== 'authority') throw new FabgateError('LICENSING_AUTHORITY_UNKNOWN', `no authority '${opts.authority}'`, 'invalid_input');
        return queueQuery(s.database.db, org.id, s.clock.now(), {
          sort: opts.due ? 'due' : 'submitted',
          limit: Math.min(500, Number(opts.limit) || 50),
          ...(opts.queue ? { queue: opts.queue } : {}),
          ...(opts.state ? { state: opts.state } : {}),
          ...(opts.overdue ? { overdue: true } : {}),
        }).execute();
      });
      const list = rows.map((r) => ({ id: r.id, reference: r.reference, state: r.state, queue: r.queue, risk_band: r.risk_band, submitted_at: r.submitted_at, sla_due_at: r.sla_due_at }));
      emit(io, !!opts.json, { cases: list }, (out) =>
        list.forEach((c) => out(`${c.id}  ${(c.reference ?? '').padEnd(18)} ${c.state.padEnd(16)} ${(c.queue ?? '-').padEnd(36)} ${(c.risk_band ?? '-').padEnd(9)} due ${c.sla_due_at ?? '-'}`)),
      );
    });

  kase
    .command('show')
    .description('A case: state, clock, pre-check flags, risk breakdown, routing and history')
    .argument('<id>')
    .option('--json')
    .action(async (id: string, opts: { json?: boolean }) => {
      const view = await withServices(io, async (s) => {
        const row = await loadApplication(s.database.db, id, { side: 'system' });
        const b = await loadCaseBundle(s.database.db, row, s.clock.now());
        return authorityView(b, await loadInternalBundle(s.database.db, b), { kind: 'system', role: null, userId: null });
      });
      emit(io, !!opts.json, view, (out) => {
        const clock = view.clock as { days_used: number; days_left: number; overdue: boolean; target: { id: string } } | null;
        const risk = view.risk as { score: number; band: string; contributions: Array<{ indicator: string; points: number; observed: string }> } | null;
        out(`${view.reference ?? view.id}  ${view.state}  queue ${view.queue ?? '-'}`);
        if (clock) out(`clock ${clock.target.id}: ${clock.days_used} used, ${clock.days_left} left${clock.overdue ? ' — OVERDUE' : ''}`);
        if (risk) {
          out(`risk ${risk.score} (${risk.band})`);
          for (const c of risk.contributions) out(`  ${String(c.points).padStart(4)}  ${c.indicator.padEnd(20)} ${c.observed}`);
        }
        out(`flags: ${view.flags.map((f) => f.flag).join(', ') || 'none'}`);
        for (const h of view.history) out(`  ${h.at}  ${h.summary}`);
      });
    });

  kase
    .command('step')
    .description('Take a transition of the state machine for a person (register, begin_review, ask_applicant, approve, …)')
    .argument('<id>')
    .argument('<transition>')
    .requiredOption('--as <email>', 'the officer (or applicant) taking the step')
    .option('--reasons <text>')
    .option('--question <text>')
    .option('--adviser <name...>', 'refer: the advisory bodies')
    .option('--outcome <outcome>', 'decide_appeal: allowed | conditions_varied | dismissed | rejected')
    .option('--json')
    .action(async (id: string, transition: string, opts: { as: string; reasons?: string; question?: string; adviser?: string[]; outcome?: string; json?: boolean }) => {
      const input: TransitionInput = {
        ...(opts.reasons ? { reasons: opts.reasons } : {}),
        ...(opts.question ? { question: opts.question } : {}),
        ...(opts.adviser ? { advisers: opts.adviser } : {}),
        ...(opts.outcome ? { outcome: opts.outcome } : {}),
      };
      const row = await withServices(io, async (s) => {
        const actor = await actorFor(s.database.db, opts.as);
        const scope = actor.kind === 'authority' ? { side: 'authority' as const, organisationId: actor.organisationId! } : { side: 'exporter' as const, organisationId: actor.organisationId! };
        return write(s, actor, `licensing.case_${transition}`, ['licensing_case', id], async (trx) => takeTransition(trx, s.clock, actor, await loadApplication(trx, id, scope), transition, input));
      });
      emit(io, !!opts.json, { id: row.id, reference: row.reference, state: row.state, queue: row.queue }, (out) => out(`${row.reference ?? row.id}  ${row.state}  queue ${row.queue ?? '-'}`));
    });

  /* ------------------------------------------------------------ licence */
  const licence = program.command('licence').description('Licences: the register, balances, use');

  licence
    .command('list')
    .description('Licences of a holder or of an issuing authority, newest first')
    .requiredOption('--org <id-or-name>', 'holder or authority')
    .option('--status <status>', LICENCE_STATUSES.join(' | '))
    .option('--limit <n>', 'how many', '50')
    .option('--json')
    .action(async (opts: { org: string; status?: string; limit: string; json?: boolean }) => {
      if (opts.status && !(LICENCE_STATUSES as readonly string[]).includes(opts.status)) throw new FabgateError('LICENSING_CLI_INPUT_INVALID', `status must be one of ${LICENCE_STATUSES.join(', ')}`, 'invalid_input');
      const views = await withServices(io, async (s) => {
        const org = await findOrganisation(s.database.db, opts.org);
        if (!org) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${opts.org}'`, 'invalid_input');
        const scope = org.kind === 'authority' ? { side: 'authority' as const, organisationId: org.id } : { side: 'exporter' as const, organisationId: org.id };
        const now = s.clock.now();
        const rows = await listLicences(s.database.db, scope, now, { limit: Math.min(500, Number(opts.limit) || 50), ...(opts.status ? { status: opts.status as (typeof LICENCE_STATUSES)[number] } : {}) });
        return Promise.all(rows.map((r) => licenceView(s.database.db, r, now)));
      });
      emit(io, !!opts.json, { licences: views }, (out) => views.forEach((l) => out(`${l.id}  ${l.reference.padEnd(20)} ${l.status.padEnd(11)} valid to ${l.valid_to ?? 'open'}  ${l.holder.name}`)));
    });

  licence
    .command('show')
    .description('A licence with its items and balances')
    .argument('<id>')
    .option('--json')
    .action(async (id: string, opts: { json?: boolean }) => {
      const v = await withServices(io, async (s) => licenceView(s.database.db, await loadLicence(s.database.db, id, { side: 'system' }), s.clock.now()));
      emit(io, !!opts.json, v, (out) => {
        out(`${v.reference}  ${v.status}  ${v.holder.name} → ${v.destinations.join(', ')}  valid ${v.valid_from} … ${v.valid_to ?? 'open'}`);
        for (const i of v.items) out(`  ${i.id}  ${i.name.padEnd(40)} granted ${i.granted ?? '-'} used ${i.used ?? '-'} remaining ${i.remaining ?? '-'} ${i.unit ?? ''}`);
        for (const c of v.conditions) out(`  condition: ${c.text}`);
      });
    });

  licence
    .command('use')
    .description('Record use against a licence item (never beyond its balance; exit 1 when refused)')
    .argument('<id>')
    .requiredOption('--item <id>', 'licence item (or the application item it was granted for)')
    .requiredOption('--quantity <n>')
    .requiredOption('--reason <text>', 'shipment, print, …')
    .option('--reference <ref>', 'shipment or document reference (refused twice)')
    .option('--as <email>', 'the holder’s user recording it')
    .option('--json')
    .action(async (id: string, opts: { item: string; quantity: string; reason: string; reference?: string; as?: string; json?: boolean }) => {
      const quantity = Number(opts.quantity);
      if (!Number.isFinite(quantity) || quantity <= 0) throw new FabgateError('LICENSING_QUANTITY_INVALID', `not a quantity: ${opts.quantity}`, 'invalid_input');
      const r = await withServices(io, async (s) => {
        const actor = await actorFor(s.database.db, opts.as);
        return write(s, actor, 'licensing.licence_used', ['licence', id], async (trx) => {
          if (actor.type !== 'system') await loadLicence(trx, id, { side: 'exporter', organisationId: actor.organisationId! });
          return depleteLicence(trx, { licenceId: id, itemRef: opts.item, quantity, reason: opts.reason, reference: opts.reference ?? null, actor, at: s.clock.now() });
        });
      });
      emit(io, !!opts.json, r, (out) => out(`used ${r.quantity} of ${r.licence_item_id}; remaining ${r.remaining ?? 'unmetered'}`));
    });
};
