/**
 * `fabgate ticket …`: issue a ticket from the console (database-backed),
 * verify one offline (no database, no network: the issuer key, and the log key
 * for the receipt), revoke, and rotate or show the issuer keys.
 *
 * Exit codes: 0 done / the ticket verifies; 1 the ticket does not verify (or a
 * refusal such as an exhausted balance); 2 unusable input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { withServices } from '../app/cli.js';
import type { Services } from '../app/services.js';
import { recordAudit, type Actor } from '../audit/trail.js';
import { emit, type CliIO } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { keyFingerprint, loadRsaPublicKey } from '../designs/securecontent/index.js';
import { parseVerifierKey } from '../ledger/core/keys.js';
import { FabgateError } from '../shared/errors.js';
import { TicketError } from './errors.js';
import { ensureIssuerKey, issuerJwks, rotateIssuerKey } from './issuer-key.js';
import { decodeJws } from './jws.js';
import { verifyRevocationList } from './revocations.js';
import { CONSOLE_CALLER, issueTicket, revokeTicket, type Transact } from './service.js';
import { issuerPublicKey, parseTicketBundle, TICKET_TYP, verifyPrintTicket, type PrintTicketClaims, type TicketLogProof, type TrustedIssuer } from './ticket.js';

const CLI_ACTOR: Actor = { type: 'system', id: 'cli', organisationId: null };
const collect = (value: string, previous: string[]) => [...previous, value];

function usage(message: string): FabgateError {
  return new FabgateError('TICKET_CLI_USAGE', message, 'invalid_input');
}

function readText(io: CliIO, path: string, what: string): string {
  try {
    return readFileSync(resolve(io.cwd, path), 'utf8');
  } catch (e) {
    throw new FabgateError('TICKET_CLI_INPUT', `cannot read ${what} '${path}': ${(e as Error).message}`, 'invalid_input');
  }
}

/** The console's transaction: the change and its audit record (actor `system:cli`) commit together. */
export function consoleTransact(s: Services): Transact {
  return (work) =>
    s.database.db.transaction().execute((trx) =>
      work(trx, (action, targetType, targetId) => recordAudit(trx, { actor: CLI_ACTOR, action, targetType: targetType ?? null, targetId: targetId ?? null, at: s.clock.now() })),
    );
}

/** Issuer keys from a file: a JWK set (what /api/tickets/issuer-keys serves), one JWK with its kid, or a PEM (kid = its fingerprint). */
export function readIssuerKeys(text: string): TrustedIssuer[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new TicketError('TICKET_ISSUER_UNKNOWN', 'the issuer key file is not JSON');
    }
    const keys = (json as { keys?: unknown }).keys ?? [json];
    if (!Array.isArray(keys)) throw new TicketError('TICKET_ISSUER_UNKNOWN', 'not a JWK set');
    return keys.map((k: { kid?: unknown; kty: string; crv: string; x: string }) => {
      const publicKey = issuerPublicKey(k);
      return { kid: typeof k.kid === 'string' ? k.kid : keyFingerprint(publicKey), publicKey };
    });
  }
  const publicKey = issuerPublicKey(trimmed);
  return [{ kid: keyFingerprint(publicKey), publicKey }];
}

/** A ticket file: a bundle (`fabgate.ticket-bundle.v1`) or a bare JWS. */
export function readTicket(text: string): { jws: string; log?: TicketLogProof } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new TicketError('TICKET_MALFORMED', 'the ticket file is neither a JWS nor a JSON bundle');
    }
    // The API answers issuance with {ticket, bundle, log_index}: accept that too.
    const inner = (json as { bundle?: unknown }).bundle ?? json;
    const bundle = parseTicketBundle(inner);
    return { jws: bundle.ticket, ...(bundle.log ? { log: bundle.log } : {}) };
  }
  return { jws: trimmed };
}

