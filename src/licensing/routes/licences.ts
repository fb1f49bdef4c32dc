/**
 * Licence routes: the register (holder and issuing authority), one licence
 * with its balances and usage, usage recorded by the holder (depletion that
 * never exceeds the balance), and the licence decisions: suspend, reinstate,
 * revoke (the authority) and surrender (the holder).
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../../http/env.js';
import { defineRoute, transact } from '../../http/route.js';
import { FabgateError } from '../../shared/errors.js';
import { actOnLicence, depleteLicence, LICENCE_STATUSES, licenceView, listLicences, loadLicence } from '../store/licences.js';
import { authorityScope, body, CONFLICT, exporterScope, idParam, json, pageQuery, parseCursor, requestContext } from './common.js';

const TAG = ['licensing: licences'];
const reasons = z.string().min(3).max(20000);

export const LicenceSchema = z
  .strictObject({
    id: z.string(),
    reference: z.string(),
    status: z.enum(LICENCE_STATUSES).openapi({ description: 'Computed now: expiry and exhaustion need nobody to act.' }),
    licence_type: z.string(),
    application_id: z.string(),
    holder: z.strictObject({ id: z.string(), name: z.string() }),
    authority: z.strictObject({ id: z.string(), name: z.string() }),
    valid_from: z.string(),
    valid_to: z.string().nullable(),
    destinations: z.array(z.string()),
    parties: z.array(
      z.strictObject({
        id: z.string(),
        role: z.string(),
        name: z.string(),
        country: z.string(),
        type: z.string(),
        address: z.string().optional(),
        address_type: z.string().optional(),
        sub_type: z.string().optional(),
        business_type: z.string().optional(),
        email: z.string().optional(),
        website: z.string().optional(),
        registration_number: z.string().optional(),
        established_year: z.number().int().optional(),
        date_of_birth: z.string().optional(),
      }),
    ),
    conditions: z.array(z.strictObject({ id: z.string().nullable(), text: z.string() })),
    version: z.number().int(),
    issued_at: z.string(),
    updated_at: z.string(),
    items: z.array(
      z.strictObject({
        id: z.string(),
        origin_item_id: z.string().nullable(),
        name: z.string(),
        kind: z.string(),
        unit: z.string().nullable(),
        granted: z.number().nullable(),
        remaining: z.number().nullable(),
        used: z.number().nullable(),
        value: z.strictObject({ amount: z.number(), currency: z.string() }).nullable(),
      }),
    ),
    usage: z.array(z.strictObject({ id: z.string(), licence_item_id: z.string(), quantity: z.number(), reason: z.string(), reference: z.string().nullable(), at: z.string() })),
    versions: z.array(z.strictObject({ version: z.number().int(), reference: z.string(), at: z.string() })),
  })
  .openapi('Licence');

const routes = {
  list: defineRoute({
    method: 'get',
    path: '/api/licences',
    access: 'licences:read',
    tags: TAG,
    summary: 'The licence register: the holder’s licences, or those the authority issued; by status',
    request: { query: z.object({ status: z.enum(LICENCE_STATUSES).optional(), ...pageQuery }) },
    responses: { 200: json(z.object({ licences: z.array(LicenceSchema), next_cursor: z.string().nullable() }), 'Licences') },
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/licences/{id}',
    access: 'licences:read',
    tags: TAG,
    summary: 'A licence: items with granted, used and remaining quantities, conditions, validity, status',
    request: { params: idParam },
    responses: { 200: json(LicenceSchema, 'The licence') },
  }),
  use: defineRoute({
    method: 'post',
    path: '/api/licences/{id}/usage',
    access: 'licences:use',
    tags: TAG,
    summary: 'Record a use (shipment) against a licence item; refused with LICENSING_BALANCE_EXCEEDED beyond the balance',
    request: {
      params: idParam,
      ...body(
        z.strictObject({
          item: z.string().min(1).max(64).openapi({ description: 'Licence item id, or the application item it was granted for.' }),
          quantity: z.number().positive().max(1e12),
          reason: z.string().min(1).max(200),
          reference: z.string().min(1).max(200).optional().openapi({ description: 'Shipment or document reference; the same reference is refused twice (safe retries).' }),
        }),
      ),
    },
    responses: { 200: json(z.object({ depletion_id: z.string(), licence_item_id: z.string(), quantity: z.number(), remaining: z.number().nullable(), licence: LicenceSchema }), 'Recorded'), ...CONFLICT },
  }),
};

const ACTS = [
  { action: 'suspend', access: 'licences:manage', summary: 'Suspend a licence, with reasons (a licence decision, logged)' },
  { action: 'reinstate', access: 'licences:manage', summary: 'Reinstate a suspended licence' },
  { action: 'revoke', access: 'licences:manage', summary: 'Revoke a licence, with reasons (a licence decision, logged)' },
  { action: 'surrender', access: 'applications:write', summary: 'Surrender a licence (the holder)' },
] as const;

const actRoutes = ACTS.map((a) =>
  defineRoute({
    method: 'post',
    path: `/api/licences/{id}/${a.action}`,
    access: a.access,
    tags: TAG,
    summary: a.summary,
    request: { params: idParam, ...body(z.strictObject({ reasons })) },
    responses: { 200: json(LicenceSchema, 'The licence after the act'), ...CONFLICT },
  }),
);

export function licenceRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(routes.list, async (c) => {
    const ctx = requestContext(c);
    const q = c.req.valid('query');
    const now = c.get('services').clock.now();
    const after = parseCursor(q.cursor);
    const rows = await listLicences(ctx.db, ctx.scope, now, { limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(after ? { before: { issued_at: after.key, id: after.id } } : {}) });
    const last = rows.at(-1);
    return c.json({ licences: await Promise.all(rows.map((r) => licenceView(ctx.db, r, now))), next_cursor: rows.length === q.limit && last ? `${last.issued_at}|${last.id}` : null }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const ctx = requestContext(c);
    const lic = await loadLicence(ctx.db, c.req.valid('param').id, ctx.scope);
    return c.json(await licenceView(ctx.db, lic, c.get('services').clock.now()), 200);
  });

  app.openapi(routes.use, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    const result = await transact(c, async (trx, audit) => {
      await loadLicence(trx, id, exporterScope(ctx));
      const r = await depleteLicence(trx, { licenceId: id, itemRef: input.item, quantity: input.quantity, reason: input.reason, reference: input.reference ?? null, actor: ctx.actor, at: clock.now() });
      await audit('licensing.licence_used', 'licence', id);
      return r;
    });
    const lic = await loadLicence(ctx.db, id, ctx.scope);
    return c.json({ ...result, licence: await licenceView(ctx.db, lic, clock.now()) }, 200);
  });

  ACTS.forEach((a, i) => {
    app.openapi(actRoutes[i]!, async (c: Context<AppEnv>) => {
      const ctx = requestContext(c);
      const id = c.req.param('id')!;
      const { reasons: why } = (await c.req.json()) as { reasons: string };
      const { clock } = c.get('services');
      await transact(c, async (trx, audit) => {
        const scope = a.action === 'surrender' ? exporterScope(ctx) : authorityScope(ctx);
        const lic = await loadLicence(trx, id, scope);
        if (a.action !== 'surrender' && ctx.actor.role !== 'supervisor') throw new FabgateError('LICENSING_ROLE_NOT_ALLOWED', 'licence decisions are taken by a supervisor', 'forbidden');
        await actOnLicence(trx, clock, ctx.actor, lic, a.action, why);
        await audit(`licensing.licence_${a.action}`, 'licence', id);
      });
      const lic = await loadLicence(ctx.db, id, ctx.scope);
      return c.json(await licenceView(ctx.db, lic, clock.now()), 200);
    });
  });
}
