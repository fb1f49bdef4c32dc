import { z } from '@hono/zod-openapi';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorKind } from '../shared/errors.js';

/** The one error shape of every failure: `{"error": {"code", "message", "details"}}`. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'REQUEST_INVALID', description: 'Stable, machine-readable code; assert on this, not the message.' }),
      message: z.string().openapi({ description: 'What went wrong, for people.' }),
      details: z.unknown().optional().openapi({ description: 'Structured detail, e.g. the invalid fields.' }),
    }),
  })
  .openapi('Error');

export const STATUS_OF_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  integrity: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The error responses every route may give, for the OpenAPI document. */
export const COMMON_ERROR_RESPONSES = {
  400: { description: 'Malformed JSON, wrong types or unknown fields', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'No or bad credentials', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'The role does not allow this, or the CSRF token is missing', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found (or another organisation’s record)', content: { 'application/json': { schema: ErrorSchema } } },
  413: { description: 'Body over the limit', content: { 'application/json': { schema: ErrorSchema } } },
} as const;
