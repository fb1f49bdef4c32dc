/**
 * Print tickets as a service: devices named under a licence, designs released
 * to them, tickets issued under an active licence within its balance, signed
 * and logged, revoked onto a signed list, and usage records accepted in their
 * hash chain with the anomaly flags they raise.
 *
 * Licences do not (yet) list printers. The link lives here: the licence
 * holder names devices under its licence (`licence_devices`, each naming
 * audited and visible to the issuing authority), and a ticket may bind only
 * devices named under its licence. Which devices may be named: enrolled,
 * active devices of the holder itself or of a device-operator organisation
 * (the holder learns their ids from the operator; ids are 128-bit random).
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Services } from '../app/services.js';
import type { Tables } from '../db/tables.js';
import { deviceNotFound, currentKeys, findDevice } from '../devices/store.js';
import type { DeviceRow } from '../devices/tables.js';
import { findRelease, insertRelease, latestReleaseFor, loadDesign, releaseView, storedContent, vaultPrivateKey, type ReleaseView } from '../designs/store.js';
import { recipientsKey, releaseStored, type DesignFormat, type ReleaseRecipient } from '../designs/service.js';
import { parseEnvelope, type Envelope } from '../gcode/envelope.js';
import type { AuditFn } from '../http/route.js';
import type { Principal } from '../identity/principal.js';
import { logDecisiveEvent } from '../ledger/decisive.js';
import { canonicalJson } from '../ledger/core/canonical-json.js';
import { depleteLicence, loadLicence, statusOf } from '../licensing/store/licences.js';
import type { LicensingActor, Scope } from '../licensing/store/common.js';
import type { LicensingLicenceItemRow, LicensingLicenceRow } from '../licensing/tables.js';
import { isUniqueViolation } from '../db/database.js';
import { FabgateError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { TicketError } from './errors.js';
import { ensureIssuerKey, requireIssuer, trustedIssuers } from './issuer-key.js';
import {
  currentRevocationList,
  findTicket,
  insertRevocation,
  insertTicket,
  insertUsageRecord,
  lastUsageRecord,
  licenceDevices,
  nameDevice,
  revocationOf,
  ticketDeviceIds,
  ticketNotFound,
  TICKET_REVOCATION_RECORD,
  TICKET_REVOKED_EVENT,
  usageLogRecord,
  usageRecordAt,
  USAGE_EVENT,
  USAGE_RECORD_TYPE,
} from './store.js';
import type { LicenceDeviceRow, PrintTicketRow, UsageRecordRow } from './tables.js';
import { DEFAULT_TOLERANCE_SECONDS, signPrintTicket, TICKET_EVENT, TICKET_RECORD, ticketRecord, type PrintTicketClaims, type TicketBundle } from './ticket.js';
import { signUsageAck } from './usage-ack.js';
import { GENESIS_HASH, UsageRecordSchema, usageRecordHash, verifyUsageRecord, type UsageRecord } from './usage-record.js';

type Db = Kysely<Tables>;

/** Run work in one transaction together with its audit record (a route's `transact`, or the CLI's). */
export type Transact = <T>(work: (trx: Db, audit: AuditFn) => Promise<T>) => Promise<T>;

/** Who acts: an organisation's user or token, or the console (null organisation: any licence, as its holder). */
export interface Caller {
  organisationId: string | null;
  /** `user:usr_…`, `token:…` or `system:cli`, stored with what it issues. */
  by: string;
  licensing: LicensingActor;
}

export function callerOf(p: Principal): Caller {
  return {
    organisationId: p.organisationId,
    by: `${p.type}:${p.id}`,
    licensing: { type: p.type, id: p.id, userId: p.type === 'user' ? p.userId : null, organisationId: p.organisationId, kind: p.organisationKind, role: p.type === 'user' ? p.role : null },
  };
}

export const CONSOLE_CALLER: Caller = {
  organisationId: null,
  by: 'system:cli',
  licensing: { type: 'system', id: 'cli', userId: null, organisationId: null, kind: null, role: null },
};

/** The issuer name in tickets, lists and acknowledgements: the public URL, else the log origin. */
export function issuerName(services: Pick<Services, 'config'>): string {
  return services.config.publicUrl ?? services.config.logOrigin;
}

/* ------------------------------------------------------------- licences */

const scopeFor = (c: Caller): Scope => (c.organisationId ? { side: 'exporter', organisationId: c.organisationId } : { side: 'system' });

/**
 * The licence, if the caller holds it (another organisation's licence is
 * LICENSING_LICENCE_NOT_FOUND) and it is in force. An exhausted licence passes
 * here: the depletion then refuses with LICENSING_BALANCE_EXCEEDED.
 */
