/**
 * Ticket routes: the issuer key set and the signed revocation list (public:
 * print hosts fetch them), devices named under a licence, issuing (under a
 * licence in force, within its balance, logged, with the receipt in the
 * bundle), listing with state and usage, revocation, and usage records from
 * devices with their anomaly flags.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { deviceOfPrincipal, requireDevice } from '../devices/store.js';
import { EnvelopeSchema } from '../gcode/envelope.js';
import type { AppEnv } from '../http/env.js';
import { defineRoute, principalOf, transact } from '../http/route.js';
import { loadLicence } from '../licensing/store/licences.js';
import { FabgateError } from '../shared/errors.js';
import { ensureIssuerKey, issuerJwks } from './issuer-key.js';
import {
  acceptUsageRecord,
  callerOf,
  issueTicket,
  issuerName,
  listFlags,
  listTickets,
  loadTicket,
  nameDeviceUnderLicence,
  namedDevicesView,
  revokeTicket,
  ticketBundle,
  ticketScopeOf,
  ticketView,
  usageOfTicket,
} from './service.js';
import { currentRevocationList, unnameDevice } from './store.js';

const TAGS = ['print tickets'];
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });
const idParam = z.object({ id: z.string().min(1).max(128) });

const TicketSchema = z
  .object({
    jti: z.string(),
    state: z.enum(['active', 'not_yet_valid', 'expired', 'exhausted', 'revoked']),
    licence: z.object({ id: z.string(), reference: z.string() }),
    licence_item_id: z.string(),
    design: z.object({ id: z.string(), name: z.string() }),
    release_id: z.string(),
    manifest_sha256: z.string(),
    devices: z.array(z.object({ id: z.string(), content_key_sha256: z.string(), signing_key_sha256: z.string() })),
    prints: z.number().int(),
    prints_used: z.number().int().openapi({ description: 'Distinct print counters reported in usage records (refusals not counted)' }),
    not_before: z.string(),
    not_after: z.string(),
    envelope: z.record(z.string(), z.unknown()),
    kid: z.string(),
    issued_at: z.string(),
    issued_by: z.string(),
    revoked: z.object({ at: z.string(), reason: z.string() }).nullable(),
    flags: z.number().int().openapi({ description: 'Anomaly flags raised by its usage records' }),
  })
  .openapi('PrintTicket');
const BundleSchema = z
  .object({
    format: z.literal('fabgate.ticket-bundle.v1'),
    ticket: z.string().openapi({ description: 'The ticket (JWS compact, EdDSA)' }),
    log: z.object({ receipt: z.string().openapi({ description: 'c2sp.org/tlog-proof receipt' }), salt: z.string() }).optional(),
  })
  .openapi('TicketBundle');
const UsageSchema = z
  .object({
    id: z.string(),
    device_id: z.string(),
    seq: z.number().int(),
    ticket: z.string(),
    counter: z.number().int(),
    started_at: z.string(),
    ended_at: z.string(),
    outcome: z.string(),
    violations: z.array(z.unknown()),
    received_at: z.string(),
    hash: z.string(),
  })
  .openapi('UsageRecord');
const FlagSchema = z
  .object({ seq: z.number().int(), kind: z.string(), ticket: z.string(), licence_id: z.string().nullable(), device_id: z.string(), usage_record_id: z.string(), detail: z.unknown(), at: z.string() })
  .openapi('UsageFlag');
const NamedDeviceSchema = z
  .object({
    device: z.object({
      id: z.string(),
      name: z.string(),
      model: z.string().nullable(),
      status: z.string(),
      organisation: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
      content_key_sha256: z.string(),
      signing_key_sha256: z.string(),
    }),
    named_by: z.string(),
    named_at: z.string(),
  })
  .openapi('LicenceDevice');

const routes = {
  issuerKeys: defineRoute({
    method: 'get',
    path: '/api/tickets/issuer-keys',
    access: 'public',
    tags: TAGS,
    summary: 'The ticket issuer keys as a JWK set (current first; retired keys stay for tickets they signed)',
    responses: { 200: json(z.object({ keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), use: z.string(), alg: z.string(), retired_at: z.string().optional() })) }), 'JWK set') },
  }),
  revocations: defineRoute({
    method: 'get',
    path: '/api/tickets/revocations',
    access: 'public',
    tags: TAGS,
    summary: 'The signed revocation list (JWS, TICKET-FORMAT.md §5); its serial grows with every list',
    responses: { 200: { description: 'The list', content: { 'application/jose': { schema: z.string() } } } },
  }),
  issue: defineRoute({
    method: 'post',
    path: '/api/tickets',
    access: 'tickets:issue',
    tags: TAGS,
    summary: 'Issue a print ticket under a licence in force, for devices named under it, within its balance; logged, with its receipt in the bundle',
    request: body(
      z.strictObject({
        licence_id: z.string().min(1).max(64),
        design_id: z.string().min(1).max(64),
        device_ids: z.array(z.string().min(1).max(64)).min(1).max(64),
        prints: z.number().int().min(1).max(1_000_000),
        not_before: z.iso.datetime({ offset: true }).optional(),
        not_after: z.iso.datetime({ offset: true }),
        envelope: EnvelopeSchema,
        licence_item_id: z.string().max(64).optional(),
        machine: z.strictObject({ model: z.string().max(128).optional(), materials: z.array(z.string().max(64)).max(32).optional() }).optional(),
      }),
    ),
    responses: { 201: json(z.object({ ticket: TicketSchema, bundle: BundleSchema, log_index: z.string().nullable() }), 'Issued'), 409: json(z.object({}), 'Licence not in force, device not named, balance exceeded') },
  }),
  list: defineRoute({
    method: 'get',
    path: '/api/tickets',
    access: 'tickets:read',
    tags: TAGS,
    summary: 'Tickets with their state and prints used (the holder’s, a device’s own, an operator’s devices’, an authority’s licences’)',
    request: { query: z.object({ licence_id: z.string().max(64).optional(), design_id: z.string().max(64).optional() }) },
    responses: { 200: json(z.object({ tickets: z.array(TicketSchema) }), 'Tickets') },
  }),
  flags: defineRoute({
    method: 'get',
    path: '/api/tickets/flags',
    access: 'tickets:read',
    tags: TAGS,
    summary: 'Anomaly flags from usage records, by licence or ticket (no geometry: counts, times, rule names)',
    request: { query: z.object({ licence_id: z.string().max(64).optional(), ticket: z.string().max(128).optional() }) },
    responses: { 200: json(z.object({ flags: z.array(FlagSchema) }), 'Flags') },
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/tickets/{id}',
    access: 'tickets:read',
    tags: TAGS,
    summary: 'A ticket with its usage records and flags',
    request: { params: idParam },
    responses: { 200: json(z.object({ ticket: TicketSchema, usage: z.array(UsageSchema), flags: z.array(FlagSchema) }), 'The ticket') },
  }),
  bundle: defineRoute({
    method: 'get',
    path: '/api/tickets/{id}/bundle',
    access: 'tickets:read',
    tags: TAGS,
    summary: 'The ticket bundle a print host receives (fabgate.ticket-bundle.v1, with the log receipt)',
    request: { params: idParam },
    responses: { 200: json(BundleSchema, 'The bundle') },
  }),
  revoke: defineRoute({
    method: 'post',
    path: '/api/tickets/{id}/revoke',
    access: 'tickets:issue',
    tags: TAGS,
    summary: 'Revoke a ticket: logged, and on the next signed revocation list',
    request: { params: idParam, ...body(z.strictObject({ reason: z.string().trim().min(3).max(256) })) },
    responses: { 200: json(TicketSchema, 'Revoked') },
  }),
  licenceDevices: defineRoute({
    method: 'get',
    path: '/api/licences/{id}/devices',
    access: 'tickets:read',
    tags: TAGS,
    summary: 'The devices the holder named under a licence (tickets under it may bind only these)',
    request: { params: idParam },
    responses: { 200: json(z.object({ devices: z.array(NamedDeviceSchema) }), 'Devices') },
  }),
  nameDevice: defineRoute({
    method: 'post',
    path: '/api/licences/{id}/devices',
    access: 'tickets:issue',
    tags: TAGS,
    summary: 'Name a device under a licence in force (the holder’s own print host or a device operator’s)',
    request: { params: idParam, ...body(z.strictObject({ device_id: z.string().min(1).max(64) })) },
    responses: { 201: json(z.object({ devices: z.array(NamedDeviceSchema) }), 'Named') },
  }),
  unnameDevice: defineRoute({
    method: 'delete',
    path: '/api/licences/{id}/devices/{deviceId}',
    access: 'tickets:issue',
    tags: TAGS,
    summary: 'Stop naming a device under a licence (tickets already issued stay valid until revoked)',
    request: { params: z.object({ id: z.string().min(1).max(64), deviceId: z.string().min(1).max(64) }) },
    responses: { 200: json(z.object({ devices: z.array(NamedDeviceSchema) }), 'Removed') },
  }),
  report: defineRoute({
    method: 'post',
    path: '/api/usage-records',
    access: 'usage:report',
    tags: TAGS,
    summary: 'A print host reports a signed usage record (TICKET-FORMAT.md §6); the reply carries a signed acknowledgement (§8)',
    request: body(z.strictObject({ record: z.record(z.string(), z.unknown()), signature: z.string().max(200) })),
    responses: {
      201: json(z.object({ id: z.string(), device: z.string(), seq: z.number().int(), hash: z.string(), acknowledgement: z.string(), flags: z.array(z.object({ kind: z.string(), detail: z.record(z.string(), z.unknown()) })) }), 'Accepted'),
      409: json(z.object({}), 'USAGE_RECORD_GAP or USAGE_RECORD_REPLAYED; details.head is the server’s last accepted record (a replay of it carries its acknowledgement)'),
      422: json(z.object({}), 'USAGE_RECORD_INVALID: bad signature or broken chain'),
    },
  }),
  usage: defineRoute({
    method: 'get',
    path: '/api/usage-records',
    access: 'tickets:read',
    tags: TAGS,
    summary: 'The usage records of a ticket',
    request: { query: z.object({ ticket: z.string().min(1).max(128) }) },
    responses: { 200: json(z.object({ records: z.array(UsageSchema) }), 'Records') },
  }),
};

/** Licence scope for reading its devices: the holder, or the authority that issued it. */
function licenceScope(p: ReturnType<typeof principalOf>) {
  if (p.organisationKind === 'exporter') return { side: 'exporter' as const, organisationId: p.organisationId };
  if (p.organisationKind === 'authority') return { side: 'authority' as const, organisationId: p.organisationId };
  return null;
}

