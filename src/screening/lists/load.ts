/**
 * Opening list files: detect each file's format, group the OFAC CSV parts that
 * belong together, and stream entities with a content hash and counts.
 *
 * A load is the unit a store will write in one transaction: iterate
 * `entities()` to the end, then read `summary()` (content hash, source date,
 * counts). If iteration throws, nothing of the load should be kept.
 */
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { FabgateError } from '../../shared/errors.js';
import { countEntity, emptyCounts, type ListCounts, type ListEntity, type ListFormat } from '../model.js';
import { parseBisDpl } from './bis-dpl.js';
import { parseCslCsv, parseCslJson } from './csl.js';
import { checkForced, detectFormat, type Detected } from './detect.js';
import { parseDod1260h } from './dod-1260h.js';
import { parseEuJournalCsv, parseEuXml } from './eu.js';
import { parseFtmJsonLines, parseTargetsSimpleCsv } from './ftm.js';
import { collectAddresses, collectAliases, collectComments, emptyJoinParts, ofacEntity, ofacPrimaryRows, type OfacCsvRole } from './ofac-csv.js';
import { parseOfacXml } from './ofac-xml.js';
import { chunks, displayName, head, newHash, textChunks, type ListInput } from './source.js';
import { parseUkConList } from './uk.js';
import { parseUnXml } from './un.js';

export interface LoadedFile {
  name: string;
  sha256: string;
  /** For OFAC CSV parts: primary, alt, add or comments. */
  role?: OfacCsvRole;
  records: number;
}

export interface ListLoadSummary {
  list: string;
  format: ListFormat;
  files: LoadedFile[];
  /** SHA-256 of the file's bytes; for several files, SHA-256 over "role name sha256\n" lines sorted by role. */
  content_hash: string;
  /** The date the publisher gives the list (UN dateGenerated, OFAC Publish_Date, UK Last Updated, EU generationDate). */
  source_date?: string;
  counts: ListCounts;
}

export interface ListLoad {
  format: ListFormat;
  files: string[];
  /** Single use: streams the entities of the load. */
  entities(): AsyncGenerator<ListEntity>;
  /** Available once `entities()` has been iterated to the end. */
  summary(): ListLoadSummary;
}

export interface OpenListsOptions {
  format?: ListFormat | 'auto';
  /**
   * Called instead of failing for OFAC alias/address files whose primary file is
   * not in the load (when scanning a folder that holds such leftovers).
   */
  onIncomplete?: (files: string[], reason: string) => void;
}

interface Part {
  input: ListInput;
  detected: Detected;
}

const OFAC_ROLE_ORDER: OfacCsvRole[] = ['primary', 'alt', 'add', 'comments'];

/**
 * Detect and group `inputs` into loads. OFAC CSV parts (sdn/alt/add/comments) are
 * joined when they sit in the same folder and share a file-name prefix ("cons_"
 * marks OFAC's non-SDN Consolidated List); every other file is a load of its own.
 */
export async function openLists(inputs: ListInput[], opts: OpenListsOptions = {}): Promise<ListLoad[]> {
  const parts: Part[] = [];
  for (const input of inputs) {
    const h = await head(input);
    const detected = checkForced(input.name, detectFormat(h), opts.format, h);
    parts.push({ input, detected });
  }
  const loads: ListLoad[] = [];
  const ofacGroups = new Map<string, Part[]>();
  for (const p of parts) {
    if (p.detected.format === 'ofac-csv') {
      const key = `${p.input.path ? dirname(p.input.path) : ''}|${ofacPrefix(p.input)}`;
      const g = ofacGroups.get(key);
      if (g) g.push(p);
      else ofacGroups.set(key, [p]);
    } else loads.push(singleLoad(p));
  }
  for (const group of ofacGroups.values()) {
    if (opts.onIncomplete && !group.some((p) => (p.detected as { role: OfacCsvRole }).role === 'primary')) {
      opts.onIncomplete(
        group.map((p) => p.input.name),
        'OFAC alias/address/comment files without their primary file',
      );
      continue;
    }
    loads.push(ofacCsvLoad(group));
  }
  return loads;
}

/** "cons_" for OFAC's non-SDN Consolidated List parts, "" for the SDN list. */
function ofacPrefix(input: ListInput): string {
  return /^cons_/i.test(displayName(input)) ? 'cons_' : '';
}

function combineHashes(files: LoadedFile[]): string {
  if (files.length === 1) return files[0]!.sha256;
  const lines = [...files]
    .sort((a, b) => OFAC_ROLE_ORDER.indexOf(a.role!) - OFAC_ROLE_ORDER.indexOf(b.role!) || a.name.localeCompare(b.name))
    .map((f) => `${f.role ?? ''} ${basename(f.name)} ${f.sha256}\n`)
    .join('');
  return createHash('sha256').update(lines).digest('hex');
}