export async function licenceInForce(db: Db, caller: Caller, licenceId: string, now: Date): Promise<{ licence: LicensingLicenceRow; items: LicensingLicenceItemRow[] }> {
  const licence = await loadLicence(db, licenceId, scopeFor(caller));
  const items = await db.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', licence.id).orderBy('position').execute();
  const status = statusOf(licence, items, now);
  if (status !== 'active' && status !== 'exhausted') {
    throw new FabgateError('TICKET_LICENCE_NOT_ACTIVE', `licence ${licence.reference} is ${status}`, 'conflict', { status });
  }
  if (now.getTime() < Date.parse(licence.valid_from)) throw new FabgateError('TICKET_LICENCE_NOT_ACTIVE', `licence ${licence.reference} is valid from ${licence.valid_from}`, 'conflict', { status: 'not_yet_valid' });
  return { licence, items };
}

/** A device the holder may name under its licence: enrolled and active, the holder's own or a device operator's. */
async function eligibleDevice(db: Db, deviceId: string, holderId: string): Promise<DeviceRow> {
  const d = await findDevice(db, deviceId);
  if (!d) throw deviceNotFound(deviceId);
  if (d.status !== 'active') throw new FabgateError('TICKET_DEVICE_NOT_ELIGIBLE', `device '${deviceId}' is revoked`, 'conflict', { device: deviceId, reason: 'revoked' });
  if (d.organisation_id !== holderId) {
    const org = await db.selectFrom('organisations').select('kind').where('id', '=', d.organisation_id).executeTakeFirstOrThrow();
    if (org.kind !== 'device_operator') {
      throw new FabgateError('TICKET_DEVICE_NOT_ELIGIBLE', `device '${deviceId}' belongs to neither the licence holder nor a device operator`, 'conflict', { device: deviceId, reason: 'owner' });
    }
  }
  return d;
}

/** Name a device under a licence the caller holds. */
export async function nameDeviceUnderLicence(db: Db, now: Date, caller: Caller, licenceId: string, deviceId: string): Promise<LicenceDeviceRow> {
  const { licence } = await licenceInForce(db, caller, licenceId, now);
  await eligibleDevice(db, deviceId, licence.holder_id);
  const row: LicenceDeviceRow = { licence_id: licence.id, device_id: deviceId, organisation_id: licence.holder_id, named_by: caller.by, named_at: now.toISOString() };
  await nameDevice(db, row);
  return row;
}

/** The devices named under a licence, with what a holder needs to choose among them. */
export async function namedDevicesView(db: Db, licenceId: string) {
  const rows = await licenceDevices(db, licenceId);
  const out = [];
  for (const r of rows) {
    const d = await findDevice(db, r.device_id);
    if (!d) continue;
    const [org, keys] = await Promise.all([db.selectFrom('organisations').select(['id', 'name', 'kind']).where('id', '=', d.organisation_id).executeTakeFirstOrThrow(), currentKeys(db, d.id)]);
    out.push({
      device: { id: d.id, name: d.name, model: d.model, status: d.status, organisation: org, content_key_sha256: keys.content_key_sha256, signing_key_sha256: keys.signing_key_sha256 },
      named_by: r.named_by,
      named_at: r.named_at,
    });
  }
  return out;
}

async function requireNamed(db: Db, licence: LicensingLicenceRow, deviceIds: readonly string[]): Promise<DeviceRow[]> {
  const named = new Set((await licenceDevices(db, licence.id)).map((r) => r.device_id));
  const devices: DeviceRow[] = [];
  for (const id of deviceIds) {
    const d = await eligibleDevice(db, id, licence.holder_id);
    if (!named.has(id)) throw new FabgateError('TICKET_DEVICE_NOT_NAMED', `licence ${licence.reference} does not name device '${id}'`, 'conflict', { device: id });
    devices.push(d);
  }
  return devices;
}

function checkDeviceIds(ids: readonly string[]): void {
  if (ids.length === 0 || ids.length > 64) throw new FabgateError('TICKET_DEVICES_INVALID', 'name 1 to 64 devices', 'invalid_input');
  if (new Set(ids).size !== ids.length) throw new FabgateError('TICKET_DEVICES_INVALID', 'a device is named twice', 'invalid_input');
}

/* ------------------------------------------------------------- releases */

async function recipientsOf(db: Db, devices: readonly DeviceRow[]): Promise<Array<ReleaseRecipient & { signingKeySha256: string }>> {
  const out = [];
  for (const d of devices) {
    const k = await currentKeys(db, d.id);
    out.push({ deviceId: d.id, contentKey: createPublicKey(k.content_key), contentKeySha256: k.content_key_sha256, signingKeySha256: k.signing_key_sha256 });
  }
  return out.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
}

/**
 * The release of a design for devices named under a licence: the existing
 * one for the same devices and keys, or a new one (re-wrapped outside any
 * transaction, then stored with its audit record).
 */
