/**
 * `fabgate screen` and `fabgate lists inspect`: screening from files (or, with
 * `--lists db`, the versions active in the database); `lists load|versions|diff|activate`
 * (cli-store.ts) manage list versions in the database.
 */
import { createReadStream, createWriteStream, readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { isAbsolute, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CliExit, EXIT, emit, progress, type CliIO } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { FabgateError } from '../shared/errors.js';
import { registerListStoreCommands } from './cli-store.js';
import { detectFormat } from './lists/detect.js';
import { lines } from './lists/json-stream.js';
import { openLists, type ListLoadSummary } from './lists/load.js';
import { fileInput, head, textChunks, type ListInput } from './lists/source.js';
import { LIST_FORMATS, type ListFormat } from './model.js';
import { ScreeningIndexBuilder } from './match/index.js';
import { Screener } from './match/screen.js';
import { DEFAULT_THRESHOLD, type Party } from './match/types.js';
import { PartyLine } from './party-line.js';

/** One line of `--input`. */
export { PartyLine };

const formatOption = () => new Option('--format <format>', 'list format').choices(['auto', ...LIST_FORMATS]).default('auto');

/**
 * Files named on the command line are taken as lists; folders are walked and
 * only files that look like a list format are taken (README and evaluation
 * files in a data folder are passed over).
 */
async function listInputs(io: CliIO, paths: string[]): Promise<{ inputs: ListInput[]; fromFolders: boolean }> {
  const inputs: ListInput[] = [];
  let fromFolders = false;
  const walk = async (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) {
        try {
          if (detectFormat(await head(fileInput(p)))) inputs.push(fileInput(p));
        } catch (e) {
          io.stderr.write(`skipped ${p}: ${(e as Error).message}\n`);
        }
      }
    }
  };
  for (const raw of paths) {
    const p = isAbsolute(raw) ? raw : resolve(io.cwd, raw);
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new FabgateError('SCREENING_FILE_NOT_FOUND', `${raw}: no such file or folder`, 'invalid_input', { path: raw });
    }
    if (st.isDirectory()) {
      fromFolders = true;
      await walk(p);
    } else inputs.push(fileInput(p));
  }
  return { inputs, fromFolders };
}

async function loadIndex(io: CliIO, paths: string[], format: ListFormat | 'auto'): Promise<{ screener: Screener; summaries: ListLoadSummary[] }> {
  const { inputs, fromFolders } = await listInputs(io, paths);
  if (inputs.length === 0) throw new FabgateError('SCREENING_NO_LISTS', 'no list files found in --lists', 'invalid_input');
  const loads = await openLists(inputs, {
    format,
    onIncomplete: fromFolders ? (files, reason) => io.stderr.write(`skipped ${files.join(', ')}: ${reason}\n`) : undefined,
  });
  const builder = new ScreeningIndexBuilder();
  const bar = progress(io, 'loading lists', loads.length);
  const summaries: ListLoadSummary[] = [];
  for (const l of loads) {
    await builder.addAll(l.entities());
    summaries.push(l.summary());
    bar.tick();
  }
  bar.done();
  return { screener: new Screener(builder.build()), summaries };
}

async function* readParties(file: string, path: string): AsyncGenerator<Party> {
  const text = textChunks(createReadStream(path, { highWaterMark: 1 << 16 }) as AsyncIterable<Uint8Array>);
  for await (const { text: l, line } of lines(file, text)) {
    let raw: unknown;
    try {
      raw = JSON.parse(l);
    } catch (e) {
      throw new FabgateError('SCREENING_PARTY_INVALID', `${file}: line ${line}: expected one JSON object per line (${(e as Error).message})`, 'invalid_input', { file, line });
    }
    const r = PartyLine.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new FabgateError('SCREENING_PARTY_INVALID', `${file}: line ${line}: ${issue?.path.join('.') || 'line'}: ${issue?.message}`, 'invalid_input', { file, line });
    }
    yield r.data;
  }
}

/** `--lists db` reads the active list versions of the configured database instead of files. */
export const LISTS_FROM_DATABASE = 'db';

async function screenFile(
  io: CliIO,
  screener: Screener,
  opts: { input: string; output: string; json?: boolean },
  inputPath: string,
  threshold: number,
  lists: Array<{ list: string; content_hash: string; counts?: { entities: number }; entities?: number }>,
  started: number,
): Promise<void> {
  const toStdout = opts.output === '-';
  const out = toStdout ? io.stdout : createWriteStream(resolve(io.cwd, opts.output));
  const bar = progress(io, 'screening');
  let parties = 0;
  let withMatches = 0;
  let matches = 0;
  try {
    for await (const p of readParties(opts.input, inputPath)) {
      const m = screener.screen(p, { threshold });
      parties++;
      if (m.length > 0) withMatches++;
      matches += m.length;
      if (!out.write(JSON.stringify({ id: p.id, matches: m }) + '\n')) await once(out, 'drain');
      bar.tick();
    }
  } finally {
    bar.done();
    if (!toStdout) {
      out.end();
      await once(out, 'finish');
    }
  }
  const summary = { lists, threshold, parties, parties_with_matches: withMatches, matches, elapsed_ms: Date.now() - started };
  if (!(toStdout && !opts.json)) {
    emit(io, !!opts.json, summary, (print) => {
      print(`${lists.reduce((n, s) => n + (s.counts?.entities ?? s.entities ?? 0), 0)} listed entities from ${lists.length} list(s)`);
      print(`${parties} parties screened, ${withMatches} with matches (${matches} matches at threshold ${threshold})`);
    });
  }
  if (withMatches > 0) throw new CliExit(EXIT.failure);
}

