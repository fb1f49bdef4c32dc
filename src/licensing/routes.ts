/**
 * The licensing routes, in one module for the composition root
 * (src/app/routes.ts). Importing it registers the decisive-record resolvers.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.js';
import { applicationRoutes } from './routes/applications.js';
import { caseRoutes } from './routes/cases.js';
import { licenceRoutes } from './routes/licences.js';
import { referenceRoutes } from './routes/reference.js';
import './store/records.js';

export function licensingRoutes(app: OpenAPIHono<AppEnv>): void {
  referenceRoutes(app);
  applicationRoutes(app);
  caseRoutes(app);
  licenceRoutes(app);
}
