import { resolve } from 'node:path';
import { z } from 'zod';
import { FabgateError } from './errors.js';
import { describeIssues } from './zod-issues.js';

/**
 * Every setting Fabgate reads from its environment, parsed once at start-up.
 * The README's configuration table is this schema; keep them in step.
 */
const ConfigSchema = z.object({
  FABGATE_DATA_DIR: z.string().min(1).default('./data').describe('Folder for the SQLite database, the key-encryption key file and uploaded files.'),
  FABGATE_PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe('HTTP port of the API and web UI.'),
  FABGATE_HOST: z.string().min(1).default('127.0.0.1').describe('Address to listen on (0.0.0.0 to accept remote connections).'),
  FABGATE_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('PostgreSQL connection URL; when unset Fabgate uses SQLite in FABGATE_DATA_DIR.'),
  FABGATE_KEK: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64')
    .optional()
    .describe('Key-encryption key (32 bytes, base64) that wraps private keys at rest. Unset: generated once into FABGATE_DATA_DIR/kek.key (mode 0600).'),
  FABGATE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Level of the structured JSON log on stdout.'),
  FABGATE_BODY_LIMIT: z.coerce.number().int().positive().default(1_048_576).describe('Largest JSON request body in bytes (uploads have their own limits).'),
  FABGATE_UPLOAD_LIMIT: z.coerce.number().int().positive().default(64 * 1_048_576).describe('Largest uploaded file (designs, documents, list files) in bytes.'),
  FABGATE_SESSION_HOURS: z.coerce.number().positive().default(12).describe('Lifetime of a browser session, in hours.'),
  FABGATE_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto').describe("Secure flag on the session cookie: 'auto' sets it except for plain-HTTP localhost."),
  FABGATE_SEED_DEMO: z.enum(['true', 'false']).default('true').describe('Seed demo organisations, users and data on first start of an empty database.'),
  FABGATE_LOG_ORIGIN: z.string().min(1).default('fabgate.example/log').describe("Name of the transparency log: the checkpoint's origin line and the verifier key name."),
  FABGATE_PUBLIC_URL: z.string().url().optional().describe('Public base URL of this instance, used in links and receipts.'),
});

export type Config = {
  dataDir: string;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  kek: string | undefined;
  logLevel: z.infer<typeof ConfigSchema>['FABGATE_LOG_LEVEL'];
  bodyLimit: number;
  uploadLimit: number;
  sessionHours: number;
  cookieSecure: 'auto' | 'true' | 'false';
  seedDemo: boolean;
  logOrigin: string;
  publicUrl: string | undefined;
};

/** The variables, their defaults and their descriptions, for the README and `fabgate config`. */
export const configVariables = Object.entries(ConfigSchema.shape).map(([name, schema]) => ({
  name,
  description: schema.description ?? '',
}));

/** Parse the environment once; bad configuration stops start-up with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const picked = Object.fromEntries(Object.keys(ConfigSchema.shape).filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success) {
    throw new FabgateError('CONFIG_INVALID', `invalid configuration: ${describeIssues(parsed.error)}`, 'invalid_input', parsed.error.issues);
  }
  const c = parsed.data;
  return {
    dataDir: resolve(cwd, c.FABGATE_DATA_DIR),
    port: c.FABGATE_PORT,
    host: c.FABGATE_HOST,
    databaseUrl: c.FABGATE_DATABASE_URL,
    kek: c.FABGATE_KEK,
    logLevel: c.FABGATE_LOG_LEVEL,
    bodyLimit: c.FABGATE_BODY_LIMIT,
    uploadLimit: c.FABGATE_UPLOAD_LIMIT,
    sessionHours: c.FABGATE_SESSION_HOURS,
    cookieSecure: c.FABGATE_COOKIE_SECURE,
    seedDemo: c.FABGATE_SEED_DEMO === 'true',
    logOrigin: c.FABGATE_LOG_ORIGIN,
    publicUrl: c.FABGATE_PUBLIC_URL,
  };
}