export async function releaseForDevices(
  services: Services,
  caller: Caller,
  input: { designId: string; licenceId: string; deviceIds: readonly string[] },
  transact: Transact,
  opts: { auditReuse?: boolean } = {},
): Promise<{ release: ReleaseView; created: boolean }> {
  checkDeviceIds(input.deviceIds);
  const db = services.database.db;
  const now = services.clock.now();
  const { licence } = await licenceInForce(db, caller, input.licenceId, now);
  const design = await loadDesign(db, input.designId, licence.holder_id);
  const devices = await requireNamed(db, licence, input.deviceIds);
  const recipients = await recipientsOf(db, devices);
  const key = recipientsKey(recipients);
  const existing = await findRelease(db, design.id, key);
  const reuse = async (r: NonNullable<typeof existing>) => {
    // Asked for on its own, a reused release is still a write the audit trail records; inside ticket issuance the ticket's record covers it.
    if (opts.auditReuse !== false) await transact((_trx, audit) => audit('designs.release_reused', 'design_release', r.id));
    return { release: releaseView(r), created: false };
  };
  if (existing) return reuse(existing);

  const issuer = await ensureIssuerKey(db, services.keys, services.clock);
  const trusted = (await trustedIssuers(db)).map((i) => i.publicKey);
  const released = await releaseStored(await storedContent(db, design.id), design.format as DesignFormat, {
    vaultPrivateKey: await vaultPrivateKey(db, services.keys, design.vault_key_id),
    recipients,
    signingKey: issuer.privateKey,
    trustedSigners: trusted,
  });
  const row = {
    id: newId('rel'),
    design_id: design.id,
    organisation_id: design.organisation_id,
    licence_id: licence.id,
    manifest_sha256: released.manifestSha256,
    recipients_key: key,
    recipients: JSON.stringify(recipients.map((r) => ({ id: r.deviceId, content_key_sha256: r.contentKeySha256, signing_key_sha256: r.signingKeySha256 }))),
    content: released.content,
    size: released.content.length,
    created_at: now.toISOString(),
    created_by: caller.by,
  };
  try {
    await transact(async (trx, audit) => {
      await insertRelease(trx, row);
      await audit('designs.released', 'design_release', row.id);
    });
  } catch (e) {
    // A concurrent request released the same devices first: use its release.
    if (!isUniqueViolation(e)) throw e;
    const won = await findRelease(db, design.id, key);
    if (!won) throw e;
    return reuse(won);
  }
  const { content: _c, ...meta } = row;
  return { release: releaseView(meta), created: true };
}

/* ------------------------------------------------------------- tickets */

export interface IssueTicketInput {
  licenceId: string;
  designId: string;
  deviceIds: string[];
  prints: number;
  notBefore?: Date | undefined;
  notAfter: Date;
  envelope: unknown;
  /** The licence item the prints are taken from (its id, or the application item it was granted for). */
  licenceItemId?: string | undefined;
  machine?: { model?: string; materials?: string[] } | undefined;
}

export interface IssuedTicket {
  ticket: TicketView;
  bundle: TicketBundle;
  /** The log index of the ticket's entry, when the log answered. */
  log_index: string | null;
}

/**
 * Which licence item a ticket's prints come from: the one given; else the item
 * whose specification is the design's linked register item; else the only
 * printed-part or design-file item of the licence.
 */
async function chooseItem(db: Db, items: LicensingLicenceItemRow[], design: { item_id: string | null; organisation_id: string }, explicit?: string): Promise<LicensingLicenceItemRow> {
  if (explicit) {
    const it = items.find((i) => i.id === explicit || i.origin_item_id === explicit);
    if (!it) throw new FabgateError('TICKET_LICENCE_ITEM_NOT_FOUND', `the licence has no item '${explicit}'`, 'not_found');
    return it;
  }
  if (design.item_id) {
    const spec = await db.selectFrom('classification_items').select('spec_sha256').where('id', '=', design.item_id).where('organisation_id', '=', design.organisation_id).executeTakeFirst();
    const same = spec ? items.filter((i) => i.spec_sha256 === spec.spec_sha256) : [];
    if (same.length === 1) return same[0]!;
  }
  const printable = items.filter((i) => i.kind === 'printed_part' || i.kind === 'design_file');
  if (printable.length === 1) return printable[0]!;
  throw new FabgateError('TICKET_LICENCE_ITEM_REQUIRED', 'say which licence item the prints are taken from (licence_item_id)', 'invalid_input', {
    items: items.map((i) => ({ id: i.id, name: i.name, kind: i.kind, unit: i.unit })),
  });
}

function checkIssueInput(input: IssueTicketInput, now: Date): { envelope: Envelope; nbf: number; exp: number } {
  checkDeviceIds(input.deviceIds);
  if (!Number.isInteger(input.prints) || input.prints < 1 || input.prints > 1_000_000) throw new FabgateError('TICKET_PRINTS_INVALID', 'prints is a whole number from 1 to 1,000,000', 'invalid_input');
  const envelope = parseEnvelope(input.envelope);
  const nbf = Math.floor((input.notBefore ?? now).getTime() / 1000);
  const exp = Math.floor(input.notAfter.getTime() / 1000);
  if (!Number.isFinite(nbf) || !Number.isFinite(exp) || exp <= nbf) throw new FabgateError('TICKET_VALIDITY_INVALID', 'not_after must be after not_before', 'invalid_input');
  if (exp * 1000 <= now.getTime()) throw new FabgateError('TICKET_VALIDITY_INVALID', 'not_after lies in the past', 'invalid_input');
  return { envelope, nbf, exp };
}

