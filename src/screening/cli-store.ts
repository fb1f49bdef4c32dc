/**
 * `fabgate lists load|versions|diff|activate`: list versions in the configured
 * database (SQLite in FABGATE_DATA_DIR or FABGATE_DATABASE_URL), the same the
 * server screens against. A load is staged and then activated in one
 * transaction, recorded in the audit trail as the console operator, and
 * followed by the re-screening of stored parties (unless `--no-rescreen`: a
 * running server then picks the job up).
 */
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { recordAudit, type Actor } from '../audit/trail.js';
import { emit, progress, type CliIO } from '../cli/io.js';
import type { Services } from '../app/services.js';
import { FabgateError } from '../shared/errors.js';
import { jobView, screeningJobs, type JobView } from './jobs.js';
import type { ListInput } from './lists/source.js';
import { LIST_FORMATS, type ListFormat } from './model.js';
import { activateVersion, loadListFiles, type LoadResult } from './service.js';
import { diffVersions, getListVersion, listListVersions, type ListVersionView } from './versions.js';

/** Commands run at the console are recorded as such in the audit trail. */
const CLI_ACTOR: Actor = { type: 'system', id: 'cli', organisationId: null };

async function services<T>(io: CliIO, fn: (s: Services) => Promise<T>): Promise<T> {
  // imported when run: the composition root imports every domain's routes, this one included
  const { withServices } = await import('../app/cli.js');
  return withServices(io, fn);
}

