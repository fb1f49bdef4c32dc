/**
 * Child process for the log's SIGKILL test: commits decisive events in small
 * batches and integrates them (signing checkpoints) as fast as it can, printing
 * each batch's sequence numbers once committed. The parent kills it mid-way.
 */
import { pino } from 'pino';
import { openServices } from '../../app/services.js';
import { systemClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config.js';
import { logDecisiveEvent } from '../decisive.js';

const config = loadConfig(process.env);
const s = await openServices(config, { logger: pino({ level: 'silent' }), processMetrics: false, ...(process.env.PG_SCHEMA ? { pgSchema: process.env.PG_SCHEMA } : {}) });
process.stdout.write('ready\n');
for (let batch = 0; ; batch++) {
  const seqs = await s.database.db.transaction().execute(async (trx) => {
    const out: number[] = [];
    for (let i = 0; i < 20; i++) {
      const e = await logDecisiveEvent(trx, { type: 'test.crash', recordType: 'crash-record', recordId: `r-${process.pid}-${batch}-${i}`, record: { batch, i }, at: systemClock.now() });
      out.push(e.seq);
    }
    return out;
  });
  process.stdout.write(seqs.join(',') + '\n');
  await s.ledger.integrate(37);
}