/**
 * Issue a ticket: under a licence in force that the caller holds, for devices
 * named under it, taking the prints off the licence's balance (the licensing
 * depletion: one conditional UPDATE, never past the balance however many
 * requests race), signed with the issuer key and logged as a decisive event
 * in the same transaction. The bundle carries the log receipt.
 */
export async function issueTicket(services: Services, caller: Caller, input: IssueTicketInput, transact: Transact): Promise<IssuedTicket> {
  const db = services.database.db;
  const now = services.clock.now();
  const { envelope, nbf, exp } = checkIssueInput(input, now);
  const { licence } = await licenceInForce(db, caller, input.licenceId, now);
  if (licence.valid_to && exp * 1000 > Date.parse(licence.valid_to)) {
    throw new FabgateError('TICKET_VALIDITY_OUTSIDE_LICENCE', `the ticket must expire by the licence's end (${licence.valid_to})`, 'conflict', { licence_valid_to: licence.valid_to });
  }
  if (nbf * 1000 < Date.parse(licence.valid_from) - 1000) throw new FabgateError('TICKET_VALIDITY_OUTSIDE_LICENCE', `the ticket cannot start before the licence (${licence.valid_from})`, 'conflict');
  await ensureIssuerKey(db, services.keys, services.clock);
  const { release } = await releaseForDevices(services, caller, { designId: input.designId, licenceId: licence.id, deviceIds: input.deviceIds }, transact, { auditReuse: false });
  const design = await loadDesign(db, input.designId, licence.holder_id);

  const row = await transact(async (trx, audit) => {
    const again = await licenceInForce(trx, caller, licence.id, now);
    const devices = await requireNamed(trx, again.licence, input.deviceIds);
    const recipients = await recipientsOf(trx, devices);
    if (recipientsKey(recipients) !== recipientsKey(release.devices.map((d) => ({ deviceId: d.id, contentKeySha256: d.content_key_sha256 })))) {
      throw new FabgateError('TICKET_DEVICE_KEYS_CHANGED', 'a device changed its keys meanwhile; issue the ticket again', 'conflict');
    }
    const item = await chooseItem(trx, again.items, design, input.licenceItemId);
    const jti = newId('tkt');
    const depletion = await depleteLicence(trx, { licenceId: licence.id, itemRef: item.id, quantity: input.prints, reason: 'print_ticket', reference: jti, actor: caller.licensing, at: now });
    const issuer = await requireIssuer(trx, services.keys);
    const claims: PrintTicketClaims = {
      v: 1,
      jti,
      iss: issuerName(services),
      iat: Math.floor(now.getTime() / 1000),
      nbf,
      exp,
      licence: { id: licence.id, reference: licence.reference },
      design: { manifest_sha256: release.manifest_sha256, name: design.name.slice(0, 256) },
      devices: recipients.map((r) => ({ id: r.deviceId, content_key_sha256: r.contentKeySha256, signing_key_sha256: r.signingKeySha256 })),
      prints: input.prints,
      envelope,
      ...(input.machine ? { machine: input.machine } : {}),
      nonce: randomBytes(16).toString('base64url'),
    };
    const jws = signPrintTicket(claims, issuer);
    const ticket: PrintTicketRow = {
      jti,
      organisation_id: licence.holder_id,
      licence_id: licence.id,
      licence_item_id: item.id,
      design_id: design.id,
      release_id: release.id,
      manifest_sha256: release.manifest_sha256,
      prints: input.prints,
      not_before: new Date(nbf * 1000).toISOString(),
      not_after: new Date(exp * 1000).toISOString(),
      envelope: canonicalJson(envelope),
      devices: canonicalJson(claims.devices),
      jws,
      kid: issuer.kid,
      issued_at: now.toISOString(),
      issued_by: caller.by,
      depletion_id: depletion.depletion_id,
    };
    await insertTicket(trx, ticket, recipients.map((r) => r.deviceId));
    await logDecisiveEvent(trx, { type: TICKET_EVENT, recordType: TICKET_RECORD, recordId: jti, record: ticketRecord(jws), at: now, organisationId: licence.holder_id });
    await audit('tickets.issued', 'print_ticket', jti);
    return ticket;
  });
  const { bundle, index } = await ticketBundle(services, row.jti);
  return { ticket: await ticketView(db, row, services.clock.now()), bundle, log_index: index };
}

/**
 * What a print host receives with the design: the ticket and, when the log
 * answers, the receipt of its log entry and the salt of its commitment
 * (TICKET-FORMAT.md §7). The receipt integrates a queued entry first.
 */
