import type { Command } from 'commander';
import { pino } from 'pino';
import { recordAudit, type Actor } from '../audit/trail.js';
import { emit, type CliIO } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { PERMISSIONS, ROLES, type Permission, type Role, ORGANISATION_KINDS, type OrganisationKind } from '../identity/permissions.js';
import { createOrganisation, createToken, createUser, findOrganisation, listOrganisations, listTokens, listUsers, revokeToken } from '../identity/service.js';
import { loadConfig } from '../shared/config.js';
import { FabgateError } from '../shared/errors.js';
import { migrate } from '../db/migrate.js';
import { openServices, LOG_REDACT, type Services } from './services.js';
import { formatCredentials } from './seed.js';
import { connectDomains } from './connect.js';
import { enrolDemoPrintHost, seedDemoWorld } from './demo.js';
import { startServer } from './server.js';

/** Commands run as the operator at the console: recorded as such in the audit trail. */
const CLI_ACTOR: Actor = { type: 'system', id: 'cli', organisationId: null };

/** Open the configured services for one command, logging (if at all) to stderr so --json stays clean. */
export async function withServices<T>(io: CliIO, fn: (s: Services) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env, io.cwd);
  const logger = pino({ level: io.env.FABGATE_LOG_LEVEL ?? 'warn', redact: LOG_REDACT }, pino.destination(2));
  const services = await openServices(config, { logger, processMetrics: false });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

function readPassword(io: CliIO, given: string | undefined): string {
  const pw = given ?? io.env.FABGATE_NEW_PASSWORD;
  if (!pw) throw new FabgateError('CLI_PASSWORD_REQUIRED', 'give --password or set FABGATE_NEW_PASSWORD', 'invalid_input');
  return pw;
}

