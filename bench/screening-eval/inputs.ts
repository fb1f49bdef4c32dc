/**
 * What the screening benchmark and the evaluation set are made from: every list
 * file of the reference data (a folder walk, as `fabgate screen --lists <dir>`
 * does), and the labelled and synthetic name files of the anchors.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { detectFormat } from '../../src/screening/lists/detect.js';
import { openLists, type ListLoadSummary } from '../../src/screening/lists/load.js';
import { fileInput, head } from '../../src/screening/lists/source.js';
import type { ListEntity } from '../../src/screening/model.js';
import { sharedData } from '../../src/shared/test-support/shared-data.js';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...(await listFiles(p)));
    else {
      try {
        if (detectFormat(await head(fileInput(p)))) out.push(p);
      } catch {
        // a list format we do not read (OFAC advanced XML): not part of the run
      }
    }
  }
  return out;
}

/** Every list of the reference data loaded together. */
export async function loadAllLists(): Promise<{ entities: ListEntity[]; summaries: ListLoadSummary[]; files: number }> {
  const files = await listFiles(sharedData('sanctions'));
  const loads = await openLists(files.map(fileInput), { onIncomplete: () => {} });
  const entities: ListEntity[] = [];
  const summaries: ListLoadSummary[] = [];
  for (const l of loads) {
    for await (const e of l.entities()) entities.push(e);
    summaries.push(l.summary());
  }
  return { entities, summaries, files: files.length };
}

const csv = (path: string) => parse(readFileSync(path), { columns: true, bom: true }) as Array<Record<string, string>>;
const yente = (...p: string[]) => sharedData('sanctions', 'opensanctions-yente', 'contrib', ...p);

export interface PersonRow {
  name: string;
  dob?: string;
  country?: string;
}
const personRows = (rows: Array<Record<string, string>>): PersonRow[] =>
  rows.map((r) => ({ name: r.full_name!, dob: r.date_of_birth || undefined, country: r.nationality || undefined })).filter((r) => r.name);

/** yente's synthetic negatives (50,000 global + 50,000 US-centred). */
export function syntheticNegatives(): { global: PersonRow[]; us: PersonRow[] } {
  return {
    global: personRows(csv(yente('candidate_generation_benchmark', 'fixtures', 'negatives_global.csv'))),
    us: personRows(csv(yente('candidate_generation_benchmark', 'fixtures', 'negatives_us.csv'))),
  };
}

/** yente's UN-listed persons as queries, as written and with typos/reshuffles applied. */
export function unPersonQueries(): { untreated: PersonRow[]; treated: PersonRow[] } {
  return {
    untreated: personRows(csv(yente('candidate_generation_benchmark', 'fixtures', 'positives_un_untreated.csv'))),
    treated: personRows(csv(yente('candidate_generation_benchmark', 'fixtures', 'positives_un_treated.csv'))),
  };
}

/** nomenklatura's labelled name pairs and the frozen logic-v2 scores. */
export function namePairs(): { cases: Array<Record<string, string>>; logicV2: Array<Record<string, string>> } {
  const nk = (...p: string[]) => sharedData('sanctions', 'opensanctions-nomenklatura', 'contrib', 'name_bench', ...p);
  return { cases: csv(nk('cases.csv')), logicV2: csv(nk('run_data', 'logicv2-frozen.csv')) };
}

export async function loadEvaluationInputs(): Promise<{ entities: ListEntity[]; personNegatives: string[] }> {
  const { entities } = await loadAllLists();
  return { entities, personNegatives: syntheticNegatives().global.map((r) => r.name) };
}