export async function ticketBundle(services: Services, jti: string): Promise<{ bundle: TicketBundle; index: string | null }> {
  const row = await findTicket(services.database.db, jti);
  if (!row) throw ticketNotFound(jti);
  const bundle: TicketBundle = { format: 'fabgate.ticket-bundle.v1', ticket: row.jws };
  try {
    const r = await services.ledger.receiptForRecord(TICKET_RECORD, jti);
    const ev = await services.database.db
      .selectFrom('ledger_events')
      .select('salt')
      .where('record_type', '=', TICKET_RECORD)
      .where('record_id', '=', jti)
      .orderBy('seq', 'desc')
      .executeTakeFirst();
    if (r && ev) return { bundle: { ...bundle, log: { receipt: r.receipt, salt: ev.salt } }, index: r.index.toString() };
  } catch (e) {
    // The log being unavailable does not stop a ticket: it verifies offline without a receipt (TICKET-FORMAT.md §7).
    services.logger.warn({ err: e, jti }, 'no log receipt for the ticket yet');
  }
  return { bundle, index: null };
}

/* ------------------------------------------------------------- views and scope */

export type TicketState = 'active' | 'not_yet_valid' | 'expired' | 'exhausted' | 'revoked';

export interface TicketView {
  jti: string;
  state: TicketState;
  licence: { id: string; reference: string };
  licence_item_id: string;
  design: { id: string; name: string };
  release_id: string;
  manifest_sha256: string;
  devices: Array<{ id: string; content_key_sha256: string; signing_key_sha256: string }>;
  prints: number;
  prints_used: number;
  not_before: string;
  not_after: string;
  envelope: Envelope;
  kid: string;
  issued_at: string;
  issued_by: string;
  revoked: { at: string; reason: string } | null;
  flags: number;
}

/** Prints used: distinct print counters the ticket's devices reported, refusals not counted. */
async function printsUsed(db: Db, jti: string): Promise<number> {
  const rows = await db.selectFrom('usage_records').select('counter').where('ticket_jti', '=', jti).where('outcome', '!=', 'refused').distinct().execute();
  return rows.length;
}

export async function ticketView(db: Db, t: PrintTicketRow, now: Date): Promise<TicketView> {
  const [licence, design, used, revocation, flags] = await Promise.all([
    db.selectFrom('licensing_licences').select(['id', 'reference']).where('id', '=', t.licence_id).executeTakeFirst(),
    db.selectFrom('designs').select(['id', 'name']).where('id', '=', t.design_id).executeTakeFirst(),
    printsUsed(db, t.jti),
    revocationOf(db, t.jti),
    db.selectFrom('usage_flags').select((eb) => eb.fn.countAll().as('n')).where('ticket_jti', '=', t.jti).executeTakeFirst(),
  ]);
  const nowIso = now.toISOString();
  const state: TicketState = revocation ? 'revoked' : t.not_after <= nowIso ? 'expired' : used >= t.prints ? 'exhausted' : t.not_before > nowIso ? 'not_yet_valid' : 'active';
  return {
    jti: t.jti,
    state,
    licence: licence ?? { id: t.licence_id, reference: '' },
    licence_item_id: t.licence_item_id,
    design: design ?? { id: t.design_id, name: '' },
    release_id: t.release_id,
    manifest_sha256: t.manifest_sha256,
    devices: JSON.parse(t.devices) as TicketView['devices'],
    prints: t.prints,
    prints_used: used,
    not_before: t.not_before,
    not_after: t.not_after,
    envelope: JSON.parse(t.envelope) as Envelope,
    kid: t.kid,
    issued_at: t.issued_at,
    issued_by: t.issued_by,
    revoked: revocation ? { at: revocation.at, reason: revocation.reason } : null,
    flags: Number(flags?.n ?? 0),
  };
}

/**
 * Which tickets a principal sees: a device its own; the holder its
 * organisation's; a device operator those bound to its devices; an authority
 * those under licences it issued.
 */
export type TicketScope = { kind: 'device'; deviceId: string } | { kind: 'holder' | 'operator' | 'authority'; organisationId: string } | { kind: 'system' };

export async function ticketScopeOf(db: Db, p: Principal, device: DeviceRow | undefined): Promise<TicketScope> {
  if (device) return { kind: 'device', deviceId: device.id };
  if (p.organisationKind === 'device_operator') return { kind: 'operator', organisationId: p.organisationId };
  if (p.organisationKind === 'authority') return { kind: 'authority', organisationId: p.organisationId };
  return { kind: 'holder', organisationId: p.organisationId };
}

function scoped(db: Db, scope: TicketScope) {
  let q = db.selectFrom('print_tickets as t').selectAll('t');
  switch (scope.kind) {
    case 'holder':
      q = q.where('t.organisation_id', '=', scope.organisationId);
      break;
    case 'device':
      q = q.where('t.jti', 'in', db.selectFrom('ticket_devices').select('jti').where('device_id', '=', scope.deviceId));
      break;
    case 'operator':
      q = q.where('t.jti', 'in', db.selectFrom('ticket_devices as td').innerJoin('devices as d', 'd.id', 'td.device_id').select('td.jti').where('d.organisation_id', '=', scope.organisationId));
      break;
    case 'authority':
      q = q.where('t.licence_id', 'in', db.selectFrom('licensing_licences').select('id').where('authority_id', '=', scope.organisationId));
      break;
    case 'system':
      break;
  }
  return q;
}

