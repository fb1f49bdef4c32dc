/**
 * Visibility: for every route an exporter can call, the response schema in
 * the OpenAPI document (the same zod schemas the presenters build from)
 * contains no authority-internal field at any depth; and the exporter's
 * schemas are strict, so a presenter that copied one would fail the
 * runtime checks of the flow tests.
 */
import { describe, expect, it } from 'vitest';
import { routeModules } from '../app/routes.js';
import { createApp } from '../http/app.js';
import { GRANTS } from '../identity/permissions.js';
import { INTERNAL_FIELDS } from './presenters.js';

type Schema = { $ref?: string; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; additionalProperties?: Schema | boolean };

const app = createApp({} as never, routeModules);
const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'fabgate', version: 'test' } }) as unknown as {
  paths: Record<string, Record<string, { 'x-fabgate-access'?: string; tags?: string[]; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
};

/** Every property name reachable from a schema, following $refs. */
function propertyNames(s: Schema | undefined, seen = new Set<string>(), out = new Set<string>()): Set<string> {
  if (!s || typeof s !== 'object') return out;
  if (s.$ref) {
    const name = s.$ref.split('/').pop()!;
    if (seen.has(name)) return out;
    seen.add(name);
    return propertyNames(doc.components.schemas[name], seen, out);
  }
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    out.add(k);
    propertyNames(v, seen, out);
  }
  for (const sub of [s.items, ...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? []), typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined]) propertyNames(sub, seen, out);
  return out;
}

const exporterPermissions = new Set(Object.values(GRANTS.exporter).flat());
const exporterRoutes = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops)
    .filter(([, op]) => (op.tags ?? []).some((t) => t.startsWith('licensing')))
    .filter(([, op]) => op['x-fabgate-access'] === 'authenticated' || exporterPermissions.has(op['x-fabgate-access'] as never))
    .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
);

describe('what exporters can see', () => {
  it('covers every licensing route an exporter may call', () => {
    const names = exporterRoutes.map((r) => r.route);
    expect(names).toEqual(expect.arrayContaining(['GET /api/applications/{id}', 'POST /api/applications/{id}/submit', 'GET /api/licences/{id}', 'POST /api/licences/{id}/usage', 'GET /api/licensing/reference']));
    expect(names.some((n) => n.includes('/api/cases'))).toBe(false);
    expect(names.length).toBeGreaterThan(25);
  });

  it.each(exporterRoutes.map((r) => [r.route, r.op] as const))('%s has no internal field in its responses', (_route, op) => {
    const found = new Set<string>();
    for (const [status, res] of Object.entries(op.responses)) {
      if (!status.startsWith('2')) continue;
      for (const media of Object.values(res.content ?? {})) for (const n of propertyNames(media.schema)) found.add(n);
    }
    expect([...found].filter((n) => (INTERNAL_FIELDS as readonly string[]).includes(n))).toEqual([]);
  });

  it('the authority case schema does carry them (so the check has teeth)', () => {
    const op = doc.paths['/api/cases/{id}']!.get!;
    const names = propertyNames(op.responses['200']!.content!['application/json']!.schema);
    for (const f of ['risk', 'routing', 'notes', 'prechecks', 'flags', 'state', 'countersignatures', 'proposal', 'queue']) expect(names.has(f), f).toBe(true);
  });
});