export function ticketRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(routes.issuerKeys, async (c) => {
    const { database, keys, clock } = c.get('services');
    await ensureIssuerKey(database.db, keys, clock);
    c.header('cache-control', 'public, max-age=300');
    return c.json(await issuerJwks(database.db), 200);
  });

  app.openapi(routes.revocations, async (c) => {
    const services = c.get('services');
    await ensureIssuerKey(services.database.db, services.keys, services.clock);
    const list = await currentRevocationList(services.database.db, services.keys, services.clock, issuerName(services));
    return c.body(list.jws, 200, { 'content-type': 'application/jose', 'cache-control': 'no-cache', 'x-fabgate-serial': String(list.serial) }) as never;
  });

  app.openapi(routes.issue, async (c) => {
    const p = principalOf(c);
    const input = c.req.valid('json');
    const issued = await issueTicket(
      c.get('services'),
      callerOf(p),
      {
        licenceId: input.licence_id,
        designId: input.design_id,
        deviceIds: input.device_ids,
        prints: input.prints,
        notBefore: input.not_before ? new Date(input.not_before) : undefined,
        notAfter: new Date(input.not_after),
        envelope: input.envelope,
        licenceItemId: input.licence_item_id,
        machine: input.machine,
      },
      (work) => transact(c, work),
    );
    return c.json(issued, 201);
  });

  app.openapi(routes.list, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid('query');
    const { database, clock } = c.get('services');
    const scope = await ticketScopeOf(database.db, p, await deviceOfPrincipal(database.db, p));
    return c.json({ tickets: await listTickets(database.db, scope, clock.now(), { licenceId: q.licence_id, designId: q.design_id }) }, 200);
  });

  app.openapi(routes.flags, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid('query');
    const db = c.get('services').database.db;
    const scope = await ticketScopeOf(db, p, await deviceOfPrincipal(db, p));
    return c.json({ flags: await listFlags(db, scope, { licenceId: q.licence_id, jti: q.ticket }) }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const { database, clock } = c.get('services');
    const scope = await ticketScopeOf(database.db, p, await deviceOfPrincipal(database.db, p));
    const t = await loadTicket(database.db, scope, id);
    return c.json({ ticket: await ticketView(database.db, t, clock.now()), usage: await usageOfTicket(database.db, t.jti), flags: await listFlags(database.db, scope, { jti: t.jti }) }, 200);
  });

  app.openapi(routes.bundle, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const services = c.get('services');
    const scope = await ticketScopeOf(services.database.db, p, await deviceOfPrincipal(services.database.db, p));
    const t = await loadTicket(services.database.db, scope, id);
    return c.json((await ticketBundle(services, t.jti)).bundle, 200);
  });

  app.openapi(routes.revoke, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    return c.json(await revokeTicket(c.get('services'), callerOf(p), id, reason, (work) => transact(c, work)), 200);
  });

  app.openapi(routes.licenceDevices, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.get('services').database.db;
    // Devices read their own tickets, not the licences behind them.
    const scope = (await deviceOfPrincipal(db, p)) ? null : licenceScope(p);
    if (!scope) throw new FabgateError('LICENSING_LICENCE_NOT_FOUND', `no licence '${id}'`, 'not_found');
    const licence = await loadLicence(db, id, scope);
    return c.json({ devices: await namedDevicesView(db, licence.id) }, 200);
  });

  app.openapi(routes.nameDevice, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const { device_id } = c.req.valid('json');
    const { clock } = c.get('services');
    const devices = await transact(c, async (trx, audit) => {
      const row = await nameDeviceUnderLicence(trx, clock.now(), callerOf(p), id, device_id);
      await audit('tickets.device_named', 'licence', `${row.licence_id}:${row.device_id}`);
      return namedDevicesView(trx, row.licence_id);
    });
    return c.json({ devices }, 201);
  });

  app.openapi(routes.unnameDevice, async (c) => {
    const p = principalOf(c);
    const { id, deviceId } = c.req.valid('param');
    const devices = await transact(c, async (trx, audit) => {
      const licence = await loadLicence(trx, id, { side: 'exporter', organisationId: p.organisationId });
      await unnameDevice(trx, licence.id, deviceId);
      await audit('tickets.device_unnamed', 'licence', `${licence.id}:${deviceId}`);
      return namedDevicesView(trx, licence.id);
    });
    return c.json({ devices }, 200);
  });

  app.openapi(routes.report, async (c) => {
    const p = principalOf(c);
    const input = c.req.valid('json');
    const services = c.get('services');
    const device = await requireDevice(services.database.db, p);
    const accepted = await acceptUsageRecord(services, device, input, (work) => transact(c, work));
    return c.json(accepted, 201);
  });

  app.openapi(routes.usage, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid('query');
    const db = c.get('services').database.db;
    const scope = await ticketScopeOf(db, p, await deviceOfPrincipal(db, p));
    const t = await loadTicket(db, scope, q.ticket);
    return c.json({ records: await usageOfTicket(db, t.jti) }, 200);
  });
}