export async function loadTicket(db: Db, scope: TicketScope, jti: string): Promise<PrintTicketRow> {
  const row = await scoped(db, scope).where('t.jti', '=', jti).executeTakeFirst();
  if (!row) throw ticketNotFound(jti);
  return row;
}

export async function listTickets(db: Db, scope: TicketScope, now: Date, filter: { licenceId?: string | undefined; designId?: string | undefined; limit?: number }): Promise<TicketView[]> {
  let q = scoped(db, scope);
  if (filter.licenceId) q = q.where('t.licence_id', '=', filter.licenceId);
  if (filter.designId) q = q.where('t.design_id', '=', filter.designId);
  const rows = await q.orderBy('t.issued_at', 'desc').orderBy('t.jti', 'desc').limit(filter.limit ?? 200).execute();
  return Promise.all(rows.map((r) => ticketView(db, r, now)));
}

/* ------------------------------------------------------------- revocation */

async function revokeInTrx(trx: Db, services: Services, ticket: PrintTicketRow, reason: string, by: string): Promise<void> {
  const at = services.clock.now();
  const rec = { jti: ticket.jti, at: at.toISOString(), reason, revoked_by: by };
  await insertRevocation(trx, { ...rec, organisation_id: ticket.organisation_id });
  await logDecisiveEvent(trx, { type: TICKET_REVOKED_EVENT, recordType: TICKET_REVOCATION_RECORD, recordId: ticket.jti, record: rec, at, organisationId: ticket.organisation_id });
}

/** Revoke a ticket (logged as `ticket.revoked`), then sign the next revocation list. Prints already taken are not given back. */
export async function revokeTicket(services: Services, caller: Caller, jti: string, reason: string, transact: Transact): Promise<TicketView> {
  const scope: TicketScope = caller.organisationId ? { kind: 'holder', organisationId: caller.organisationId } : { kind: 'system' };
  const row = await transact(async (trx, audit) => {
    const t = await loadTicket(trx, scope, jti);
    await revokeInTrx(trx, services, t, reason, caller.by);
    await audit('tickets.revoked', 'print_ticket', jti);
    return t;
  });
  await currentRevocationList(services.database.db, services.keys, services.clock, issuerName(services));
  return ticketView(services.database.db, row, services.clock.now());
}

/** Revoke every unexpired, unrevoked ticket bound to a device (the device itself was revoked); returns their ids. */
export async function revokeTicketsOfDevice(trx: Db, services: Services, deviceId: string, by: string): Promise<string[]> {
  const now = services.clock.now().toISOString();
  const rows = await trx
    .selectFrom('print_tickets as t')
    .innerJoin('ticket_devices as td', 'td.jti', 't.jti')
    .selectAll('t')
    .where('td.device_id', '=', deviceId)
    .where('t.not_after', '>', now)
    .where('t.jti', 'not in', trx.selectFrom('ticket_revocations').select('jti'))
    .execute();
  for (const t of rows) await revokeInTrx(trx, services, t, `device ${deviceId} revoked`, by);
  return rows.map((r) => r.jti);
}

/* ------------------------------------------------------------- usage records */

export type UsageFlagKind =
  | 'ticket_unknown'
  | 'device_not_bound'
  | 'design_mismatch'
  | 'prints_exceeded'
  | 'counter_reused'
  | 'ticket_revoked'
  | 'ticket_expired'
  | 'ticket_not_yet_valid'
  | 'envelope_violation';

export interface UsageFlag {
  kind: UsageFlagKind;
  detail: Record<string, unknown>;
}

/**
 * The anomalies one usage record shows, from the record and the ticket alone
 * (pure). Only counts, times, hashes and rule names: no geometry.
 */
