/**
 * Demo screening data for a fresh instance (the composition root's first-start
 * seed calls `seedScreeningDemo`): the real lists shipped in `demo/` (US
 * Government publications, see demo/README.md for provenance and licence)
 * loaded as list versions — so the transparency log opens with their
 * `list_version.activated` events — and a few customers of the demo exporter,
 * one of them a romanisation of the Cyrillic name of JSC Concern Sirius (SPINE
 * step 2), one a legitimate look-alike. The customers are invented and say so
 * in their reference.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Services } from '../app/services.js';
import { recordAudit, type Actor } from '../audit/trail.js';
import { findOrganisation } from '../identity/service.js';
import { FabgateError } from '../shared/errors.js';
import { screeningJobs } from './jobs.js';
import { fileInput } from './lists/source.js';
import { createParty, type PartyInput, type PartyView } from './review.js';
import { screeningRuntime } from './runtime.js';
import { loadListFiles } from './service.js';
import type { ListVersionView } from './versions.js';

export const DEMO_CUSTOMERS: PartyInput[] = [
  // Открытое акционерное общество «Концерн «Сириус», romanised: on OFAC's Consolidated List as KONTSERN SIRIUS OAO.
  { name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU', type: 'organisation', reference: 'DEMO-0001 (invented customer record)' },
  // A legitimate company that shares the word "Sirius": must not be flagged.
  { name: 'Sirius Additive Manufacturing GmbH', country: 'DE', type: 'organisation', reference: 'DEMO-0002 (invented customer record)' },
  { name: 'Nordlicht Maschinenbau GmbH', country: 'DE', type: 'organisation', reference: 'DEMO-0003 (invented customer record)' },
  { name: 'Tecnoforma S.r.l.', country: 'IT', type: 'organisation', reference: 'DEMO-0004 (invented customer record)' },
];

const SEED_ACTOR: Actor = { type: 'system', id: 'demo-seed', organisationId: null };

/** The folder of the shipped demo lists, from the source tree or beside the build. */
export function demoListDir(): string {
  for (const rel of ['./demo/', '../../src/screening/demo/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'ofac-consolidated', 'cons_prim.csv'))) return dir;
  }
  throw new FabgateError('SCREENING_DEMO_MISSING', 'the demo lists (src/screening/demo/) are not where Fabgate runs', 'internal');
}

/** The shipped demo list files, OFAC's parts together so they load as one list. */
export function demoListFiles(): string[] {
  const dir = demoListDir();
  return [
    ...['cons_prim.csv', 'cons_alt.csv', 'cons_add.csv', 'cons_comments.csv'].map((f) => join(dir, 'ofac-consolidated', f)),
    join(dir, 'bis-dpl', 'dpl.txt'),
  ];
}

export interface ScreeningDemo {
  versions: ListVersionView[];
  customers: PartyView[];
}

/**
 * Load the demo lists when no list version exists yet, and add the demo
 * customers to the demo exporter when it has none (each screened at once: the
 * Sirius customer raises an alert). Returns null when there was nothing to do.
 */
export async function seedScreeningDemo(services: Services, opts: { exporter: string }): Promise<ScreeningDemo | null> {
  const { database, clock } = services;
  const db = database.db;
  const versions: ListVersionView[] = [];
  const anyVersion = await db.selectFrom('screening_list_versions').select('id').where('state', '=', 'complete').limit(1).executeTakeFirst();
  if (!anyVersion) {
    const loaded = await loadListFiles(services, demoListFiles().map(fileInput), {
      actor: SEED_ACTOR,
      audit: async (trx, r) => {
        await recordAudit(trx, { actor: SEED_ACTOR, action: 'lists.version_loaded', targetType: 'list_version', targetId: r.version.id, at: clock.now() });
      },
    });
    versions.push(...loaded.map((l) => l.version));
    const jobs = screeningJobs(services);
    for (const l of loaded) if (l.rescreen_job) await jobs.runJob(l.rescreen_job);
  }
  const customers: PartyView[] = [];
  const org = await findOrganisation(db, opts.exporter);
  if (org) {
    const has = await db.selectFrom('screening_parties').select('id').where('organisation_id', '=', org.id).limit(1).executeTakeFirst();
    if (!has) {
      const snap = await screeningRuntime(services).snapshot();
      const actor: Actor = { ...SEED_ACTOR, organisationId: org.id };
      await db.transaction().execute(async (trx) => {
        for (const c of DEMO_CUSTOMERS) {
          const { party } = await createParty(trx, clock, snap, { organisationId: org.id, actor, party: c });
          await recordAudit(trx, { actor, action: 'screening.party_created', targetType: 'screening_party', targetId: party.id, at: clock.now() });
          customers.push(party);
        }
      });
    }
  }
  if (versions.length) services.ledger.nudge();
  return versions.length || customers.length ? { versions, customers } : null;
}