export const registerServiceCommands: CommandRegistrar = (program: Command, { io }) => {
  program
    .command('serve')
    .description('Migrate the database, seed demo data on first start, and serve the API and web UI')
    .option('--port <n>', 'port (default FABGATE_PORT or 8080)')
    .option('--host <addr>', 'address to listen on (default FABGATE_HOST or 127.0.0.1)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfig(io.env, io.cwd);
      const port = opts.port !== undefined ? Number(opts.port) : config.port;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FabgateError('CLI_BAD_PORT', `not a port: ${opts.port}`, 'invalid_input');
      const services = await openServices(config);
      connectDomains(services);
      if (config.seedDemo) {
        const creds = await seedDemoWorld(services);
        if (creds) io.stdout.write('\n' + formatCredentials(creds) + '\n\n');
      }
      // Integrate whatever was queued while the server was down, then keep the log current.
      await services.ledger.integrate();
      services.ledger.start();
      const server = await startServer(services, { port, host: opts.host ?? config.host });
      if (config.seedDemo) {
        const host = await enrolDemoPrintHost(services, server.url).catch((e: unknown) => {
          services.logger.warn({ err: e }, 'the demo print host could not enrol');
          return undefined;
        });
        if (host) io.stdout.write(`The demo print host is enrolled; its agent state is in ${host} (fabgate-agent --state-dir ${host} status)\n`);
      }
      services.logger.info({ url: server.url, database: services.database.dialect }, 'Fabgate is serving');
      io.stdout.write(`Fabgate is serving on ${server.url} (database: ${services.database.dialect})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await services.close();
    });

  program
    .command('migrate')
    .description('Apply pending database migrations (npm start does this too)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig(io.env, io.cwd);
      const services = await openServices(config, { migrate: false, processMetrics: false, logger: pino({ level: 'silent' }) });
      try {
        const applied = await migrate(services.database);
        emit(io, !!opts.json, { applied, database: services.database.dialect }, (out) =>
          out(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date'),
        );
      } finally {
        await services.close();
      }
    });

  const org = program.command('org').description('Organisations');
  org
    .command('add')
    .description('Add an organisation')
    .requiredOption('--name <name>')
    .requiredOption('--kind <kind>', ORGANISATION_KINDS.join(' | '))
    .option('--country <cc>', 'ISO 3166 alpha-2')
    .option('--json')
    .action(async (opts: { name: string; kind: string; country?: string; json?: boolean }) => {
      if (!ORGANISATION_KINDS.includes(opts.kind as OrganisationKind)) throw new FabgateError('CLI_BAD_KIND', `kind must be one of ${ORGANISATION_KINDS.join(', ')}`);
      const o = await withServices(io, (s) =>
        s.database.db.transaction().execute(async (trx) => {
          const created = await createOrganisation(trx, s.clock, { name: opts.name, kind: opts.kind as OrganisationKind, country: opts.country ?? null });
          await recordAudit(trx, { actor: CLI_ACTOR, action: 'identity.organisation_created', targetType: 'organisation', targetId: created.id, at: s.clock.now() });
          return created;
        }),
      );
      emit(io, !!opts.json, o, (out) => out(`${o.id}  ${o.name} (${o.kind})`));
    });
  org
    .command('list')
    .option('--json')
    .action(async (opts: { json?: boolean }) => {
      const orgs = await withServices(io, (s) => listOrganisations(s.database.db));
      emit(io, !!opts.json, { organisations: orgs }, (out) => orgs.forEach((o) => out(`${o.id}  ${o.kind.padEnd(17)} ${o.name}`)));
    });

  const user = program.command('user').description('Users');
  user
    .command('add')
    .description('Add a user (the password comes from --password or FABGATE_NEW_PASSWORD)')
    .requiredOption('--org <id-or-name>', 'organisation')
    .requiredOption('--email <email>')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--name <display name>')
    .option('--password <password>', 'at least 12 characters')
    .option('--json')
    .action(async (opts: { org: string; email: string; role: string; name?: string; password?: string; json?: boolean }) => {
      if (!ROLES.includes(opts.role as Role)) throw new FabgateError('CLI_BAD_ROLE', `role must be one of ${ROLES.join(', ')}`);
      const password = readPassword(io, opts.password);
      const u = await withServices(io, async (s) => {
        const o = await findOrganisation(s.database.db, opts.org);
        if (!o) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${opts.org}'`, 'invalid_input');
        return s.database.db.transaction().execute(async (trx) => {
          const created = await createUser(trx, s.clock, { organisationId: o.id, email: opts.email, displayName: opts.name ?? opts.email, role: opts.role as Role, password });
          await recordAudit(trx, { actor: { ...CLI_ACTOR, organisationId: o.id }, action: 'identity.user_created', targetType: 'user', targetId: created.id, at: s.clock.now() });
          return created;
        });
      });
      emit(io, !!opts.json, u, (out) => out(`${u.id}  ${u.email} (${u.role})`));
    });
  user
    .command('list')
    .option('--org <id-or-name>')
    .option('--json')
    .action(async (opts: { org?: string; json?: boolean }) => {
      const users = await withServices(io, async (s) => {
        const o = opts.org ? await findOrganisation(s.database.db, opts.org) : undefined;
        if (opts.org && !o) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${opts.org}'`, 'invalid_input');
        return listUsers(s.database.db, o?.id);
      });
      emit(io, !!opts.json, { users }, (out) => users.forEach((u) => out(`${u.id}  ${u.email.padEnd(32)} ${u.role.padEnd(18)} ${u.organisation_id}`)));
    });

  const token = program.command('token').description('API tokens for scripts and devices');
  token
    .command('create')
    .description('Create an API token; its text is printed once')
    .requiredOption('--org <id-or-name>')
    .requiredOption('--name <name>')
    .requiredOption('--permissions <list>', `comma-separated: ${PERMISSIONS.join(', ')}`)
    .option('--expires <iso-datetime>')
    .option('--json')
    .action(async (opts: { org: string; name: string; permissions: string; expires?: string; json?: boolean }) => {
      const permissions = opts.permissions.split(',').map((p) => p.trim()).filter(Boolean) as Permission[];
      if (opts.expires && Number.isNaN(Date.parse(opts.expires))) throw new FabgateError('CLI_BAD_DATE', `not a date: ${opts.expires}`);
      const created = await withServices(io, async (s) => {
        const o = await findOrganisation(s.database.db, opts.org);
        if (!o) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${opts.org}'`, 'invalid_input');
        return s.database.db.transaction().execute(async (trx) => {
          const t = await createToken(trx, s.clock, { organisationId: o.id, createdBy: null, name: opts.name, permissions, expiresAt: opts.expires ? new Date(opts.expires).toISOString() : null });
          await recordAudit(trx, { actor: { ...CLI_ACTOR, organisationId: o.id }, action: 'identity.token_created', targetType: 'api_token', targetId: t.record.id, at: s.clock.now() });
          return t;
        });
      });
      emit(io, !!opts.json, created, (out) => {
        out(created.token);
        io.stderr.write(`token ${created.record.id} created; the text above is shown once\n`);
      });
    });
  token
    .command('revoke')
    .argument('<id>', 'token id')
    .option('--json')
    .action(async (id: string, opts: { json?: boolean }) => {
      const t = await withServices(io, (s) =>
        s.database.db.transaction().execute(async (trx) => {
          const revoked = await revokeToken(trx, s.clock, id, null);
          await recordAudit(trx, { actor: { ...CLI_ACTOR, organisationId: revoked.organisation_id }, action: 'identity.token_revoked', targetType: 'api_token', targetId: revoked.id, at: s.clock.now() });
          return revoked;
        }),
      ).catch((e: unknown) => {
        if (e instanceof FabgateError && e.kind === 'not_found') throw new FabgateError(e.code, e.message, 'invalid_input');
        throw e;
      });
      emit(io, !!opts.json, t, (out) => out(`revoked ${t.id} at ${t.revoked_at}`));
    });
  token
    .command('list')
    .option('--org <id-or-name>')
    .option('--json')
    .action(async (opts: { org?: string; json?: boolean }) => {
      const tokens = await withServices(io, async (s) => {
        const o = opts.org ? await findOrganisation(s.database.db, opts.org) : undefined;
        return listTokens(s.database.db, o?.id);
      });
      emit(io, !!opts.json, { tokens }, (out) => tokens.forEach((t) => out(`${t.id}  ${t.name.padEnd(24)} ${t.revoked_at ? 'revoked' : 'active '} ${t.permissions.join(',')}`)));
    });
};