export function usageFlags(input: {
  record: UsageRecord;
  ticket: Pick<PrintTicketRow, 'prints' | 'manifest_sha256' | 'not_before' | 'not_after'> | null;
  boundDevices: readonly string[];
  revokedAt: string | null;
  /** Counters of the ticket's earlier non-refused prints. */
  earlierCounters: ReadonlySet<number>;
}): UsageFlag[] {
  const { record, ticket } = input;
  const flags: UsageFlag[] = [];
  if (!ticket) return [{ kind: 'ticket_unknown', detail: { ticket: record.ticket } }];
  if (!input.boundDevices.includes(record.device)) flags.push({ kind: 'device_not_bound', detail: { device: record.device } });
  if (record.design !== ticket.manifest_sha256) flags.push({ kind: 'design_mismatch', detail: { reported: record.design, ticket: ticket.manifest_sha256 } });
  const printed = record.outcome !== 'refused';
  if (printed) {
    // Beyond the count: a counter past it, or a new counter that takes the distinct prints past it (a reused one is flagged as such).
    const reused = input.earlierCounters.has(record.counter);
    const distinct = new Set(input.earlierCounters).add(record.counter).size;
    if (record.counter > ticket.prints || (!reused && distinct > ticket.prints)) flags.push({ kind: 'prints_exceeded', detail: { counter: record.counter, prints_reported: distinct, prints_allowed: ticket.prints } });
    if (reused) flags.push({ kind: 'counter_reused', detail: { counter: record.counter } });
    const started = Date.parse(record.started_at);
    const tolerance = DEFAULT_TOLERANCE_SECONDS * 1000;
    if (input.revokedAt && record.started_at >= input.revokedAt) flags.push({ kind: 'ticket_revoked', detail: { revoked_at: input.revokedAt, started_at: record.started_at } });
    if (started > Date.parse(ticket.not_after) + tolerance) flags.push({ kind: 'ticket_expired', detail: { not_after: ticket.not_after, started_at: record.started_at } });
    if (started < Date.parse(ticket.not_before) - tolerance) flags.push({ kind: 'ticket_not_yet_valid', detail: { not_before: ticket.not_before, started_at: record.started_at } });
  }
  if (record.outcome === 'violation' || record.violations.length > 0) {
    flags.push({ kind: 'envelope_violation', detail: { outcome: record.outcome, rules: [...new Set(record.violations.map((v) => v.rule))], count: record.violations.length } });
  }
  return flags;
}

export interface AcceptedUsage {
  id: string;
  device: string;
  seq: number;
  hash: string;
  /** The server's signed acknowledgement (usage-ack.ts, TICKET-FORMAT.md §8). */
  acknowledgement: string;
  flags: UsageFlag[];
}

/**
 * Accept a usage record from the device that sent it: verified against its
 * registered Ed25519 key and the last record accepted from it (seq and hash
 * chain), stored, flagged, logged as `usage.received`, acknowledged. Two
 * posts of one seq: the unique (device, seq) index lets one commit and the
 * other is USAGE_RECORD_REPLAYED; a replay of the very record accepted gets
 * its acknowledgement again in the error details (a retry after a lost reply).
 */
export async function acceptUsageRecord(services: Services, device: DeviceRow, input: unknown, transact: Transact): Promise<AcceptedUsage> {
  await ensureIssuerKey(services.database.db, services.keys, services.clock);
  try {
    return await transact(async (trx, audit) => {
      const keys = await currentKeys(trx, device.id);
      const last = await lastUsageRecord(trx, device.id);
      const { record, hash } = verifyUsageRecord(input, createPublicKey(keys.signing_key), last);
      if (record.device !== device.id) throw new TicketError('USAGE_RECORD_WRONG_DEVICE', `the record names device '${record.device}', but device '${device.id}' sent it`);
      const now = services.clock.now();
      const ticket = (await findTicket(trx, record.ticket)) ?? null;
      const [bound, revocation, earlier] = ticket
        ? await Promise.all([
            ticketDeviceIds(trx, ticket.jti),
            revocationOf(trx, ticket.jti),
            trx.selectFrom('usage_records').select('counter').where('ticket_jti', '=', ticket.jti).where('outcome', '!=', 'refused').execute(),
          ])
        : [[], undefined, []];
      const flags = usageFlags({ record, ticket, boundDevices: bound, revokedAt: revocation?.at ?? null, earlierCounters: new Set(earlier.map((e) => e.counter)) });
      const issuer = await requireIssuer(trx, services.keys);
      const ack = signUsageAck({ v: 1, device: device.id, seq: record.seq, hash, received_at: Math.floor(now.getTime() / 1000) }, issuer);
      const row: UsageRecordRow = {
        id: newId('urc'),
        device_id: device.id,
        seq: record.seq,
        hash,
        prev: record.prev,
        ticket_jti: record.ticket,
        design_sha256: record.design,
        counter: record.counter,
        started_at: record.started_at,
        ended_at: record.ended_at,
        outcome: record.outcome,
        record: canonicalJson(record),
        signature: (input as { signature: string }).signature,
        licence_id: ticket?.licence_id ?? null,
        exporter_id: ticket?.organisation_id ?? null,
        received_at: now.toISOString(),
        ack,
      };
      await insertUsageRecord(trx, row);
      if (flags.length) {
        await trx
          .insertInto('usage_flags')
          .values(flags.map((f) => ({ usage_record_id: row.id, device_id: device.id, ticket_jti: record.ticket, licence_id: row.licence_id, exporter_id: row.exporter_id, kind: f.kind, detail: JSON.stringify(f.detail), at: row.received_at })))
          .execute();
      }
      await logDecisiveEvent(trx, { type: USAGE_EVENT, recordType: USAGE_RECORD_TYPE, recordId: row.id, record: usageLogRecord(row), at: now, organisationId: device.organisation_id });
      await audit('usage.received', 'usage_record', row.id);
      return { id: row.id, device: device.id, seq: record.seq, hash, acknowledgement: ack, flags };
    });
  } catch (e) {
    if (e instanceof FabgateError && e.code.startsWith('USAGE_RECORD_')) throw await refusalWithHead(services.database.db, device, input, e);
    throw e;
  }
}

