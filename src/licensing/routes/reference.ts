/**
 * The vocabularies an application form needs: licence types with their
 * sections and validity, party roles, application domains, document types
 * and limits, units, payment terms, due-diligence questions, standard
 * conditions, refusal criteria, appeal outcomes, and the authorities one can
 * apply to. Nothing here is internal to an authority.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.js';
import { defineRoute } from '../../http/route.js';
import { licensingReference } from '../reference.js';
import { json, requestContext } from './common.js';

const route = defineRoute({
  method: 'get',
  path: '/api/licensing/reference',
  access: 'authenticated',
  tags: ['licensing: applications'],
  summary: 'Licence types, vocabularies, standard conditions, refusal criteria and the authorities to apply to',
  responses: {
    200: json(
      z.object({
        licence_types: z.array(z.record(z.string(), z.unknown())),
        vocabularies: z.record(z.string(), z.unknown()),
        authorities: z.array(z.object({ id: z.string(), name: z.string(), country: z.string().nullable() })),
        versions: z.record(z.string(), z.string()),
      }),
      'Reference data',
    ),
  },
});

export function referenceRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(route, async (c) => {
    const ctx = requestContext(c);
    const ref = licensingReference();
    const authorities = await ctx.db.selectFrom('organisations').select(['id', 'name', 'country']).where('kind', '=', 'authority').orderBy('name').execute();
    const { version: _v, ...vocabularies } = ref.vocabularies.data;
    return c.json(
      {
        licence_types: ref.licenceTypes.data.types,
        vocabularies,
        authorities,
        versions: { licence_types: ref.licenceTypes.version, vocabularies: ref.vocabularies.version, red_flags: ref.redFlags.version, state_machine: ref.machine.version },
      },
      200,
    );
  });
}
