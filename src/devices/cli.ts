/**
 * `fabgate device …`: one-time enrolment tokens for print hosts, the device
 * register of an organisation, and revocation — database-backed, acting as
 * the operator at the console (recorded as `system:cli` in the audit trail).
 */
import type { Command } from 'commander';
import { withServices } from '../app/cli.js';
import { recordAudit, type Actor } from '../audit/trail.js';
import { emit } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { findOrganisation } from '../identity/service.js';
import { FabgateError } from '../shared/errors.js';
import { consoleTransact } from '../tickets/cli.js';
import { ensureIssuerKey } from '../tickets/issuer-key.js';
import { issuerName, revokeTicketsOfDevice } from '../tickets/service.js';
import { currentRevocationList } from '../tickets/store.js';
import { createEnrolmentToken, deviceNotFound, findDevice, listDevices, revokeDevice } from './store.js';

const CLI_ACTOR: Actor = { type: 'system', id: 'cli', organisationId: null };

export const registerDeviceCommands: CommandRegistrar = (program: Command, { io }) => {
  const device = program.command('device').description('Print hosts: enrolment tokens, the register, revocation');

  device
    .command('enrol-token')
    .description('Create a one-time enrolment token for a print host of an organisation (printed once)')
    .requiredOption('--org <id|name>', 'the organisation that owns the print host')
    .option('--name <name>', 'the name the enrolled device gets')
    .option('--hours <n>', 'lifetime in hours (default 24, at most 168)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { org: string; name?: string; hours?: string; json?: boolean }) => {
      const hours = opts.hours === undefined ? undefined : Number(opts.hours);
      if (hours !== undefined && !Number.isFinite(hours)) throw new FabgateError('DEVICE_CLI_USAGE', `--hours must be a number, not '${opts.hours}'`, 'invalid_input');
      const created = await withServices(io, async (s) => {
        const org = await findOrganisation(s.database.db, opts.org);
        if (!org) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${opts.org}'`, 'not_found');
        return s.database.db.transaction().execute(async (trx) => {
          const t = await createEnrolmentToken(trx, s.clock, { organisationId: org.id, createdBy: null, deviceName: opts.name ?? null, ...(hours !== undefined ? { hours } : {}) });
          await recordAudit(trx, { actor: { ...CLI_ACTOR, organisationId: org.id }, action: 'devices.enrolment_token_created', targetType: 'device_enrolment_token', targetId: t.record.id, at: s.clock.now() });
          return t;
        });
      });
      emit(io, !!opts.json, created, (out) => {
        out(created.token);
        out(`(one-time; expires ${created.record.expires_at}; give it to the print host: fabgate-agent enrol --token …)`);
      });
    });

  device
    .command('list')
    .description("An organisation's print hosts with their key fingerprints")
    .requiredOption('--org <id|name>', 'the organisation')
    .option('--json', 'machine-readable output')
    .action(async (opts: { org: string; json?: boolean }) => {
      const devices = await withServices(io, async (s) => {
        const org = await findOrganisation(s.database.db, opts.org);
        if (!org) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${opts.org}'`, 'not_found');
        return listDevices(s.database.db, org.id);
      });
      emit(io, !!opts.json, { devices }, (out) => {
        if (devices.length === 0) out('no devices');
        for (const d of devices) out(`${d.id}  ${d.status.padEnd(7)}  ${d.name}  content key ${d.keys.content_key_sha256.slice(0, 16)}…`);
      });
    });

  device
    .command('revoke')
    .description("Revoke a device: its token and keys at once, and its unexpired tickets")
    .argument('<id>', 'device id')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { reason: string; json?: boolean }) => {
      const result = await withServices(io, async (s) => {
        const r = await consoleTransact(s)(async (trx, audit) => {
          const d = await findDevice(trx, id);
          if (!d) throw deviceNotFound(id);
          await revokeDevice(trx, s.clock, d, { reason: opts.reason, by: 'system:cli' });
          const tickets = await revokeTicketsOfDevice(trx, s, d.id, 'system:cli');
          await audit('devices.revoked', 'device', d.id);
          return { device: d.id, revoked_tickets: tickets };
        });
        if (r.revoked_tickets.length) {
          await ensureIssuerKey(s.database.db, s.keys, s.clock);
          await currentRevocationList(s.database.db, s.keys, s.clock, issuerName(s));
        }
        return r;
      });
      emit(io, !!opts.json, result, (out) => out(`revoked ${result.device}${result.revoked_tickets.length ? ` and ${result.revoked_tickets.length} ticket(s)` : ''}`));
    });
};