export const registerScreeningCommands: CommandRegistrar = (program: Command, { io }) => {
  program
    .command('screen')
    .description('screen parties (JSON lines) against sanctions and denied-party lists')
    .requiredOption('--lists <paths...>', 'list files or folders of list files, or "db" for the versions active in the database')
    .requiredOption('--input <file>', 'parties, one JSON object per line: {"id","name","country"?,"type"?,"dob"?}')
    .requiredOption('--output <file>', 'results, one JSON object per line ("-" for standard output)')
    .option('--threshold <t>', 'lowest score reported (0..1)', String(DEFAULT_THRESHOLD))
    .addOption(formatOption())
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { lists: string[]; input: string; output: string; threshold: string; format: ListFormat | 'auto'; json?: boolean }) => {
      const threshold = Number(opts.threshold);
      if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
        throw new FabgateError('SCREENING_THRESHOLD_INVALID', `--threshold must be a number from 0 to 1, not ${opts.threshold}`, 'invalid_input');
      }
      const inputPath = resolve(io.cwd, opts.input);
      try {
        statSync(inputPath);
      } catch {
        throw new FabgateError('SCREENING_FILE_NOT_FOUND', `${opts.input}: no such file`, 'invalid_input', { path: opts.input });
      }
      const started = Date.now();
      // `--lists db`: the versions active in the configured database, as the server screens against them.
      if (opts.lists.length === 1 && opts.lists[0] === LISTS_FROM_DATABASE) {
        const { withServices } = await import('../app/cli.js');
        const { screeningRuntime } = await import('./runtime.js');
        return withServices(io, async (s) => {
          const snap = await screeningRuntime(s).snapshot();
          if (!snap.screener) throw new FabgateError('SCREENING_NO_ACTIVE_LISTS', 'the database has no active list: load one with `fabgate lists load`', 'invalid_input');
          const lists = snap.versions.map((v) => ({ list: v.list, version_id: v.id, content_hash: v.content_hash, source_date: v.source_date, entities: v.entities }));
          await screenFile(io, snap.screener, opts, inputPath, threshold, lists, started);
        });
      }
      const { screener, summaries } = await loadIndex(io, opts.lists, opts.format);
      await screenFile(io, screener, opts, inputPath, threshold, summaries, started);
    });

  const lists = program.commands.find((c) => c.name() === 'lists') ?? program.command('lists').description('sanctions and denied-party lists');
  lists
    .command('inspect')
    .description('parse list files and print their counts and content hash')
    .argument('<files...>', 'list files (OFAC CSV parts given together form one list)')
    .addOption(formatOption())
    .option('--json', 'print JSON')
    .action(async (files: string[], opts: { format: ListFormat | 'auto'; json?: boolean }) => {
      const inputs = files.map((f) => fileInput(isAbsolute(f) ? f : resolve(io.cwd, f)));
      for (const i of inputs) {
        try {
          statSync(i.path!);
        } catch {
          throw new FabgateError('SCREENING_FILE_NOT_FOUND', `${i.name}: no such file`, 'invalid_input', { path: i.name });
        }
      }
      const loads = await openLists(inputs, { format: opts.format });
      const summaries: ListLoadSummary[] = [];
      for (const l of loads) {
        const bar = progress(io, `reading ${l.files.length === 1 ? l.files[0] : l.files.length + ' files'}`);
        for await (const _e of l.entities()) bar.tick();
        bar.done();
        summaries.push(l.summary());
      }
      emit(io, !!opts.json, { lists: summaries }, (print) => {
        for (const s of summaries) {
          print(`${s.list} (${s.format}) ${s.counts.entities} entities: ${Object.entries(s.counts.by_type).filter(([, n]) => n > 0).map(([t, n]) => `${n} ${t}`).join(', ')}; ${s.counts.aliases} aliases, ${s.counts.addresses} addresses`);
          print(`  sha256 ${s.content_hash}${s.source_date ? `  source date ${s.source_date}` : ''}`);
          for (const f of s.files) print(`  ${f.role ? f.role + ' ' : ''}${f.name}: ${f.records} records`);
        }
      });
    });
  registerListStoreCommands(lists, io, (paths) => listInputs(io, paths));
};
