/**
 * What the licensing routes share: the request context (who asks, from which
 * side), schema helpers for the OpenAPI document, and the two view builders.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../../http/env.js';
import { ErrorSchema } from '../../http/errors.js';
import { principalOf } from '../../http/route.js';
import { FabgateError } from '../../shared/errors.js';
import { authorityView, exporterView, type CaseView, type ExporterApplication } from '../presenters.js';
import { actorFromPrincipal, machineActor, scopeOf, type Db, type LicensingActor, type Scope } from '../store/common.js';
import { loadApplication } from '../store/applications.js';
import { loadCaseBundle, loadInternalBundle } from '../store/views.js';
import type { LicensingApplicationRow } from '../tables.js';
import type { Principal } from '../../identity/principal.js';

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
export const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });
export const CONFLICT = { 409: json(ErrorSchema, 'The case or licence is not in a state that allows this (the error code says why)') } as const;
export const idParam = z.object({ id: z.string().min(1).max(64) });

export interface RequestContext {
  principal: Principal;
  actor: LicensingActor;
  scope: Scope;
  db: Db;
}

export function requestContext(c: Context<AppEnv>): RequestContext {
  const principal = principalOf(c);
  return { principal, actor: actorFromPrincipal(principal), scope: scopeOf(principal), db: c.get('services').database.db };
}

/** The exporter side of a route: only an exporter organisation's own applications. */
export function exporterScope(ctx: RequestContext): Scope {
  if (ctx.scope.side !== 'exporter') throw new FabgateError('LICENSING_APPLICATION_NOT_FOUND', 'applications belong to exporters', 'not_found');
  return ctx.scope;
}

export function authorityScope(ctx: RequestContext): Scope {
  if (ctx.scope.side !== 'authority') throw new FabgateError('LICENSING_CASE_NOT_FOUND', 'cases belong to authorities', 'not_found');
  return ctx.scope;
}

export async function exporterApplication(db: Db, row: LicensingApplicationRow, principal: Principal, now: Date): Promise<ExporterApplication> {
  return exporterView(await loadCaseBundle(db, row, now), machineActor(actorFromPrincipal(principal)));
}

export async function caseView(db: Db, row: LicensingApplicationRow, principal: Principal, now: Date): Promise<CaseView> {
  const b = await loadCaseBundle(db, row, now);
  return authorityView(b, await loadInternalBundle(db, b), machineActor(actorFromPrincipal(principal)));
}

export async function reloadForExporter(db: Db, id: string, ctx: RequestContext, now: Date): Promise<ExporterApplication> {
  return exporterApplication(db, await loadApplication(db, id, ctx.scope), ctx.principal, now);
}

/** Keyset cursors: `<sort key>|<id>` of the last row of a page. */
export function parseCursor(cursor: string | undefined): { key: string; id: string } | undefined {
  if (!cursor) return undefined;
  const i = cursor.lastIndexOf('|');
  if (i <= 0 || i === cursor.length - 1) throw new FabgateError('LICENSING_CURSOR_INVALID', 'not a cursor of this listing', 'invalid_input');
  return { key: cursor.slice(0, i), id: cursor.slice(i + 1) };
}

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(300).optional().openapi({ description: 'next_cursor of the previous page.' }),
};

/** Send a stored document back: its checked media type, as an attachment, never sniffed by the browser. */
export function sendDocument(c: Context<AppEnv>, doc: { content: Uint8Array; media_type: string; filename: string; sha256: string }) {
  return c.body(doc.content as Uint8Array<ArrayBuffer>, 200, {
    'content-type': doc.media_type,
    'content-disposition': `attachment; filename="${doc.filename.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, "'")}"; filename*=UTF-8''${encodeURIComponent(doc.filename)}`,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    etag: `"${doc.sha256}"`,
  });
}
