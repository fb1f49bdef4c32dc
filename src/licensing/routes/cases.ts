/**
 * The authority's routes: queues, the case view with its pre-checks, risk
 * breakdown, routing explanation and history, and one route per step of the
 * state machine. Each step route names its transition and goes through
 * `takeTransition`, so a step the table does not allow from the case's
 * state is refused (LICENSING_TRANSITION_NOT_ALLOWED) whatever the route.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../../http/env.js';
import { defineRoute, transact } from '../../http/route.js';
import { CaseSchema, CaseSummarySchema } from '../presenters.js';
import { licensingReference } from '../reference.js';
import { getDocument, loadApplication } from '../store/applications.js';
import { addNote, clearFlag, proposeDecision, queueCounts, queueQuery, recordAdvice, rerunPrechecks, takeTransition, type TransitionInput } from '../store/cases.js';
import { authorityScope, body, caseView, CONFLICT, idParam, json, pageQuery, parseCursor, requestContext, sendDocument } from './common.js';

const TAG = ['licensing: cases'];
const reasons = z.string().min(1).max(20000);
const conditionInput = z.strictObject({ id: z.string().max(60).optional(), text: z.string().max(4000).optional() });

/** One route per step: its path, transition, request body and audit action. */
const STEPS = [
  { path: 'register', transition: 'register', summary: 'Register a submitted case (initial checks)', body: null },
  { path: 'return', transition: 'return_without_action', summary: 'Return without action, with the deficiencies', body: z.strictObject({ reasons }) },
  { path: 'review', transition: 'begin_review', summary: 'Begin the review (the caller becomes the case officer)', body: null },
  { path: 'referrals', transition: 'refer', summary: 'Refer the case to advisory bodies (30 days to answer)', body: z.strictObject({ advisers: z.array(z.string().min(1).max(200)).min(1).max(10), reasons: reasons.optional() }) },
  { path: 'consolidate', transition: 'consolidate', summary: 'Consolidate the advice (all answered, or the deadline passed)', body: null },
  { path: 'final-review', transition: 'to_final_review', summary: 'Move to final review', body: null },
  { path: 'queries', transition: 'ask_applicant', summary: 'Ask the applicant a question: the clock pauses until the answer', body: z.strictObject({ question: z.string().min(1).max(20000) }) },
  { path: 'queries/close', transition: 'close_query', summary: 'Close the open questions without an answer (the clock resumes)', body: z.strictObject({ reasons }) },
  { path: 'countersign-request', transition: 'request_countersign', summary: 'Send the proposed decision for countersigning', body: null },
  { path: 'approve', transition: 'approve', summary: 'Approve with the proposed conditions: issues (or amends) the licence; a decisive event', body: null },
  { path: 'no-licence-required', transition: 'decide_no_licence_required', summary: 'Decide that no licence is required', body: null },
  { path: 'intent-to-refuse', transition: 'notify_intent_to_refuse', summary: 'Notify the intent to refuse, with the criteria: the applicant may respond within the window', body: null },
  { path: 'refuse', transition: 'refuse', summary: 'Refuse after the response window (or the response): a decisive event; the appeal window opens', body: z.strictObject({ reasons: reasons.optional() }) },
  { path: 'reconsider', transition: 'reconsider', summary: 'Reconsider after the response to an intent to refuse', body: z.strictObject({ reasons }) },
  {
    path: 'appeal-decision',
    transition: 'decide_appeal',
    summary: 'Decide an appeal (by another officer than the one who decided the case)',
    body: z.strictObject({ outcome: z.enum(['allowed', 'conditions_varied', 'dismissed', 'rejected']), reasons, conditions: z.array(conditionInput).max(30).optional() }),
  },
] as const;