function makeLoad(format: ListFormat, files: string[], run: (state: LoadState) => AsyncGenerator<ListEntity>): ListLoad {
  const state: LoadState = { counts: emptyCounts(), files: [], list: '', meta: {} };
  let used = false;
  let done = false;
  return {
    format,
    files,
    async *entities() {
      if (used) throw new FabgateError('SCREENING_LOAD_REUSED', 'a list load can be iterated once', 'internal');
      used = true;
      for await (const e of run(state)) {
        countEntity(state.counts, e);
        if (!state.list) state.list = e.list;
        yield e;
      }
      done = true;
    },
    summary() {
      if (!done) throw new FabgateError('SCREENING_LOAD_INCOMPLETE', 'the load has not been read to the end', 'internal');
      const s: ListLoadSummary = { list: state.list || state.defaultList || format, format, files: state.files, content_hash: combineHashes(state.files), counts: state.counts };
      if (state.meta.date) s.source_date = state.meta.date;
      return s;
    },
  };
}

interface LoadState {
  counts: ListCounts;
  files: LoadedFile[];
  list: string;
  defaultList?: string;
  meta: { date?: string };
}

function singleLoad(p: Part): ListLoad {
  const file = p.input.name;
  const d = p.detected;
  return makeLoad(d.format, [file], async function* (state) {
    const hash = newHash();
    const text = textChunks(chunks(p.input, hash));
    let records = 0;
    let skipped = 0;
    let gen: AsyncGenerator<ListEntity>;
    const meta: Record<string, string | number | undefined> = {};
    const tally: { skipped: number; records?: number } = { skipped: 0 };
    switch (d.format) {
      case 'un':
        gen = parseUnXml(file, text, meta);
        break;
      case 'ofac-xml':
        gen = parseOfacXml(file, text, /^cons/i.test(displayName(p.input)) ? 'us-ofac-cons' : 'us-ofac-sdn', meta);
        break;
      case 'eu':
        gen = d.variant === 'fsf-xml' ? parseEuXml(file, text, meta) : parseEuJournalCsv(file, text);
        break;
      case 'csl':
        gen = d.variant === 'csv' ? parseCslCsv(file, text) : parseCslJson(file, text);
        break;
      case 'ftm':
        gen = d.variant === 'jsonl' ? parseFtmJsonLines(file, text, tally) : parseTargetsSimpleCsv(file, text);
        break;
      case 'uk':
        gen = parseUkConList(file, text, meta, tally);
        break;
      case 'bis-dpl':
        gen = parseBisDpl(file, text, tally);
        break;
      case 'dod-1260h':
        gen = parseDod1260h(file, text);
        break;
      case 'ofac-csv':
        throw new FabgateError('INTERNAL', 'OFAC CSV parts load as a group', 'internal');
    }
    for await (const e of gen) {
      records++;
      yield e;
    }
    skipped = tally.skipped;
    const sourceRecords = tally.records ?? records + skipped;
    state.files.push({ name: file, sha256: hash.digest('hex'), records: sourceRecords });
    state.counts.records[file] = sourceRecords;
    if (skipped) state.counts.skipped[file] = skipped;
    const date = meta.dateGenerated ?? meta.publishDate ?? meta.generationDate ?? meta.lastUpdated;
    if (date !== undefined) state.meta.date = String(date);
  });
}

function ofacCsvLoad(group: Part[]): ListLoad {
  const roleOf = (p: Part) => (p.detected as { role: OfacCsvRole }).role;
  const byRole = new Map<OfacCsvRole, Part>();
  for (const p of group) {
    const r = roleOf(p);
    if (byRole.has(r)) {
      throw new FabgateError('SCREENING_LIST_MALFORMED', `${p.input.name}: content: expected one OFAC ${r} file per load, found a second (${byRole.get(r)!.input.name})`, 'invalid_input', {
        file: p.input.name,
      });
    }
    byRole.set(r, p);
  }
  const primary = byRole.get('primary');
  const names = group.map((p) => p.input.name);
  if (!primary) {
    throw new FabgateError(
      'SCREENING_OFAC_PRIMARY_MISSING',
      `${names.join(', ')}: OFAC alias/address/comment files need their primary file (sdn.csv or cons_prim.csv) in the same load`,
      'invalid_input',
      { files: names },
    );
  }
  const list = ofacPrefix(primary.input) === 'cons_' ? 'us-ofac-cons' : 'us-ofac-sdn';
  return makeLoad('ofac-csv', names, async function* (state) {
    state.defaultList = list;
    const parts = emptyJoinParts();
    for (const role of ['alt', 'add', 'comments'] as const) {
      const p = byRole.get(role);
      if (!p) continue;
      const hash = newHash();
      const text = textChunks(chunks(p.input, hash));
      const n = role === 'alt' ? await collectAliases(parts, p.input.name, text) : role === 'add' ? await collectAddresses(parts, p.input.name, text) : await collectComments(parts, p.input.name, text);
      state.files.push({ name: p.input.name, sha256: hash.digest('hex'), role, records: n });
      state.counts.records[p.input.name] = n;
    }
    const hash = newHash();
    let n = 0;
    for await (const row of ofacPrimaryRows(primary.input.name, textChunks(chunks(primary.input, hash)))) {
      n++;
      yield ofacEntity(list, row, parts);
    }
    state.files.push({ name: primary.input.name, sha256: hash.digest('hex'), role: 'primary', records: n });
    state.counts.records[primary.input.name] = n;
  });
}

/** Read every load to the end, collecting entities (tests and small lists; a store streams instead). */
export async function readAll(load: ListLoad): Promise<{ entities: ListEntity[]; summary: ListLoadSummary }> {
  const entities: ListEntity[] = [];
  for await (const e of load.entities()) entities.push(e);
  return { entities, summary: load.summary() };
}