async function rescreen(io: CliIO, s: Services, jobId: string): Promise<JobView | null> {
  const bar = progress(io, 're-screening stored parties');
  let last = 0;
  const ran = await screeningJobs(s).runJob(jobId, (j) => {
    if (j.total) bar.tick(j.done - last);
    last = j.done;
  });
  bar.done();
  if (!ran) return null;
  const row = await s.database.db.selectFrom('screening_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  return jobView(row);
}

function versionLine(v: ListVersionView): string {
  const types = Object.entries(v.counts.by_type)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  return `${v.id}  ${v.active ? 'active  ' : '        '}${v.list.padEnd(22)} ${String(v.entities).padStart(7)} entities (${types})  ${v.source_date ?? 'no source date'}  loaded ${v.loaded_at}  sha256 ${v.content_hash.slice(0, 16)}…`;
}

export function registerListStoreCommands(lists: Command, io: CliIO, listInputs: (paths: string[]) => Promise<{ inputs: ListInput[]; fromFolders: boolean }>): void {
  lists
    .command('load')
    .description('load list files into the database as new versions; each becomes active once completely loaded')
    .argument('<files...>', 'list files or folders (OFAC CSV parts given together form one list)')
    .addOption(new Option('--format <format>', 'list format').choices(['auto', ...LIST_FORMATS]).default('auto'))
    .option('--no-rescreen', 'leave the re-screening of stored parties to a running server')
    .option('--json', 'print JSON')
    .action(async (files: string[], opts: { format: ListFormat | 'auto'; rescreen: boolean; json?: boolean }) => {
      const { inputs, fromFolders } = await listInputs(files);
      if (inputs.length === 0) throw new FabgateError('SCREENING_NO_LISTS', 'no list files found', 'invalid_input');
      const out = await services(io, async (s) => {
        let bar: ReturnType<typeof progress> | null = null;
        const results: LoadResult[] = await loadListFiles(s, inputs, {
          actor: CLI_ACTOR,
          format: opts.format,
          ...(fromFolders ? { onIncomplete: (f: string[], reason: string) => io.stderr.write(`skipped ${f.join(', ')}: ${reason}\n`) } : {}),
          onLoad: (f) => {
            bar?.done();
            bar = progress(io, `loading ${f.length === 1 ? basename(f[0]!) : `${f.length} files`}`);
          },
          onProgress: (n) => bar?.tick(n),
          audit: async (trx, r) => {
            await recordAudit(trx, { actor: CLI_ACTOR, action: r.created ? 'lists.version_loaded' : 'lists.version_already_loaded', targetType: 'list_version', targetId: r.version.id, at: s.clock.now() });
          },
        });
        (bar as ReturnType<typeof progress> | null)?.done();
        // the last activation's job re-screens against every list loaded here
        const jobId = [...results].reverse().find((r) => r.rescreen_job)?.rescreen_job ?? null;
        const job = opts.rescreen && jobId ? await rescreen(io, s, jobId) : null;
        return { loads: results.map((r) => ({ version: r.version, created: r.created, activated: r.activation !== null, rescreen_job: r.rescreen_job })), rescreen: job };
      });
      emit(io, !!opts.json, out, (print) => {
        for (const l of out.loads) print(`${l.created ? 'loaded and activated' : 'already loaded'}: ${versionLine(l.version)}`);
        if (out.rescreen) print(`re-screened ${out.rescreen.done} stored parties: ${out.rescreen.matched} new or changed hit(s) raised as alerts`);
        else if (out.loads.some((l) => l.rescreen_job)) print('stored parties will be re-screened by the server');
      });
    });

  lists
    .command('versions')
    .description('list versions in the database, newest first')
    .option('--list <list>', 'only versions of this list')
    .option('--json', 'print JSON')
    .action(async (opts: { list?: string; json?: boolean }) => {
      const versions = await services(io, (s) => listListVersions(s.database.db, opts.list ? { list: opts.list } : {}));
      emit(io, !!opts.json, { versions }, (print) => {
        if (versions.length === 0) print('no list version loaded: fabgate lists load FILE…');
        for (const v of versions) print(versionLine(v));
      });
    });

  lists
    .command('diff')
    .description('entities added, removed and changed between two versions of a list')
    .argument('<from>', 'version id')
    .argument('<to>', 'version id')
    .option('--limit <n>', 'at most this many entities of each kind', '50')
    .option('--json', 'print JSON')
    .action(async (from: string, to: string, opts: { limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new FabgateError('SCREENING_LIMIT_INVALID', `--limit must be a positive integer, not ${opts.limit}`, 'invalid_input');
      const d = await services(io, (s) =>
        diffVersions(s.database.db, from, to, limit).catch((e: unknown) => {
          // an unknown version named on the command line is bad input (exit 2), not a finding
          if (e instanceof FabgateError && e.kind === 'not_found') throw new FabgateError(e.code, e.message, 'invalid_input', e.details);
          throw e;
        }),
      );
      emit(io, !!opts.json, d, (print) => {
        print(`${d.from.list}: ${d.from.id} (${d.from.source_date ?? d.from.loaded_at}) → ${d.to.id} (${d.to.source_date ?? d.to.loaded_at})`);
        print(`${d.counts.added} added, ${d.counts.removed} removed, ${d.counts.changed} changed, ${d.counts.unchanged} unchanged`);
        for (const e of d.added) print(`  + ${e.entity_id}  ${e.name} (${e.type}; ${e.programmes.join(', ')})`);
        for (const e of d.removed) print(`  - ${e.entity_id}  ${e.name}`);
        for (const e of d.changed) print(`  ~ ${e.entity_id}  ${e.name}: ${e.fields.join(', ')}`);
        if (d.truncated) print(`  (lists cut at ${limit} per kind; --limit shows more)`);
      });
    });

  lists
    .command('activate')
    .description('make a loaded version the active one of its list (for instance, go back to the previous one)')
    .argument('<version>', 'version id')
    .option('--no-rescreen', 'leave the re-screening of stored parties to a running server')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { rescreen: boolean; json?: boolean }) => {
      const out = await services(io, async (s) => {
        const r = await s.database.db.transaction().execute(async (trx) => {
          const a = await activateVersion(s, trx, id, CLI_ACTOR).catch((e: unknown) => {
            if (e instanceof FabgateError && e.kind === 'not_found') throw new FabgateError(e.code, e.message, 'invalid_input', e.details);
            throw e;
          });
          if (a.activation) await recordAudit(trx, { actor: CLI_ACTOR, action: 'lists.version_activated', targetType: 'list_version', targetId: id, at: s.clock.now() });
          return a;
        });
        const job = opts.rescreen && r.rescreen_job ? await rescreen(io, s, r.rescreen_job) : null;
        return { version: await getListVersion(s.database.db, id), activated: r.activation !== null, rescreen: job };
      });
      emit(io, !!opts.json, out, (print) => {
        print(`${out.activated ? 'activated' : 'already active'}: ${versionLine(out.version)}`);
        if (out.rescreen) print(`re-screened ${out.rescreen.done} stored parties: ${out.rescreen.matched} new or changed hit(s) raised as alerts`);
      });
    });
}