const routes = {
  queues: defineRoute({
    method: 'get',
    path: '/api/queues',
    access: 'cases:read',
    tags: TAG,
    summary: 'The queues with their open and overdue cases',
    responses: { 200: json(z.object({ queues: z.array(z.object({ id: z.string(), name: z.string(), open: z.number().int(), overdue: z.number().int() })), rules_version: z.string() }), 'Queues') },
  }),
  list: defineRoute({
    method: 'get',
    path: '/api/cases',
    access: 'cases:read',
    tags: TAG,
    summary: 'A queue of cases, oldest submission (or soonest due) first; keyset pages',
    request: {
      query: z.object({
        queue: z.string().max(60).optional(),
        state: z.string().max(40).optional(),
        officer: z.string().max(64).optional(),
        overdue: z.enum(['true', 'false']).optional(),
        sort: z.enum(['submitted', 'due']).default('submitted'),
        ...pageQuery,
      }),
    },
    responses: { 200: json(z.object({ cases: z.array(CaseSummarySchema), next_cursor: z.string().nullable() }), 'Cases') },
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/cases/{id}',
    access: 'cases:read',
    tags: TAG,
    summary: 'A case with its pre-checks, risk breakdown, routing explanation, clocks and history',
    request: { params: idParam },
    responses: { 200: json(CaseSchema, 'The case') },
  }),
  download: defineRoute({
    method: 'get',
    path: '/api/cases/{id}/documents/{documentId}',
    access: 'cases:read',
    tags: TAG,
    summary: 'Download a document of a case',
    request: { params: idParam.extend({ documentId: z.string().min(1).max(64) }) },
    responses: { 200: { description: 'The document', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } } },
  }),
  note: defineRoute({
    method: 'post',
    path: '/api/cases/{id}/notes',
    access: 'cases:work',
    tags: TAG,
    summary: 'Add an internal note (never shown to the exporter)',
    request: { params: idParam, ...body(z.strictObject({ body: z.string().min(1).max(20000) })) },
    responses: { 201: json(CaseSchema, 'Noted') },
  }),
  advice: defineRoute({
    method: 'post',
    path: '/api/cases/{id}/referrals/{referralId}/advice',
    access: 'cases:work',
    tags: TAG,
    summary: "Record an advisory body's advice",
    request: { params: idParam.extend({ referralId: z.string().min(1).max(64) }), ...body(z.strictObject({ advice_kind: z.enum(['no_objection', 'approve', 'proviso', 'refuse']), advice: z.string().min(1).max(20000) })) },
    responses: { 200: json(CaseSchema, 'Recorded'), ...CONFLICT },
  }),
  prechecks: defineRoute({
    method: 'post',
    path: '/api/cases/{id}/prechecks',
    access: 'cases:work',
    tags: TAG,
    summary: 'Run the pre-checks and the risk assessment again (new rule sets or lists) and re-route',
    request: { params: idParam },
    responses: { 200: json(CaseSchema, 'Re-checked'), ...CONFLICT },
  }),
  clearFlag: defineRoute({
    method: 'post',
    path: '/api/cases/{id}/flags/{flag}/clear',
    access: 'cases:work',
    tags: TAG,
    summary: 'Clear a flag that blocks approval, with reasons (who may clear which flag is configuration)',
    request: { params: idParam.extend({ flag: z.string().min(1).max(80) }), ...body(z.strictObject({ reasons })) },
    responses: { 200: json(CaseSchema, 'Cleared'), ...CONFLICT },
  }),
  proposal: defineRoute({
    method: 'put',
    path: '/api/cases/{id}/proposal',
    access: 'cases:work',
    tags: TAG,
    summary: 'Propose the decision in final review: approval with conditions (standard library or free text), refusal with criteria per item/party/destination, or no licence required',
    request: {
      params: idParam,
      ...body(
        z.strictObject({
          kind: z.enum(['approve', 'refuse', 'no_licence_required']),
          reasons,
          conditions: z.array(conditionInput).max(30).optional(),
          refusal_criteria: z
            .array(z.strictObject({ criterion: z.string().max(10), target: z.enum(['item', 'party', 'destination', 'application']), target_id: z.string().max(64).nullable().optional(), explanation: z.string().min(1).max(8000) }))
            .max(50)
            .optional(),
          validity_months: z.number().int().min(1).max(120).nullable().optional(),
        }),
      ),
    },
    responses: { 200: json(CaseSchema, 'Proposed'), ...CONFLICT },
  }),
  countersign: defineRoute({
    method: 'post',
    path: '/api/cases/{id}/countersignatures',
    access: 'cases:countersign',
    tags: TAG,
    summary: 'Countersign the proposed decision, or reject it with reasons (the case returns to final review)',
    request: { params: idParam, ...body(z.strictObject({ outcome: z.enum(['accept', 'reject']), reasons: reasons.optional() })) },
    responses: { 200: json(CaseSchema, 'Countersigned'), ...CONFLICT },
  }),
};

