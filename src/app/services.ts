import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Config } from '../shared/config.js';
import { KeyWrapper, loadKek } from '../shared/keywrap.js';
import { Metrics } from './metrics.js';
import { TransparencyLog } from '../ledger/log.js';

/** Everything a request handler or a command may use: the composition root's product. */
export interface Services {
  config: Config;
  database: Database;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  keys: KeyWrapper;
  /** The transparency log: decisive events are integrated, checkpoints signed, proofs served. */
  ledger: TransparencyLog;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  clock?: Clock;
  logger?: Logger;
  /** PostgreSQL schema (tests). */
  pgSchema?: string;
  /** Skip migrations (only `fabgate migrate --status`). */
  migrate?: boolean;
  processMetrics?: boolean;
}

/** Fields never written to the log, wherever they appear. */
export const LOG_REDACT = ['password', '*.password', 'token', '*.token', 'secret', '*.secret', 'authorization', 'cookie', '*.private_key', 'private_key'];

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'fabgate' }, redact: { paths: LOG_REDACT, censor: '[redacted]' } });
}

/** Open the database (migrating it), the key-encryption key, the logger and the metrics. */
export async function openServices(config: Config, opts: OpenServicesOptions = {}): Promise<Services> {
  const logger = opts.logger ?? createLogger(config);
  const database = openDatabase({ url: config.databaseUrl, sqlitePath: join(config.dataDir, 'fabgate.sqlite'), ...(opts.pgSchema ? { pgSchema: opts.pgSchema } : {}) });
  try {
    if (opts.migrate !== false) {
      const applied = await migrate(database);
      if (applied.length) logger.info({ applied }, 'database migrated');
    }
    const { kek, source } = loadKek(config.kek, config.dataDir);
    if (source === 'generated') logger.warn({ file: join(config.dataDir, 'kek.key') }, 'generated a key-encryption key; set FABGATE_KEK in production');
    const clock = opts.clock ?? systemClock;
    const keys = new KeyWrapper(kek);
    const ledger = new TransparencyLog(database, keys, clock, config.logOrigin, logger);
    return {
      config,
      database,
      clock,
      logger,
      metrics: new Metrics(opts.processMetrics ?? true),
      keys,
      ledger,
      async close() {
        await ledger.stop();
        await database.close();
      },
    };
  } catch (e) {
    await database.close();
    throw e;
  }
}
