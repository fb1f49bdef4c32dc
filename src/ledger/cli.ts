/**
 * `fabgate log verify-receipt` and `fabgate log verify-remote`: verification
 * that needs no database, only a receipt file or a log URL and the log's
 * verifier key. Exit codes: 0 verified, 1 verification failed, 2 the input
 * could not be read (bad file, bad key, unreachable log).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliExit, EXIT, emit, type CliIO } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { FabgateError, isFabgateError } from '../shared/errors.js';
import {
  LedgerError,
  decodeLeaf,
  encodeBase64,
  parseVerifierKey,
  toHex,
  verifyReceipt,
  verifyTiledLog,
  type CheckpointPolicy,
  type NoteVerifier,
  type VerifiedCheckpoint,
} from './core/index.js';
import { httpTileFetcher, logResourceUrl } from './remote.js';

interface PolicyOptions {
  key: string[];
  witness: string[];
  origin?: string;
  quorum?: string;
  json?: boolean;
}

function usage(message: string): FabgateError {
  return new FabgateError('LEDGER_CLI_USAGE', message, 'invalid_input');
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** A vkey given inline, or the first line of a file that holds one. */
function readKey(io: CliIO, value: string): NoteVerifier {
  const path = resolve(io.cwd, value);
  const text = !value.includes('+') && existsSync(path) ? readFileSync(path, 'utf8').split('\n').find((l) => l.trim() !== '') ?? '' : value;
  return parseVerifierKey(text);
}

function policyFrom(io: CliIO, opts: PolicyOptions, logKeys: NoteVerifier[]): CheckpointPolicy {
  const quorum = opts.quorum === undefined ? 0 : Number(opts.quorum);
  if (!Number.isInteger(quorum) || quorum < 0) throw usage(`--quorum must be a whole number, not ${opts.quorum}`);
  const witnesses = opts.witness.map((w) => readKey(io, w));
  if (quorum > witnesses.length) throw usage(`--quorum ${quorum} needs at least ${quorum} --witness keys`);
  return { logKeys, witnesses, witnessQuorum: quorum, ...(opts.origin !== undefined ? { origin: opts.origin } : {}) };
}

function addPolicyOptions(cmd: Command, keyHelp: string): Command {
  return cmd
    .option('--key <vkey>', keyHelp, collect, [])
    .option('--origin <origin>', 'require this checkpoint origin line')
    .option('--witness <vkey>', 'a witness cosigner key whose cosignatures count (repeatable)', collect, [])
    .option('--quorum <n>', 'how many --witness keys must have cosigned (default 0)')
    .option('--json', 'print the result as JSON');
}

function checkpointSummary(cp: VerifiedCheckpoint) {
  return {
    origin: cp.origin,
    size: cp.size,
    rootHash: encodeBase64(cp.rootHash),
    signedBy: cp.signedBy,
    cosignatures: cp.cosignatures.map((c) => ({ name: c.name, keyId: c.keyId, ...(c.timestamp !== undefined ? { time: new Date(Number(c.timestamp) * 1000).toISOString() } : {}) })),
  };
}

/**
 * Run a verification; print a failure the same way for both commands and map
 * it to the documented exit codes (an unreachable log is unreadable input).
 */
async function verdict(io: CliIO, json: boolean, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (!isFabgateError(e)) throw e;
    const unreadable = e.kind === 'invalid_input' || e.kind === 'too_large' || e.kind === 'unavailable' || e.kind === 'not_found';
    if (json) io.stdout.write(JSON.stringify({ valid: false, error: e.toJSON() }) + '\n');
    else io.stdout.write(`${unreadable ? 'could not verify' : 'INVALID'}: ${e.message}\n`);
    io.stderr.write(`error ${e.code}: ${e.message}\n`);
    throw new CliExit(unreadable ? EXIT.usage : EXIT.failure);
  }
}

