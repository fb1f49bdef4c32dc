import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { withServices } from '../app/cli.js';
import { CliExit, emit, EXIT } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { FabgateError } from '../shared/errors.js';
import { auditLog, type SeenCheckpoint } from './audit.js';
import { encodeBase64 } from './core/bytes.js';

function index(value: string, name: string): bigint {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(value)) throw new FabgateError('CLI_BAD_INDEX', `${name} must be a non-negative integer`, 'invalid_input');
  return BigInt(value);
}

/** The commands that read this instance's log from its database. */
export const registerLedgerServiceCommands: CommandRegistrar = (program: Command, { io }) => {
  const log = program.commands.find((c) => c.name() === 'log') ?? program.command('log').description('the transparency log');

  log
    .command('checkpoint')
    .description('Print the latest signed checkpoint (integrating queued events first)')
    .option('--json')
    .action(async (opts: { json?: boolean }) => {
      const cp = await withServices(io, async (s) => {
        await s.ledger.integrate();
        return s.ledger.latestCheckpoint();
      });
      if (!cp) throw new FabgateError('LEDGER_EMPTY', 'the log has no checkpoint yet', 'invalid_input');
      emit(io, !!opts.json, { size: cp.size.toString(), root_hash: encodeBase64(cp.rootHash), note: cp.note }, () => io.stdout.write(cp.note));
    });

  log
    .command('proof')
    .description('Print the inclusion proof of entry --index in the tree of --size (default: the latest checkpoint)')
    .requiredOption('--index <i>')
    .option('--size <s>')
    .option('--json')
    .action(async (opts: { index: string; size?: string; json?: boolean }) => {
      const i = index(opts.index, '--index');
      const size = opts.size !== undefined ? index(opts.size, '--size') : undefined;
      const p = await withServices(io, (s) => s.ledger.inclusionProof(i, size));
      emit(io, !!opts.json, { index: p.index.toString(), size: p.size.toString(), proof: p.proof.map(encodeBase64) }, (out) => {
        out(`index ${p.index} size ${p.size}`);
        p.proof.forEach((h) => out(encodeBase64(h)));
      });
    });

  log
    .command('receipt')
    .description('Print a c2sp.org/tlog-proof receipt for entry --index (redirect it to a file)')
    .requiredOption('--index <i>')
    .action(async (opts: { index: string }) => {
      const i = index(opts.index, '--index');
      io.stdout.write(await withServices(io, (s) => s.ledger.receipt(i)));
    });

  log
    .command('audit')
    .description("Check every logged record in the database against the log; exit 1 on any finding")
    .option('--state <file>', 'where to remember the last checkpoint seen (default: <data dir>/log-audit-seen.json)')
    .option('--json')
    .action(async (opts: { state?: string; json?: boolean }) => {
      const report = await withServices(io, async (s) => {
        await s.ledger.integrate();
        const stateFile = opts.state ?? join(s.config.dataDir, 'log-audit-seen.json');
        const seen = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as SeenCheckpoint) : undefined;
        const r = await auditLog(s.database.db, s.ledger.origin, seen);
        // Remember the newest checkpoint only when it checked out: a later run then detects a forked or rewound log.
        if (r.ok && r.latest_checkpoint) writeFileSync(stateFile, JSON.stringify(r.latest_checkpoint) + '\n');
        return r;
      });
      emit(io, !!opts.json, report, (out) => {
        out(`checked ${report.checked.checkpoints} checkpoints, ${report.checked.entries} entries, ${report.checked.records} records (${report.checked.pending} queued)`);
        if (report.unverifiable_record_types.length) out(`no resolver for record types: ${report.unverifiable_record_types.join(', ')}`);
        for (const f of report.findings) out(`FINDING ${f.kind}: ${f.message}`);
        out(report.ok ? 'OK: the database matches its transparency log' : `${report.findings.length} finding(s)`);
      });
      if (!report.ok) throw new CliExit(EXIT.failure);
    });

  log
    .command('rotate-key')
    .description('Retire the log signing key and make a new one (old checkpoints stay verifiable with the old key)')
    .option('--json')
    .action(async (opts: { json?: boolean }) => {
      const r = await withServices(io, (s) => s.ledger.rotateKey());
      emit(io, !!opts.json, { retired: r.retired, verifier_key: r.verifierKey }, (out) => out(`new verifier key: ${r.verifierKey}`));
    });
};
