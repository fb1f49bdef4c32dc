import { randomBytes } from 'node:crypto';
import { recordAudit, SYSTEM_ACTOR } from '../audit/trail.js';
import type { Services } from './services.js';
import { createOrganisation, createUser } from '../identity/service.js';
import type { OrganisationKind, Role } from '../identity/permissions.js';

/** The demo world of SPINE.md: an exporter, an authority, a device operator. */
const DEMO: Array<{ name: string; kind: OrganisationKind; country: string; users: Array<{ email: string; name: string; role: Role }> }> = [
  {
    name: 'Aurora Additive GmbH',
    kind: 'exporter',
    country: 'DE',
    users: [
      { email: 'officer@aurora.example', name: 'Hanna Berger (compliance officer)', role: 'compliance_officer' },
      { email: 'applicant@aurora.example', name: 'Jonas Keller (applicant)', role: 'applicant' },
      { email: 'admin@aurora.example', name: 'Aurora administrator', role: 'admin' },
    ],
  },
  {
    name: 'Federal Export Licensing Authority',
    kind: 'authority',
    country: 'DE',
    users: [
      { email: 'officer@authority.example', name: 'Miriam Vogt (licensing officer)', role: 'licensing_officer' },
      { email: 'officer2@authority.example', name: 'Tobias Brandt (licensing officer, appeals)', role: 'licensing_officer' },
      { email: 'supervisor@authority.example', name: 'Clara Neumann (supervisor)', role: 'supervisor' },
      // A very-high-risk decision needs two countersignatures from different supervisors.
      { email: 'supervisor2@authority.example', name: 'Lukas Weber (supervisor)', role: 'supervisor' },
      { email: 'auditor@authority.example', name: 'Peter Roth (auditor)', role: 'auditor' },
      { email: 'admin@authority.example', name: 'Authority administrator', role: 'admin' },
    ],
  },
  {
    name: 'Northwind Print Services',
    kind: 'device_operator',
    country: 'NL',
    users: [{ email: 'operator@northwind.example', name: 'Sven de Jong (device operator)', role: 'admin' }],
  },
];

export interface DemoCredential {
  organisation: string;
  email: string;
  role: Role;
  password: string;
}

/**
 * Seed the demo organisations and users into an empty database, in one
 * transaction. Each user gets a random password, returned once (the server
 * prints them at first start); nothing is seeded when organisations exist.
 */
export async function seedDemo(services: Services): Promise<DemoCredential[] | null> {
  const { database, clock } = services;
  return database.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('organisations').select('id').limit(1).execute();
    if (existing.length) return null;
    const credentials: DemoCredential[] = [];
    for (const org of DEMO) {
      const o = await createOrganisation(trx, clock, { name: org.name, kind: org.kind, country: org.country });
      for (const u of org.users) {
        const password = randomBytes(12).toString('base64url');
        await createUser(trx, clock, { organisationId: o.id, email: u.email, displayName: u.name, role: u.role, password });
        credentials.push({ organisation: org.name, email: u.email, role: u.role, password });
      }
    }
    await recordAudit(trx, { actor: SYSTEM_ACTOR, action: 'system.demo_seeded', at: clock.now() });
    return credentials;
  });
}

export function formatCredentials(creds: DemoCredential[]): string {
  const w = Math.max(...creds.map((c) => c.email.length));
  const lines = creds.map((c) => `  ${c.email.padEnd(w)}  ${c.password}  ${c.role} — ${c.organisation}`);
  return ['Demo users (passwords are shown this once; `fabgate user add` makes more):', ...lines].join('\n');
}