export const registerLedgerOfflineCommands: CommandRegistrar = (program: Command, { io }) => {
  const log = program.commands.find((c) => c.name() === 'log') ?? program.command('log').description('the transparency log');

  addPolicyOptions(
    log
      .command('verify-receipt')
      .description('verify a c2sp.org/tlog-proof receipt offline against the log verifier key')
      .argument('<file>', 'the receipt (.tlog-proof)')
      .option('--entry <file>', 'the logged entry, when the receipt does not carry it'),
    'log verifier key, <name>+<hex id>+<base64>, or a file holding it (required; repeatable)',
  ).action(async (file: string, opts: PolicyOptions & { entry?: string }) => {
    const json = !!opts.json;
    await verdict(io, json, async () => {
      if (opts.key.length === 0) throw new LedgerError('LEDGER_KEY_MISSING', 'give the log verifier key with --key');
      const policy = policyFrom(io, opts, opts.key.map((k) => readKey(io, k)));
      const receipt = readInput(io, file, 'receipt');
      const entry = opts.entry === undefined ? undefined : readInput(io, opts.entry, 'entry');
      const verified = verifyReceipt(receipt, policy, entry);
      let leaf: ReturnType<typeof decodeLeaf> | undefined;
      try {
        leaf = decodeLeaf(verified.entry);
      } catch {
        leaf = undefined; // another log's entry format: still proven, just not decoded
      }
      const summary = checkpointSummary(verified.checkpoint);
      const result = {
        valid: true,
        index: verified.index,
        leafHash: toHex(verified.leafHash),
        entry: leaf
          ? { format: 'fabgate/leaf/v1', eventType: leaf.eventType, time: leaf.time, recordType: leaf.recordType, recordId: leaf.recordId, commitment: toHex(leaf.commitment) }
          : { format: 'opaque', base64: encodeBase64(verified.entry) },
        checkpoint: summary,
      };
      emit(io, json, result, (print) => {
        print(`receipt valid: entry ${verified.index} is in ${summary.origin} (tree size ${summary.size})`);
        print(`  root        ${summary.rootHash}`);
        print(`  signed by   ${summary.signedBy.join(', ')}`);
        print(`  witnesses   ${summary.cosignatures.map((c) => c.name).join(', ') || '(none required)'}`);
        if (leaf) {
          print(`  event       ${leaf.eventType} at ${leaf.time}`);
          print(`  record      ${leaf.recordType} ${leaf.recordId}`);
          print(`  commitment  ${toHex(leaf.commitment)}`);
        } else {
          print(`  entry       ${verified.entry.length} bytes (not a fabgate/leaf/v1 leaf)`);
        }
        print(`  leaf hash   ${toHex(verified.leafHash)}`);
      });
    });
  });

  addPolicyOptions(
    log
      .command('verify-remote')
      .description('fetch a c2sp.org/tlog-tiles log over HTTP, verify its checkpoint and recompute the root from its tiles')
      .argument('<url>', 'the log prefix, e.g. https://fabgate.example/log/')
      .option('--entries', 'also fetch every entry bundle and recompute the root from the entries'),
    "log verifier key (repeatable); default: the log's own /key, which proves integrity but not identity",
  ).action(async (url: string, opts: PolicyOptions & { entries?: boolean }) => {
    const json = !!opts.json;
    await verdict(io, json, async () => {
      const fetchTile = httpTileFetcher(url);
      let keySource = 'argument';
      let keys = opts.key.map((k) => readKey(io, k));
      if (keys.length === 0) {
        // A Fabgate log serves its verifier key at <prefix>/key. Taking it from the
        // server it verifies detects corruption, not impersonation: say so.
        let served: Uint8Array;
        try {
          served = await fetchTile('key');
        } catch {
          throw new LedgerError('LEDGER_KEY_MISSING', `no --key given and ${logResourceUrl(url, 'key').href} did not serve one`);
        }
        keys = [parseVerifierKey(new TextDecoder().decode(served).split('\n')[0] ?? '')];
        keySource = `${logResourceUrl(url, 'key').href} (served by the log itself: not independent)`;
      }
      const report = await verifyTiledLog(fetchTile, policyFrom(io, opts, keys), { entries: !!opts.entries });
      const summary = checkpointSummary(report.checkpoint);
      const result = { valid: true, url, keySource, checkpoint: summary, tilesRecomputeRoot: true, entriesChecked: report.entriesChecked };
      emit(io, json, result, (print) => {
        print(`log verified: ${summary.origin} at tree size ${summary.size}`);
        print(`  root        ${summary.rootHash} (recomputed from the tiles)`);
        print(`  signed by   ${summary.signedBy.join(', ')}`);
        print(`  key from    ${keySource}`);
        print(`  witnesses   ${summary.cosignatures.map((c) => c.name).join(', ') || '(none required)'}`);
        if (opts.entries) print(`  entries     ${report.entriesChecked} fetched and re-hashed; they recompute the root`);
      });
    });
  });
};

function readInput(io: CliIO, file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(resolve(io.cwd, file)));
  } catch (e) {
    throw new LedgerError('LEDGER_INPUT_UNREADABLE', `cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