/**
 * A refused record's error names the server's head (its last accepted record
 * of the device, seq 0 and the genesis hash before the first): a host whose
 * acknowledgements were lost sees the server already holds its records, and a
 * host running on a restored old state sees that it is behind. A replay of the
 * very record accepted also carries that record's acknowledgement again.
 */
async function refusalWithHead(db: Db, device: DeviceRow, input: unknown, e: FabgateError): Promise<FabgateError> {
  const head = (await lastUsageRecord(db, device.id)) ?? { seq: 0, hash: GENESIS_HASH };
  const details: Record<string, unknown> = { ...((e.details as Record<string, unknown> | undefined) ?? {}), head };
  const parsed = UsageRecordSchema.safeParse((input as { record?: unknown })?.record);
  if (e.code === 'USAGE_RECORD_REPLAYED' && parsed.success) {
    const stored = await usageRecordAt(db, device.id, parsed.data.seq);
    if (stored && stored.hash === usageRecordHash(parsed.data)) details.acknowledgement = stored.ack;
  }
  return new FabgateError(e.code, e.message, e.kind, details);
}

export interface UsageRecordView {
  id: string;
  device_id: string;
  seq: number;
  ticket: string;
  counter: number;
  started_at: string;
  ended_at: string;
  outcome: string;
  violations: UsageRecord['violations'];
  received_at: string;
  hash: string;
}

function usageView(r: UsageRecordRow): UsageRecordView {
  const rec = JSON.parse(r.record) as UsageRecord;
  return { id: r.id, device_id: r.device_id, seq: Number(r.seq), ticket: r.ticket_jti, counter: r.counter, started_at: r.started_at, ended_at: r.ended_at, outcome: r.outcome, violations: rec.violations, received_at: r.received_at, hash: r.hash };
}

export async function usageOfTicket(db: Db, jti: string): Promise<UsageRecordView[]> {
  return (await db.selectFrom('usage_records').selectAll().where('ticket_jti', '=', jti).orderBy('received_at').execute()).map(usageView);
}

export interface FlagView {
  seq: number;
  kind: string;
  ticket: string;
  licence_id: string | null;
  device_id: string;
  usage_record_id: string;
  detail: unknown;
  at: string;
}

/** Anomaly flags the principal may see (same scope as tickets; a device sees none), by licence or ticket. */
export async function listFlags(db: Db, scope: TicketScope, filter: { licenceId?: string | undefined; jti?: string | undefined }): Promise<FlagView[]> {
  let q = db.selectFrom('usage_flags').selectAll();
  switch (scope.kind) {
    case 'holder':
      q = q.where('exporter_id', '=', scope.organisationId);
      break;
    case 'operator':
      q = q.where('device_id', 'in', db.selectFrom('devices').select('id').where('organisation_id', '=', scope.organisationId));
      break;
    case 'authority':
      q = q.where('licence_id', 'in', db.selectFrom('licensing_licences').select('id').where('authority_id', '=', scope.organisationId));
      break;
    case 'device':
      return [];
    case 'system':
      break;
  }
  if (filter.licenceId) q = q.where('licence_id', '=', filter.licenceId);
  if (filter.jti) q = q.where('ticket_jti', '=', filter.jti);
  const rows = await q.orderBy('seq', 'desc').limit(500).execute();
  return rows.map((r) => ({ seq: Number(r.seq), kind: r.kind, ticket: r.ticket_jti, licence_id: r.licence_id, device_id: r.device_id, usage_record_id: r.usage_record_id, detail: JSON.parse(r.detail) as unknown, at: r.at }));
}

/** The release a device downloads for a design: the given one if it is wrapped to the device, else its newest. */
export async function releaseForDevice(db: Db, designId: string, deviceId: string, releaseId?: string): Promise<ReleaseView & { content_id: string }> {
  const r = releaseId ? await db.selectFrom('design_releases').select(['id', 'design_id', 'organisation_id', 'licence_id', 'manifest_sha256', 'recipients_key', 'recipients', 'size', 'created_at', 'created_by']).where('id', '=', releaseId).where('design_id', '=', designId).executeTakeFirst() : await latestReleaseFor(db, designId, deviceId);
  const wrapped = r && (JSON.parse(r.recipients) as Array<{ id: string }>).some((d) => d.id === deviceId);
  if (!r || !wrapped) throw new FabgateError('DESIGN_RELEASE_NOT_FOUND', `design '${designId}' has no release for device '${deviceId}'`, 'not_found');
  return { ...releaseView(r), content_id: r.id };
}
