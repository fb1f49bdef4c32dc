import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.js';
import { defineRoute, principalOf } from '../http/route.js';
import { listAuditEvents } from './trail.js';

const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    actor_type: z.string(),
    actor_id: z.string().nullable(),
    organisation_id: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    request_id: z.string().nullable(),
    body_sha256: z.string().nullable(),
  })
  .openapi('AuditEvent');

const listRoute = defineRoute({
  method: 'get',
  path: '/api/audit',
  access: 'audit:read',
  tags: ['audit'],
  summary: "The audit trail of the caller's organisation, newest first",
  request: {
    query: z.object({
      before: z.coerce.number().int().positive().optional().openapi({ description: 'Only events with a sequence number below this (the next page).' }),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      action: z.string().max(100).optional(),
    }),
  },
  responses: {
    200: {
      description: 'Audit events',
      content: { 'application/json': { schema: z.object({ events: z.array(AuditEventSchema), next_before: z.number().int().nullable() }) } },
    },
  },
});

export function auditRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listRoute, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid('query');
    const events = await listAuditEvents(c.get('services').database.db, {
      organisationId: p.organisationId,
      limit: q.limit,
      ...(q.before !== undefined ? { beforeSeq: q.before } : {}),
      ...(q.action ? { action: q.action } : {}),
    });
    const last = events.at(-1);
    return c.json({ events, next_before: events.length === q.limit && last ? last.seq : null }, 200);
  });
}