const stepRoutes = STEPS.map((s) =>
  defineRoute({
    method: 'post',
    path: `/api/cases/{id}/${s.path}`,
    access: 'cases:work',
    tags: TAG,
    summary: `${s.summary} (transition ${s.transition})`,
    request: { params: idParam, ...(s.body ? body(s.body) : {}) },
    responses: { 200: json(CaseSchema, 'The case after the step'), ...CONFLICT },
  }),
);

async function stepHandler(c: Context<AppEnv>, transition: string, input: TransitionInput) {
  const ctx = requestContext(c);
  const id = c.req.param('id')!;
  await transact(c, async (trx, audit) => {
    const row = await loadApplication(trx, id, authorityScope(ctx));
    await takeTransition(trx, c.get('services').clock, ctx.actor, row, transition, input);
    await audit(`licensing.case_${transition}`, 'licensing_case', id);
  });
  const row = await loadApplication(ctx.db, id, ctx.scope);
  return c.json(await caseView(ctx.db, row, ctx.principal, c.get('services').clock.now()), 200);
}

export function caseRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(routes.queues, async (c) => {
    const ctx = requestContext(c);
    const scope = authorityScope(ctx) as { organisationId: string };
    const counts = await queueCounts(ctx.db, scope.organisationId, c.get('services').clock.now());
    const rules = licensingReference().routing;
    return c.json(
      {
        queues: rules.data.queues.map((q) => ({ id: q.id, name: q.name, open: counts.find((x) => x.queue === q.id)?.open ?? 0, overdue: counts.find((x) => x.queue === q.id)?.overdue ?? 0 })),
        rules_version: rules.version,
      },
      200,
    );
  });

  app.openapi(routes.list, async (c) => {
    const ctx = requestContext(c);
    const scope = authorityScope(ctx) as { organisationId: string };
    const q = c.req.valid('query');
    const now = c.get('services').clock.now();
    const after = parseCursor(q.cursor);
    const rows = await queueQuery(ctx.db, scope.organisationId, now, {
      sort: q.sort,
      limit: q.limit,
      ...(q.queue ? { queue: q.queue } : {}),
      ...(q.state ? { state: q.state } : {}),
      ...(q.officer ? { officer: q.officer } : {}),
      ...(q.overdue === 'true' ? { overdue: true } : {}),
      ...(after ? { after } : {}),
    }).execute();
    const last = rows.at(-1);
    const key = (r: (typeof rows)[number]) => (q.sort === 'due' ? r.sla_due_at : r.submitted_at);
    return c.json(
      {
        cases: rows.map((r) => ({
          id: r.id,
          reference: r.reference,
          state: r.state,
          licence_type: r.licence_type,
          kind: r.kind,
          organisation_id: r.organisation_id,
          queue: r.queue,
          risk_score: r.risk_score,
          risk_band: r.risk_band,
          flags: JSON.parse(r.flags) as string[],
          submitted_at: r.submitted_at,
          sla_due_at: r.sla_due_at,
          overdue: r.sla_due_at !== null && r.sla_due_at <= now.toISOString(),
          case_officer_id: r.case_officer_id,
        })),
        next_cursor: rows.length === q.limit && last ? `${key(last)}|${last.id}` : null,
      },
      200,
    );
  });

  app.openapi(routes.get, async (c) => {
    const ctx = requestContext(c);
    const row = await loadApplication(ctx.db, c.req.valid('param').id, authorityScope(ctx));
    return c.json(await caseView(ctx.db, row, ctx.principal, c.get('services').clock.now()), 200);
  });

  app.openapi(routes.download, async (c) => {
    const ctx = requestContext(c);
    const { id, documentId } = c.req.valid('param');
    const row = await loadApplication(ctx.db, id, authorityScope(ctx));
    return sendDocument(c, await getDocument(ctx.db, row, documentId)) as never;
  });

  /** A case action that is not a transition: run it, audit it, return the case. */
  const action = async (c: Context<AppEnv>, audited: string, fn: (trx: Parameters<Parameters<typeof transact>[1]>[0], ctx: ReturnType<typeof requestContext>, row: Awaited<ReturnType<typeof loadApplication>>) => Promise<unknown>, status: 200 | 201 = 200) => {
    const ctx = requestContext(c);
    const id = c.req.param('id')!;
    await transact(c, async (trx, audit) => {
      const row = await loadApplication(trx, id, authorityScope(ctx));
      await fn(trx, ctx, row);
      await audit(audited, 'licensing_case', id);
    });
    const row = await loadApplication(ctx.db, id, ctx.scope);
    return c.json(await caseView(ctx.db, row, ctx.principal, c.get('services').clock.now()), status);
  };

  app.openapi(routes.note, (c) => action(c, 'licensing.case_note_added', (trx, ctx, row) => addNote(trx, c.get('services').clock, ctx.actor, row, c.req.valid('json').body), 201) as never);
  app.openapi(routes.advice, (c) =>
    action(c, 'licensing.case_advice_recorded', (trx, ctx, row) => recordAdvice(trx, c.get('services').clock, ctx.actor, row, c.req.valid('param').referralId, c.req.valid('json'))) as never,
  );
  app.openapi(routes.prechecks, (c) => action(c, 'licensing.case_prechecks_run', (trx, ctx, row) => rerunPrechecks(trx, c.get('services').clock, ctx.actor, row)) as never);
  app.openapi(routes.clearFlag, (c) =>
    action(c, 'licensing.case_flag_cleared', (trx, ctx, row) => clearFlag(trx, c.get('services').clock, ctx.actor, row, c.req.valid('param').flag, c.req.valid('json').reasons)) as never,
  );
  app.openapi(routes.proposal, (c) => {
    const input = c.req.valid('json');
    return action(c, 'licensing.case_decision_proposed', (trx, ctx, row) =>
      proposeDecision(trx, c.get('services').clock, ctx.actor, row, {
        kind: input.kind,
        reasons: input.reasons,
        ...(input.conditions ? { conditions: input.conditions } : {}),
        ...(input.refusal_criteria ? { refusal_criteria: input.refusal_criteria } : {}),
        ...(input.validity_months !== undefined ? { validity_months: input.validity_months } : {}),
      }),
    ) as never;
  });
  app.openapi(routes.countersign, async (c) => {
    const { outcome, reasons: why } = c.req.valid('json');
    const ctx = requestContext(c);
    const row = await loadApplication(ctx.db, c.req.valid('param').id, authorityScope(ctx));
    // Accepting is `countersign` in the first round and `countersign_second` in the second.
    const transition = outcome === 'reject' ? 'reject_countersign' : row.state === 'countersign_2' ? 'countersign_second' : 'countersign';
    return stepHandler(c, transition, why ? { reasons: why } : {}) as never;
  });

  STEPS.forEach((s, i) => {
    app.openapi(stepRoutes[i]!, async (c) => {
      const input = (s.body ? c.req.valid('json' as never) : {}) as TransitionInput;
      return stepHandler(c, s.transition, input) as never;
    });
  });
}

/** Which route takes which transition (the generated HTTP test walks this). */
export const STEP_TRANSITIONS = [
  ...STEPS.map((s) => ({ path: `/api/cases/{id}/${s.path}`, transition: s.transition as string })),
  { path: '/api/cases/{id}/countersignatures', transition: 'countersign' },
];
