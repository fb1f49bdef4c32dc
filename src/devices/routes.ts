/**
 * Device routes: enrolment tokens (the operator), enrolment (the print host,
 * with its one-time token), the device register, key rotation (the host,
 * signed with its current key) and revocation (the operator; it also revokes
 * the device's live tickets). DEVICES.md describes the enrolment API for
 * print-host implementers.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.js';
import { defineRoute, principalOf, transact } from '../http/route.js';
import { recordAudit } from '../audit/trail.js';
import { issuerName, revokeTicketsOfDevice } from '../tickets/service.js';
import { currentRevocationList } from '../tickets/store.js';
import { ensureIssuerKey } from '../tickets/issuer-key.js';
import {
  createEnrolmentToken,
  deviceNotFound,
  deviceView,
  enrolDevice,
  ENROLMENT_TOKEN_HOURS,
  findDevice,
  keyHistory,
  listDevices,
  listEnrolmentTokens,
  loadOwnDevice,
  requireDevice,
  revokeDevice,
  rotateDeviceKeys,
} from './store.js';

const TAGS = ['devices'];
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });
const idParam = z.object({ id: z.string().min(1).max(64) });
const pem = (description: string) => z.string().min(1).max(8192).openapi({ description });

const KeysSchema = z
  .object({
    id: z.string(),
    content_key: z.string().openapi({ description: 'SPKI PEM of the RSA-OAEP key designs are wrapped to' }),
    content_key_sha256: z.string().openapi({ description: 'Fingerprint: SHA-256 of the SPKI DER, hex' }),
    signing_key: z.string().openapi({ description: 'SPKI PEM of the Ed25519 usage-record key' }),
    signing_key_sha256: z.string(),
    created_at: z.string(),
    retired_at: z.string().nullable(),
  })
  .openapi('DeviceKeys');
const DeviceSchema = z
  .object({
    id: z.string(),
    organisation: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
    name: z.string(),
    model: z.string().nullable(),
    status: z.enum(['active', 'revoked']),
    enrolled_at: z.string(),
    revoked_at: z.string().nullable(),
    revoked_reason: z.string().nullable(),
    keys: KeysSchema,
  })
  .openapi('Device');
/** What another organisation sees of a device it was given the id of: who owns it and its public key fingerprints. */
const DeviceCardSchema = z
  .object({
    id: z.string(),
    organisation: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
    name: z.string(),
    model: z.string().nullable(),
    status: z.enum(['active', 'revoked']),
    keys: z.object({ content_key_sha256: z.string(), signing_key_sha256: z.string() }),
  })
  .openapi('DeviceCard');
const EnrolmentTokenSchema = z
  .object({
    id: z.string(),
    organisation_id: z.string(),
    device_name: z.string().nullable(),
    created_at: z.string(),
    expires_at: z.string(),
    used_at: z.string().nullable(),
    device_id: z.string().nullable(),
    status: z.enum(['pending', 'used', 'expired']),
  })
  .openapi('EnrolmentToken');

