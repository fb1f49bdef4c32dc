/**
 * Child process for the SIGKILL test: writes multi-row transactions as fast as
 * it can and prints the id of each one after its commit returned (i.e. after it
 * was acknowledged). The parent kills it with SIGKILL mid-stream.
 */
import { pino } from 'pino';
import { openServices } from '../../app/services.js';
import { recordAudit, SYSTEM_ACTOR } from '../../audit/trail.js';
import { createOrganisation } from '../../identity/service.js';
import { systemClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config.js';

const config = loadConfig(process.env);
const services = await openServices(config, { logger: pino({ level: 'silent' }), processMetrics: false, ...(process.env.PG_SCHEMA ? { pgSchema: process.env.PG_SCHEMA } : {}) });
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const id = await services.database.db.transaction().execute(async (trx) => {
    const org = await createOrganisation(trx, systemClock, { name: `crash-${process.pid}-${i}`, kind: 'exporter' });
    // the second and third rows of the same change: all or nothing
    await recordAudit(trx, { actor: SYSTEM_ACTOR, action: 'test.organisation_created', targetType: 'organisation', targetId: org.id, at: new Date() });
    await recordAudit(trx, { actor: SYSTEM_ACTOR, action: 'test.organisation_checked', targetType: 'organisation', targetId: org.id, at: new Date() });
    return org.id;
  });
  process.stdout.write(id + '\n');
}
