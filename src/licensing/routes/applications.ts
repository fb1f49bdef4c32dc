/**
 * The exporter's routes: draft an application with its items, parties and
 * documents, watch the live checklist, submit, answer questions, respond to
 * an intent to refuse, appeal, amend, withdraw. Every response is the
 * exporter's view (presenters.ts): status, clock, questions, decisions and
 * reasons, never the authority's internals.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.js';
import { defineRoute, transact } from '../../http/route.js';
import { FabgateError } from '../../shared/errors.js';
import { contentSchema, DOCUMENT_TYPES, partyInputSchema, valueSchema } from '../model.js';
import { ChecklistSchema, DocumentSchema, ExporterApplicationSchema, ExporterApplicationSummarySchema, exporterSummary, ItemSchema, PartySchema } from '../presenters.js';
import { licensingReference } from '../reference.js';
import {
  addDocument,
  addItem,
  addParty,
  checklistOf,
  createApplication,
  getDocument,
  listApplications,
  loadApplication,
  loadSnapshot,
  reclassifyItem,
  removeDocument,
  removeItem,
  removeParty,
  rescreenParty,
  updateContent,
  updateItem,
  updateParty,
} from '../store/applications.js';
import { startCaseAmendment, startLicenceAmendment } from '../store/amendments.js';
import { answerQuery, respondToIntent, takeTransition } from '../store/cases.js';
import { loadLicence } from '../store/licences.js';
import { body, CONFLICT, exporterApplication, exporterScope, idParam, json, pageQuery, parseCursor, reloadForExporter, requestContext, sendDocument } from './common.js';

const TAG = ['licensing: applications'];
const itemParams = idParam.extend({ itemId: z.string().min(1).max(64) });
const partyParams = idParam.extend({ partyId: z.string().min(1).max(64) });
const docParams = idParam.extend({ documentId: z.string().min(1).max(64) });
const queryParams = idParam.extend({ queryId: z.string().min(1).max(64) });

const ItemInputSchema = z
  .strictObject({
    spec: z.record(z.string(), z.unknown()).openapi({ description: 'An item specification (kind, name, machine/material/… as in `fabgate schema item`); it is classified at once.' }),
    quantity: z.number().min(0).max(1e12).nullable().optional(),
    unit: z.string().max(20).nullable().optional(),
    value: valueSchema.nullable().optional(),
  })
  .openapi('ItemInput');

const ContentPatchSchema = z
  .strictObject({
    authority_id: z.string().max(64).nullable().optional(),
    ...Object.fromEntries(Object.entries(contentSchema.shape).map(([k, v]) => [k, (v as z.ZodType).nullable().optional()])),
  })
  .openapi('ApplicationPatch', { description: 'Each section given replaces the stored one; null removes it.' });

const routes = {
  list: defineRoute({
    method: 'get',
    path: '/api/applications',
    access: 'applications:read',
    tags: TAG,
    summary: "The organisation's applications, most recently changed first",
    request: { query: z.object({ state: z.string().max(40).optional(), ...pageQuery }) },
    responses: { 200: json(z.object({ applications: z.array(ExporterApplicationSummarySchema), next_cursor: z.string().nullable() }), 'Applications') },
  }),
  create: defineRoute({
    method: 'post',
    path: '/api/applications',
    access: 'applications:write',
    tags: TAG,
    summary: 'Start a draft application',
    request: body(z.strictObject({ licence_type: z.string().max(40), authority_id: z.string().max(64).optional(), content: contentSchema.optional() })),
    responses: { 201: json(ExporterApplicationSchema, 'Draft created') },
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/applications/{id}',
    access: 'applications:read',
    tags: TAG,
    summary: 'An application: status, clock, live checklist, questions, decisions and reasons',
    request: { params: idParam },
    responses: { 200: json(ExporterApplicationSchema, 'The application') },
  }),
  patch: defineRoute({
    method: 'patch',
    path: '/api/applications/{id}',
    access: 'applications:write',
    tags: TAG,
    summary: 'Change sections of a draft (or of an application with an open question)',
    request: { params: idParam, ...body(ContentPatchSchema) },
    responses: { 200: json(ExporterApplicationSchema, 'Changed'), ...CONFLICT },
  }),
  checklist: defineRoute({
    method: 'get',
    path: '/api/applications/{id}/checklist',
    access: 'applications:read',
    tags: TAG,
    summary: 'The completeness checklist, computed now: what is missing or inconsistent',
    request: { params: idParam },
    responses: { 200: json(ChecklistSchema, 'Checklist') },
  }),
  addItem: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/items',
    access: 'applications:write',
    tags: TAG,
    summary: 'Add an item (its specification is classified under the rule sets in force)',
    request: { params: idParam, ...body(ItemInputSchema) },
    responses: { 201: json(ItemSchema, 'Item added'), ...CONFLICT },
  }),
  updateItem: defineRoute({
    method: 'patch',
    path: '/api/applications/{id}/items/{itemId}',
    access: 'applications:write',
    tags: TAG,
    summary: 'Change an item',
    request: { params: itemParams, ...body(ItemInputSchema.partial()) },
    responses: { 200: json(ItemSchema, 'Item changed'), ...CONFLICT },
  }),
  removeItem: defineRoute({
    method: 'delete',
    path: '/api/applications/{id}/items/{itemId}',
    access: 'applications:write',
    tags: TAG,
    summary: 'Remove an item',
    request: { params: itemParams },
    responses: { 204: { description: 'Removed' }, ...CONFLICT },
  }),
  classifyItem: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/items/{itemId}/classify',
    access: 'applications:write',
    tags: TAG,
    summary: 'Classify an item again under the rule sets in force',
    request: { params: itemParams },
    responses: { 200: json(ItemSchema, 'Classified'), ...CONFLICT },
  }),
  addParty: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/parties',
    access: 'applications:write',
    tags: TAG,
    summary: 'Add a party (purchaser, consignee, intermediate consignee, end user, ultimate end user, third party); it is screened at once',
    request: { params: idParam, ...body(partyInputSchema) },
    responses: { 201: json(PartySchema, 'Party added'), ...CONFLICT },
  }),
  updateParty: defineRoute({
    method: 'put',
    path: '/api/applications/{id}/parties/{partyId}',
    access: 'applications:write',
    tags: TAG,
    summary: "Replace a party's details (screened again)",
    request: { params: partyParams, ...body(partyInputSchema) },
    responses: { 200: json(PartySchema, 'Party changed'), ...CONFLICT },
  }),
  removeParty: defineRoute({
    method: 'delete',
    path: '/api/applications/{id}/parties/{partyId}',
    access: 'applications:write',
    tags: TAG,
    summary: 'Remove a party',
    request: { params: partyParams },
    responses: { 204: { description: 'Removed' }, ...CONFLICT },
  }),
  screenParty: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/parties/{partyId}/screen',
    access: 'applications:write',
    tags: TAG,
    summary: 'Screen a party again against the list version in force',
    request: { params: partyParams },
    responses: { 200: json(PartySchema, 'Screened'), ...CONFLICT },
  }),
  upload: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/documents',
    access: 'applications:write',
    tags: TAG,
    summary: 'Upload a document (PDF, PNG, JPEG or plain text; at most 10 MiB); stored with its SHA-256',
    request: {
      params: idParam,
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: z.object({
              file: z.any().openapi({ type: 'string', format: 'binary' }),
              doc_type: z.enum(DOCUMENT_TYPES),
              party_id: z.string().max(64).optional(),
              context: z.enum(['application', 'query', 'intent', 'appeal']).optional().openapi({ description: 'application (default), query (attachment to an answer), intent (to a response to an intent to refuse), appeal' }),
            }),
          },
        },
      },
    },
    responses: { 201: json(DocumentSchema, 'Stored'), 413: json(z.object({}), 'Over the document size limit'), 415: json(z.object({}), 'Not multipart'), ...CONFLICT },
  }),
  download: defineRoute({
    method: 'get',
    path: '/api/applications/{id}/documents/{documentId}',
    access: 'applications:read',
    tags: TAG,
    summary: 'Download a document',
    request: { params: docParams },
    responses: { 200: { description: 'The document', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } } },
  }),
  removeDocument: defineRoute({
    method: 'delete',
    path: '/api/applications/{id}/documents/{documentId}',
    access: 'applications:write',
    tags: TAG,
    summary: 'Remove a document from a draft',
    request: { params: docParams },
    responses: { 204: { description: 'Removed' }, ...CONFLICT },
  }),
  submit: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/submit',
    access: 'applications:write',
    tags: TAG,
    summary: 'Submit: refused with LICENSING_APPLICATION_INCOMPLETE (and the checklist) until the checklist is clear; starts the clock and the pre-checks',
    request: { params: idParam },
    responses: { 200: json(ExporterApplicationSchema, 'Submitted'), ...CONFLICT },
  }),
  withdraw: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/withdraw',
    access: 'applications:write',
    tags: TAG,
    summary: 'Withdraw the application',
    request: { params: idParam, ...body(z.strictObject({ reasons: z.string().max(4000).optional() })) },
    responses: { 200: json(ExporterApplicationSchema, 'Withdrawn'), ...CONFLICT },
  }),
  answer: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/queries/{queryId}/answer',
    access: 'applications:write',
    tags: TAG,
    summary: 'Answer a question of the authority; the last answer resumes the clock',
    request: { params: queryParams, ...body(z.strictObject({ answer: z.string().min(1).max(20000) })) },
    responses: { 200: json(ExporterApplicationSchema, 'Answered'), ...CONFLICT },
  }),
  intentResponse: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/intent-response',
    access: 'applications:write',
    tags: TAG,
    summary: 'Respond to a notice of intent to refuse, within its window',
    request: { params: idParam, ...body(z.strictObject({ response: z.string().min(1).max(20000) })) },
    responses: { 200: json(ExporterApplicationSchema, 'Response recorded'), ...CONFLICT },
  }),
  appeal: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/appeal',
    access: 'applications:write',
    tags: TAG,
    summary: 'Appeal a refusal or the conditions of an approval, within the appeal window, with grounds (and documents uploaded with context "appeal")',
    request: { params: idParam, ...body(z.strictObject({ grounds: z.string().min(1).max(20000), document_ids: z.array(z.string().max(64)).max(20).optional() })) },
    responses: { 200: json(ExporterApplicationSchema, 'Appeal filed'), ...CONFLICT },
  }),
  amend: defineRoute({
    method: 'post',
    path: '/api/applications/{id}/amendments',
    access: 'applications:write',
    tags: TAG,
    summary: 'Amend an application under review: a linked draft copy; submitting it supersedes this one',
    request: { params: idParam },
    responses: { 201: json(ExporterApplicationSchema, 'Amendment draft'), ...CONFLICT },
  }),
  amendLicence: defineRoute({
    method: 'post',
    path: '/api/licences/{id}/amendments',
    access: 'applications:write',
    tags: ['licensing: licences'],
    summary: 'Amend an issued licence (quantities, parties, destinations, validity): a draft pre-filled from the licence',
    request: { params: idParam },
    responses: { 201: json(ExporterApplicationSchema, 'Amendment draft'), ...CONFLICT },
  }),
};

export function applicationRoutes(app: OpenAPIHono<AppEnv>): void {
  const now = (c: { get(k: 'services'): { clock: { now(): Date } } }) => c.get('services').clock.now();

  app.openapi(routes.list, async (c) => {
    const ctx = requestContext(c);
    const scope = exporterScope(ctx);
    const q = c.req.valid('query');
    const after = parseCursor(q.cursor);
    const rows = await listApplications(ctx.db, (scope as { organisationId: string }).organisationId, { limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(after ? { before: { updated_at: after.key, id: after.id } } : {}) });
    const last = rows.at(-1);
    return c.json({ applications: rows.map(exporterSummary), next_cursor: rows.length === q.limit && last ? `${last.updated_at}|${last.id}` : null }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const ctx = requestContext(c);
    const scope = exporterScope(ctx) as { organisationId: string };
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    const row = await transact(c, async (trx, audit) => {
      const r = await createApplication(trx, clock, ctx.actor, scope.organisationId, {
        licence_type: input.licence_type,
        ...(input.authority_id !== undefined ? { authority_id: input.authority_id } : {}),
        ...(input.content ? { content: input.content } : {}),
      });
      await audit('licensing.application_created', 'licensing_application', r.id);
      return r;
    });
    return c.json(await exporterApplication(ctx.db, row, ctx.principal, now(c)), 201);
  });

  app.openapi(routes.get, async (c) => {
    const ctx = requestContext(c);
    const row = await loadApplication(ctx.db, c.req.valid('param').id, exporterScope(ctx));
    return c.json(await exporterApplication(ctx.db, row, ctx.principal, now(c)), 200);
  });

  app.openapi(routes.patch, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await updateContent(trx, c.get('services').clock, ctx.actor, row, patch as Parameters<typeof updateContent>[4]);
      await audit('licensing.application_changed', 'licensing_application', id);
    });
    return c.json(await reloadForExporter(ctx.db, id, ctx, now(c)), 200);
  });

  app.openapi(routes.checklist, async (c) => {
    const ctx = requestContext(c);
    const row = await loadApplication(ctx.db, c.req.valid('param').id, exporterScope(ctx));
    return c.json(await checklistOf(ctx.db, row, await loadSnapshot(ctx.db, row)), 200);
  });

  app.openapi(routes.addItem, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const item = await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      const i = await addItem(trx, c.get('services').clock, ctx.actor, row, input);
      await audit('licensing.item_added', 'licensing_item', i.id);
      return i;
    });
    return c.json(item, 201);
  });

  app.openapi(routes.updateItem, async (c) => {
    const ctx = requestContext(c);
    const { id, itemId } = c.req.valid('param');
    const input = c.req.valid('json');
    const item = await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      const i = await updateItem(trx, c.get('services').clock, ctx.actor, row, itemId, input);
      await audit('licensing.item_changed', 'licensing_item', i.id);
      return i;
    });
    return c.json(item, 200);
  });

  app.openapi(routes.removeItem, async (c) => {
    const ctx = requestContext(c);
    const { id, itemId } = c.req.valid('param');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await removeItem(trx, c.get('services').clock, ctx.actor, row, itemId);
      await audit('licensing.item_removed', 'licensing_item', itemId);
    });
    return c.body(null, 204);
  });

  app.openapi(routes.classifyItem, async (c) => {
    const ctx = requestContext(c);
    const { id, itemId } = c.req.valid('param');
    const item = await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      const i = await reclassifyItem(trx, c.get('services').clock, ctx.actor, row, itemId);
      await audit('licensing.item_classified', 'licensing_item', i.id);
      return i;
    });
    return c.json(item, 200);
  });

  app.openapi(routes.addParty, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const party = await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      const p = await addParty(trx, c.get('services').clock, ctx.actor, row, input);
      await audit('licensing.party_added', 'licensing_party', p.id);
      return p;
    });
    return c.json(party, 201);
  });

  app.openapi(routes.updateParty, async (c) => {
    const ctx = requestContext(c);
    const { id, partyId } = c.req.valid('param');
    const input = c.req.valid('json');
    const party = await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      const p = await updateParty(trx, c.get('services').clock, ctx.actor, row, partyId, input);
      await audit('licensing.party_changed', 'licensing_party', p.id);
      return p;
    });
    return c.json(party, 200);
  });

  app.openapi(routes.removeParty, async (c) => {
    const ctx = requestContext(c);
    const { id, partyId } = c.req.valid('param');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await removeParty(trx, c.get('services').clock, ctx.actor, row, partyId);
      await audit('licensing.party_removed', 'licensing_party', partyId);
    });
    return c.body(null, 204);
  });

  app.openapi(routes.screenParty, async (c) => {
    const ctx = requestContext(c);
    const { id, partyId } = c.req.valid('param');
    const party = await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      const p = await rescreenParty(trx, c.get('services').clock, ctx.actor, row, partyId);
      await audit('licensing.party_screened', 'licensing_party', p.id);
      return p;
    });
    return c.json(party, 200);
  });

  app.openapi(routes.upload, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const form = c.req.valid('form') as { file?: unknown; doc_type: string; party_id?: string; context?: 'application' | 'query' | 'intent' | 'appeal' };
    const file = form.file;
    if (!(file instanceof File)) throw new FabgateError('LICENSING_DOCUMENT_MISSING', 'send the document in the multipart field "file"', 'invalid_input');
    const limit = licensingReference().vocabularies.data.document_max_bytes;
    if (file.size > limit) throw new FabgateError('LICENSING_DOCUMENT_TOO_LARGE', `documents are limited to ${limit} bytes`, 'too_large', { limit, size: file.size });
    const bytes = new Uint8Array(await file.arrayBuffer());
    const doc = await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      const d = await addDocument(trx, c.get('services').clock, ctx.actor, row, {
        doc_type: form.doc_type,
        filename: file.name,
        bytes,
        ...(form.party_id ? { party_id: form.party_id } : {}),
        ...(form.context ? { context: form.context } : {}),
      });
      await audit('licensing.document_uploaded', 'licensing_document', d.id);
      return d;
    });
    return c.json(doc, 201);
  });

  app.openapi(routes.download, async (c) => {
    const ctx = requestContext(c);
    const { id, documentId } = c.req.valid('param');
    const row = await loadApplication(ctx.db, id, exporterScope(ctx));
    return sendDocument(c, await getDocument(ctx.db, row, documentId)) as never;
  });

  app.openapi(routes.removeDocument, async (c) => {
    const ctx = requestContext(c);
    const { id, documentId } = c.req.valid('param');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await removeDocument(trx, c.get('services').clock, ctx.actor, row, documentId);
      await audit('licensing.document_removed', 'licensing_document', documentId);
    });
    return c.body(null, 204);
  });

  app.openapi(routes.submit, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await takeTransition(trx, c.get('services').clock, ctx.actor, row, 'submit');
      await audit('licensing.application_submitted', 'licensing_application', id);
    });
    return c.json(await reloadForExporter(ctx.db, id, ctx, now(c)), 200);
  });

  app.openapi(routes.withdraw, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const { reasons } = c.req.valid('json');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await takeTransition(trx, c.get('services').clock, ctx.actor, row, 'withdraw', reasons ? { reasons } : {});
      await audit('licensing.application_withdrawn', 'licensing_application', id);
    });
    return c.json(await reloadForExporter(ctx.db, id, ctx, now(c)), 200);
  });

  app.openapi(routes.answer, async (c) => {
    const ctx = requestContext(c);
    const { id, queryId } = c.req.valid('param');
    const { answer } = c.req.valid('json');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await answerQuery(trx, c.get('services').clock, ctx.actor, row, queryId, answer);
      await audit('licensing.query_answered', 'licensing_query', queryId);
    });
    return c.json(await reloadForExporter(ctx.db, id, ctx, now(c)), 200);
  });

  app.openapi(routes.intentResponse, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const { response } = c.req.valid('json');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await respondToIntent(trx, c.get('services').clock, ctx.actor, row, response);
      await audit('licensing.intent_responded', 'licensing_application', id);
    });
    return c.json(await reloadForExporter(ctx.db, id, ctx, now(c)), 200);
  });

  app.openapi(routes.appeal, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      await takeTransition(trx, c.get('services').clock, ctx.actor, row, 'appeal', { grounds: input.grounds, ...(input.document_ids ? { document_ids: input.document_ids } : {}) });
      await audit('licensing.appeal_filed', 'licensing_application', id);
    });
    return c.json(await reloadForExporter(ctx.db, id, ctx, now(c)), 200);
  });

  app.openapi(routes.amend, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const draft = await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, exporterScope(ctx));
      const d = await startCaseAmendment(trx, c.get('services').clock, ctx.actor, row);
      await audit('licensing.amendment_started', 'licensing_application', d.id);
      return d;
    });
    return c.json(await reloadForExporter(ctx.db, draft.id, ctx, now(c)), 201);
  });

  app.openapi(routes.amendLicence, async (c) => {
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    const draft = await transact(c, async (trx, audit) => {
      const lic = await loadLicence(trx, id, exporterScope(ctx));
      const d = await startLicenceAmendment(trx, c.get('services').clock, ctx.actor, lic);
      await audit('licensing.licence_amendment_started', 'licensing_application', d.id);
      return d;
    });
    return c.json(await reloadForExporter(ctx.db, draft.id, ctx, now(c)), 201);
  });
}