const routes = {
  createToken: defineRoute({
    method: 'post',
    path: '/api/devices/enrolment-tokens',
    access: 'devices:manage',
    tags: TAGS,
    summary: 'Create a one-time enrolment token for a print host (shown once; expires)',
    request: body(
      z.strictObject({
        device_name: z.string().trim().min(1).max(200).optional().openapi({ description: 'The name the enrolled device gets' }),
        expires_in_hours: z.number().positive().max(ENROLMENT_TOKEN_HOURS.max).optional().openapi({ description: `Default ${ENROLMENT_TOKEN_HOURS.default}` }),
      }),
    ),
    responses: { 201: json(z.object({ token: z.string().openapi({ description: 'Shown once: give it to the print host.' }), record: EnrolmentTokenSchema }), 'Created') },
  }),
  listTokens: defineRoute({
    method: 'get',
    path: '/api/devices/enrolment-tokens',
    access: 'devices:read',
    tags: TAGS,
    summary: "The organisation's enrolment tokens (never their secrets)",
    responses: { 200: json(z.object({ tokens: z.array(EnrolmentTokenSchema) }), 'Tokens') },
  }),
  enrol: defineRoute({
    method: 'post',
    path: '/api/devices/enrol',
    access: 'public',
    tags: TAGS,
    summary: 'Enrol a print host with its one-time token and public keys; returns its device id and an API token scoped to it',
    request: body(
      z.strictObject({
        token: z.string().min(1).max(200).openapi({ description: 'The one-time enrolment token (fge_…)' }),
        name: z.string().trim().min(1).max(200).optional(),
        model: z.string().trim().min(1).max(200).optional(),
        content_key: pem('SPKI PEM of an RSA public key of at least 3072 bits (designs are wrapped to it with RSA-OAEP)'),
        signing_key: pem('SPKI PEM of an Ed25519 public key (it signs usage records)'),
      }),
    ),
    responses: {
      201: json(
        z.object({
          device_id: z.string(),
          api_token: z.string().openapi({ description: 'Shown once: usage:report plus reading its own releases and tickets' }),
          content_key_sha256: z.string(),
          signing_key_sha256: z.string(),
          device: DeviceSchema,
        }),
        'Enrolled',
      ),
    },
  }),
  self: defineRoute({
    method: 'get',
    path: '/api/devices/self',
    access: 'usage:report',
    tags: TAGS,
    summary: 'The calling device (its own API token)',
    responses: { 200: json(DeviceSchema, 'The device') },
  }),
  rotate: defineRoute({
    method: 'post',
    path: '/api/devices/self/keys',
    access: 'usage:report',
    tags: TAGS,
    summary: 'Rotate the calling device’s keys; signed with its current Ed25519 key (DEVICES.md §3)',
    request: body(
      z.strictObject({
        content_key: pem('New RSA public key (SPKI PEM, ≥ 3072 bits)'),
        signing_key: pem('New Ed25519 public key (SPKI PEM)'),
        signature: z.string().min(1).max(200).openapi({ description: 'Base64 Ed25519 signature, by the current signing key, over the rotation statement' }),
      }),
    ),
    responses: { 200: json(KeysSchema, 'The new keys') },
  }),
  list: defineRoute({
    method: 'get',
    path: '/api/devices',
    access: 'devices:read',
    tags: TAGS,
    summary: "The organisation's print hosts with their current keys",
    responses: { 200: json(z.object({ devices: z.array(DeviceSchema) }), 'Devices') },
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/devices/{id}',
    access: 'devices:read',
    tags: TAGS,
    summary: 'A device: in full for its owner; its owner and key fingerprints for an organisation that issues tickets and was given the id',
    request: { params: idParam },
    responses: { 200: json(z.union([DeviceSchema, DeviceCardSchema]), 'The device') },
  }),
  keys: defineRoute({
    method: 'get',
    path: '/api/devices/{id}/keys',
    access: 'devices:read',
    tags: TAGS,
    summary: "A device's keys, current and retired",
    request: { params: idParam },
    responses: { 200: json(z.object({ keys: z.array(KeysSchema) }), 'Keys') },
  }),
  revoke: defineRoute({
    method: 'post',
    path: '/api/devices/{id}/revoke',
    access: 'devices:manage',
    tags: TAGS,
    summary: 'Revoke a device: its token stops working, its keys are retired, and its unexpired tickets are revoked',
    request: { params: idParam, ...body(z.strictObject({ reason: z.string().trim().min(3).max(2000) })) },
    responses: { 200: json(z.object({ device: DeviceSchema, revoked_tickets: z.array(z.string()) }), 'Revoked') },
  }),
};

