/**
 * Child process for the screening SIGKILL tests. `CRASH_MODE=load`: loads the
 * list file CRASH_FILE in small batches, printing "staged N" after each batch
 * commits. `CRASH_MODE=batch`: runs the batch job CRASH_JOB in small chunks,
 * printing "done N" after each chunk commits. The parent kills it mid-way.
 */
import { pino } from 'pino';
import { openServices } from '../../app/services.js';
import { loadConfig } from '../../shared/config.js';
import { JobRunner } from '../jobs.js';
import { fileInput } from '../lists/source.js';
import { screeningRuntime } from '../runtime.js';
import { loadListFiles } from '../service.js';
import { TEST_ACTOR } from './service.js';

const config = loadConfig(process.env);
const s = await openServices(config, { logger: pino({ level: 'silent' }), processMetrics: false, ...(process.env.PG_SCHEMA ? { pgSchema: process.env.PG_SCHEMA } : {}) });
process.stdout.write('ready\n');
if (process.env.CRASH_MODE === 'load') {
  await loadListFiles(s, [fileInput(process.env.CRASH_FILE!)], {
    actor: TEST_ACTOR,
    batchSize: 200,
    onBatch: (n) => {
      process.stdout.write(`staged ${n}\n`);
    },
  });
  process.stdout.write('completed\n');
} else {
  const runner = new JobRunner(s, screeningRuntime(s), { chunk: 40 });
  await runner.runJob(process.env.CRASH_JOB!, (j) => {
    process.stdout.write(`done ${j.done}\n`);
  });
  process.stdout.write('completed\n');
}
await s.close();