export const registerTicketCommands: CommandRegistrar = (program: Command, { io }) => {
  const ticket = program.command('ticket').description('Print tickets: issue (database), verify (offline), revoke, issuer keys');

  ticket
    .command('issue')
    .description('Issue a print ticket under a licence in force, for devices named under it; writes the bundle with its log receipt')
    .requiredOption('--licence <id>', 'licence id')
    .requiredOption('--design <id>', 'design id')
    .requiredOption('--device <id>', 'device id (repeat for several)', collect, [])
    .requiredOption('--prints <n>', 'number of prints allowed')
    .requiredOption('--not-after <iso>', 'expiry, ISO 8601')
    .requiredOption('--envelope <file>', 'parameter envelope JSON (src/gcode/envelope.schema.json)')
    .option('--not-before <iso>', 'start of validity (default now)')
    .option('--licence-item <id>', 'the licence item the prints come from (when the licence has several)')
    .option('--out <file>', 'write the ticket bundle here')
    .option('--json', 'machine-readable output')
    .action(async (opts: { licence: string; design: string; device: string[]; prints: string; notAfter: string; envelope: string; notBefore?: string; licenceItem?: string; out?: string; json?: boolean }) => {
      const prints = Number(opts.prints);
      if (!Number.isInteger(prints) || prints < 1) throw usage(`--prints must be a whole number ≥ 1, not '${opts.prints}'`);
      const date = (s: string, flag: string) => {
        const d = new Date(s);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(d.getTime())) throw usage(`${flag} must be an ISO 8601 date-time, not '${s}'`);
        return d;
      };
      let envelope: unknown;
      try {
        envelope = JSON.parse(readText(io, opts.envelope, 'the envelope'));
      } catch (e) {
        if (e instanceof FabgateError) throw e;
        throw usage(`the envelope file is not JSON`);
      }
      const issued = await withServices(io, (s) =>
        issueTicket(
          s,
          CONSOLE_CALLER,
          {
            licenceId: opts.licence,
            designId: opts.design,
            deviceIds: opts.device,
            prints,
            notBefore: opts.notBefore ? date(opts.notBefore, '--not-before') : undefined,
            notAfter: date(opts.notAfter, '--not-after'),
            envelope,
            licenceItemId: opts.licenceItem,
          },
          consoleTransact(s),
        ),
      );
      if (opts.out) writeFileSync(resolve(io.cwd, opts.out), JSON.stringify(issued.bundle, null, 2) + '\n', { mode: 0o644 });
      emit(io, !!opts.json, issued, (out) => {
        out(`issued ${issued.ticket.jti}: ${issued.ticket.prints} print(s) of ${issued.ticket.design.name} under ${issued.ticket.licence.reference}, until ${issued.ticket.not_after}`);
        out(`devices: ${issued.ticket.devices.map((d) => d.id).join(', ')}`);
        out(issued.log_index === null ? 'log: not yet available (the ticket verifies without a receipt)' : `log: entry ${issued.log_index}, receipt in the bundle`);
        if (opts.out) out(`bundle written to ${opts.out}`);
      });
    });

  ticket
    .command('verify')
    .description('Verify a ticket offline (TICKET-FORMAT.md §4): signature, validity, device, design, revocation, log receipt')
    .argument('<ticket>', 'ticket bundle (JSON) or bare JWS file')
    .requiredOption('--key <file>', 'issuer public key: JWK set, JWK or PEM (repeatable)', collect, [])
    .option('--device-key <pem>', "the printer's RSA public key: the ticket must be bound to it")
    .option('--design-hash <hex>', 'manifest (or envelope) hash of the design about to be printed')
    .option('--log-key <vkey>', "the log's verifier key (or a file holding it): the bundle's receipt must verify")
    .option('--revocations <file>', 'a revocation list (JWS) held by the printer')
    .option('--now <iso>', 'check validity at this time instead of the clock')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { key: string[]; deviceKey?: string; designHash?: string; logKey?: string; revocations?: string; now?: string; json?: boolean }) => {
      const { jws, log } = readTicket(readText(io, file, 'the ticket'));
      const issuers = opts.key.flatMap((k) => readIssuerKeys(readText(io, k, 'the issuer key')));
      if (issuers.length === 0) throw usage('give at least one --key');
      const now = opts.now ? new Date(opts.now) : new Date();
      if (Number.isNaN(now.getTime())) throw usage(`--now must be an ISO 8601 date-time, not '${opts.now}'`);
      if (opts.designHash !== undefined && !/^[0-9a-f]{64}$/.test(opts.designHash)) throw usage('--design-hash is 64 lowercase hex digits');
      // Without a device key the binding cannot be checked; say so instead of pretending.
      const claimsUnverified = decodeJws(jws, TICKET_TYP).payload as Partial<PrintTicketClaims>;
      const deviceContentKeySha256 = opts.deviceKey
        ? keyFingerprint(loadRsaPublicKey(readFileSync(resolve(io.cwd, opts.deviceKey)), 'the device key'))
        : (claimsUnverified.devices?.[0]?.content_key_sha256 ?? '');
      let revoked: Set<string> | undefined;
      let revocationSerial: number | null = null;
      if (opts.revocations) {
        const list = verifyRevocationList(readText(io, opts.revocations, 'the revocation list').trim(), issuers);
        revoked = new Set(list.revoked.map((r) => r.jti));
        revocationSerial = list.serial;
      }
      let policy;
      if (opts.logKey !== undefined) {
        if (!log) throw new TicketError('TICKET_RECEIPT_INVALID', 'a log key was given but the ticket carries no receipt (give the bundle, not the bare JWS)');
        const text = /^[^\s+]+\+[0-9a-f]{8}\+/.test(opts.logKey) ? opts.logKey : readText(io, opts.logKey, 'the log key');
        const vkey = text.trim();
        policy = { logKeys: [parseVerifierKey(vkey)], origin: vkey.split('+')[0]! };
      }
      const v = verifyPrintTicket(jws, {
        issuers,
        deviceContentKeySha256,
        now,
        ...(revoked ? { revoked } : {}),
        ...(opts.designHash ? { designManifestSha256: opts.designHash } : {}),
        ...(policy && log ? { log: { proof: log, policy } } : {}),
      });
      const c = v.claims;
      const result = {
        valid: true,
        jti: c.jti,
        kid: v.kid,
        iss: c.iss,
        licence: c.licence,
        design: c.design,
        devices: c.devices,
        prints: c.prints,
        not_before: new Date(c.nbf * 1000).toISOString(),
        not_after: new Date(c.exp * 1000).toISOString(),
        envelope: c.envelope,
        checked: {
          device: opts.deviceKey !== undefined,
          design: opts.designHash !== undefined,
          revocations: revocationSerial,
          log_index: v.logIndex === undefined ? null : v.logIndex.toString(),
        },
      };
      emit(io, !!opts.json, result, (out) => {
        out(`VALID ticket ${c.jti} (issuer key ${v.kid.slice(0, 16)}…): ${c.prints} print(s) under ${c.licence.reference}, ${result.not_before} – ${result.not_after}`);
        out(`design ${c.design.manifest_sha256}${opts.designHash ? ' (matches)' : ' (not checked: give --design-hash)'}`);
        out(`devices ${c.devices.map((d) => d.id).join(', ')}${opts.deviceKey ? ' (this device is one)' : ' (binding not checked: give --device-key)'}`);
        out(v.logIndex === undefined ? 'log receipt: not checked (give --log-key and the bundle)' : `log receipt: entry ${v.logIndex} verified`);
      });
    });

  ticket
    .command('revoke')
    .description('Revoke a ticket (logged; on the next signed revocation list)')
    .argument('<id>', 'ticket id (jti)')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'machine-readable output')
    .action(async (jti: string, opts: { reason: string; json?: boolean }) => {
      const view = await withServices(io, (s) => revokeTicket(s, CONSOLE_CALLER, jti, opts.reason, consoleTransact(s)));
      emit(io, !!opts.json, view, (out) => out(`revoked ${view.jti}`));
    });

  ticket
    .command('issuer-keys')
    .description('Print the issuer keys as a JWK set (what print hosts trust)')
    .option('--json', 'machine-readable output (the JWK set is JSON either way)')
    .action(async (opts: { json?: boolean }) => {
      const jwks = await withServices(io, async (s) => {
        await ensureIssuerKey(s.database.db, s.keys, s.clock);
        return issuerJwks(s.database.db);
      });
      emit(io, !!opts.json, jwks, (out) => out(JSON.stringify(jwks, null, 2)));
    });

  ticket
    .command('rotate-key')
    .description('Retire the issuer key and make a new one (tickets signed before stay verifiable with the old key)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const r = await withServices(io, async (s) => {
        await ensureIssuerKey(s.database.db, s.keys, s.clock);
        const rotated = await rotateIssuerKey(s.database.db, s.keys, s.clock);
        await s.database.db.transaction().execute((trx) => recordAudit(trx, { actor: CLI_ACTOR, action: 'tickets.issuer_key_rotated', targetType: 'ticket_issuer_key', targetId: rotated.kid, at: s.clock.now() }));
        return rotated;
      });
      emit(io, !!opts.json, r, (out) => out(`new issuer key ${r.kid}; retired ${r.retired.join(', ') || 'none'}`));
    });
};