export function deviceRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(routes.createToken, async (c) => {
    const p = principalOf(c);
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    const created = await transact(c, async (trx, audit) => {
      const t = await createEnrolmentToken(trx, clock, { organisationId: p.organisationId, createdBy: p.userId ?? p.id, deviceName: input.device_name ?? null, ...(input.expires_in_hours ? { hours: input.expires_in_hours } : {}) });
      await audit('devices.enrolment_token_created', 'device_enrolment_token', t.record.id);
      return t;
    });
    return c.json(created, 201);
  });

  app.openapi(routes.listTokens, async (c) => {
    const p = principalOf(c);
    const { database, clock } = c.get('services');
    return c.json({ tokens: await listEnrolmentTokens(database.db, clock, p.organisationId) }, 200);
  });

  app.openapi(routes.enrol, async (c) => {
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    // The body holds a one-time secret; keep even its hash out of the audit trail.
    c.set('bodySha256', null);
    // Enrolment and its audit record commit together; the actor is known only once the token is spent.
    const enrolled = await c
      .get('services')
      .database.db.transaction()
      .execute(async (trx) => {
        const r = await enrolDevice(trx, clock, { token: input.token, name: input.name, model: input.model, contentKey: input.content_key, signingKey: input.signing_key });
        await recordAudit(trx, {
          actor: { type: 'system', id: 'device-enrolment', organisationId: r.device.organisation.id },
          action: 'devices.enrolled',
          targetType: 'device',
          targetId: r.device.id,
          requestId: c.get('requestId'),
          bodySha256: null,
          at: clock.now(),
        });
        return r;
      });
    c.set('audited', true);
    const d = enrolled.device;
    return c.json({ device_id: d.id, api_token: enrolled.apiToken, content_key_sha256: d.keys.content_key_sha256, signing_key_sha256: d.keys.signing_key_sha256, device: d }, 201);
  });

  app.openapi(routes.self, async (c) => {
    const db = c.get('services').database.db;
    const device = await requireDevice(db, principalOf(c));
    return c.json(await deviceView(db, device), 200);
  });

  app.openapi(routes.rotate, async (c) => {
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    const keys = await transact(c, async (trx, audit) => {
      const device = await requireDevice(trx, principalOf(c));
      const k = await rotateDeviceKeys(trx, clock, device, { contentKey: input.content_key, signingKey: input.signing_key, signature: input.signature });
      await audit('devices.keys_rotated', 'device', device.id);
      return k;
    });
    return c.json(keys, 200);
  });

  app.openapi(routes.list, async (c) => {
    const p = principalOf(c);
    return c.json({ devices: await listDevices(c.get('services').database.db, p.organisationId) }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.get('services').database.db;
    const d = await findDevice(db, id);
    if (d && d.organisation_id === p.organisationId) return c.json(await deviceView(db, d), 200);
    // Another organisation's device: only to a ticket issuer that knows its id, and only while it is active.
    if (!d || d.status !== 'active' || !p.permissions.has('tickets:issue')) throw deviceNotFound(id);
    const v = await deviceView(db, d);
    return c.json({ id: v.id, organisation: v.organisation, name: v.name, model: v.model, status: v.status, keys: { content_key_sha256: v.keys.content_key_sha256, signing_key_sha256: v.keys.signing_key_sha256 } }, 200);
  });

  app.openapi(routes.keys, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.get('services').database.db;
    const d = await loadOwnDevice(db, id, p.organisationId);
    return c.json({ keys: await keyHistory(db, d.id) }, 200);
  });

  app.openapi(routes.revoke, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const services = c.get('services');
    const result = await transact(c, async (trx, audit) => {
      const d = await loadOwnDevice(trx, id, p.organisationId);
      const revoked = await revokeDevice(trx, services.clock, d, { reason, by: `${p.type}:${p.id}` });
      const tickets = await revokeTicketsOfDevice(trx, services, d.id, `${p.type}:${p.id}`);
      await audit('devices.revoked', 'device', d.id);
      return { device: await deviceView(trx, revoked), revoked_tickets: tickets };
    });
    if (result.revoked_tickets.length) {
      await ensureIssuerKey(services.database.db, services.keys, services.clock);
      await currentRevocationList(services.database.db, services.keys, services.clock, issuerName(services));
    }
    return c.json(result, 200);
  });
}

