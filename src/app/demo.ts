/**
 * The demo world of SPINE.md on a fresh install: organisations and users, then
 * each domain's demo data (screening lists and customers, licensing cases;
 * each seed is idempotent, so a start interrupted
 * half-way finishes the job next time), and an enrolled print host.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { enrol } from '../agent/enrol.js';
import { paths as agentPaths } from '../agent/config.js';
import { createEnrolmentToken } from '../devices/store.js';
import { findOrganisation } from '../identity/service.js';
import { seedLicensingDemo } from '../licensing/demo.js';
import { seedScreeningDemo } from '../screening/demo.js';
import { seedDemo, type DemoCredential } from './seed.js';
import type { Services } from './services.js';

export const DEMO_EXPORTER = 'Aurora Additive GmbH';
export const DEMO_AUTHORITY = 'Federal Export Licensing Authority';
export const DEMO_OPERATOR = 'Northwind Print Services';

/** Seed everything that needs no running server. Returns the demo users' passwords the first time only. */
export async function seedDemoWorld(services: Services): Promise<DemoCredential[] | null> {
  const credentials = await seedDemo(services);
  if (!(await findOrganisation(services.database.db, DEMO_EXPORTER))) return credentials; // not the demo world
  // Lists first: the demo cases' parties are then screened against them.
  await seedScreeningDemo(services, { exporter: DEMO_EXPORTER });
  await seedLicensingDemo(services, { exporter: DEMO_EXPORTER, authority: DEMO_AUTHORITY });
  await services.ledger.integrate();
  return credentials;
}

/** Where the demo print host keeps its keys and state (an agent state directory). */
export function demoPrintHostDir(services: Services): string {
  return join(services.config.dataDir, 'demo-print-host');
}

/**
 * Enrol the demo print host with the running server, exactly as a real one
 * would (`fabgate-agent enrol`): it makes its keys locally and registers the
 * public halves with a one-time token of the device operator. Returns the
 * state directory, or undefined when there is nothing to do.
 */
export async function enrolDemoPrintHost(services: Services, serverUrl: string): Promise<string | undefined> {
  const dir = demoPrintHostDir(services);
  if (existsSync(agentPaths(dir).config)) return undefined;
  const operator = await findOrganisation(services.database.db, DEMO_OPERATOR);
  if (!operator) return undefined;
  const { token } = await createEnrolmentToken(services.database.db, services.clock, { organisationId: operator.id, createdBy: null, deviceName: 'Northwind demo print host' });
  await enrol({ dir, server: serverUrl, token, name: 'Northwind demo print host' });
  return dir;
}
