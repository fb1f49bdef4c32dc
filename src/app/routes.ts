import { auditRoutes } from '../audit/routes.js';
import { classificationRoutes } from '../classification/routes.js';
import { screeningRoutes } from '../screening/routes.js';
import type { RouteModule } from '../http/app.js';
import { systemRoutes, webRoutes } from '../http/system.js';
import { identityRoutes } from '../identity/routes.js';
import { licensingRoutes } from '../licensing/routes.js';
import { ledgerRoutes } from '../ledger/routes.js';
import { deviceRoutes } from '../devices/routes.js';
import { designRoutes } from '../designs/routes.js';
import { ticketRoutes } from '../tickets/routes.js';

/** Every module's routes, in mounting order. The web UI's catch-all comes last. */
export const routeModules: RouteModule[] = [systemRoutes, identityRoutes, auditRoutes, ledgerRoutes, classificationRoutes, screeningRoutes, licensingRoutes, deviceRoutes, designRoutes, ticketRoutes, webRoutes];
