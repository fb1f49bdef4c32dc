/**
 * Test helpers: the real list files of the reference data, by role.
 * Paths are resolved with `sharedData` (never a machine path).
 */
import { sharedData } from '../../shared/test-support/shared-data.js';
import { openLists, readAll } from '../lists/load.js';
import { fileInput } from '../lists/source.js';
import type { ListEntity } from '../model.js';

export const SANCTIONS = (...p: string[]) => sharedData('sanctions', ...p);

export const FILES = {
  sdn20240503: SANCTIONS('jackdwyer-specially-designated-nationals-list', '2024-05-03_a5ec3c5e', 'sdn.csv'),
  sdn20240426: SANCTIONS('jackdwyer-specially-designated-nationals-list', '2024-04-26_9f683891', 'sdn.csv'),
  benchSdn: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'bench', 'sdn.csv'),
  benchAlt: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'bench', 'alt.csv'),
  benchAdd: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'bench', 'add.csv'),
  benchComments: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'bench', 'sdn_comments.csv'),
  dpl: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'bench', 'dpl.txt'),
  staticAlt: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'static', 'alt.csv'),
  staticAdd: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'static', 'add.csv'),
  staticComments: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'static', 'sdn_comments.csv'),
  pkgAlt: SANCTIONS('moov-io-watchman', 'pkg', 'sources', 'ofac', 'testdata', 'alt.csv'),
  pkgAdd: SANCTIONS('moov-io-watchman', 'pkg', 'sources', 'ofac', 'testdata', 'add.csv'),
  pkgComments: SANCTIONS('moov-io-watchman', 'pkg', 'sources', 'ofac', 'testdata', 'sdn_comments.csv'),
  consPrim: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'cons_prim.csv'),
  consAlt: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'cons_alt.csv'),
  consAdd: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'cons_add.csv'),
  consComments: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'cons_comments.csv'),
  un2026: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'UN_consolidated.xml'),
  un2018: SANCTIONS('perchrh-sanction_list_search', 'un', 'consolidated.xml'),
  csl2019: SANCTIONS('moov-io-watchman', 'test', 'testdata', 'csl.csv'),
  csl2025: SANCTIONS('moov-io-watchman', 'internal', 'cslustest', 'testdata', 'consolidated.csv'),
  eu269: SANCTIONS('opensanctions-opensanctions', 'datasets', 'eu', 'journal_sanctions', 'data', 'consolidated', '32014R0269.csv'),
  eu833: SANCTIONS('opensanctions-opensanctions', 'datasets', 'eu', 'journal_sanctions', 'data', 'consolidated', '32014R0833.csv'),
  eu765: SANCTIONS('opensanctions-opensanctions', 'datasets', 'eu', 'journal_sanctions', 'data', 'consolidated', '32006R0765.csv'),
  dod1260h: SANCTIONS('opensanctions-opensanctions', 'datasets', 'us', 'dod_chinese_milcorps', 'sanctions.csv'),
  ftm: SANCTIONS('opensanctions-yente', 'tests', 'fixtures', 'dataset', 'zala', 'entities.ftm.json'),
  targetsSimple: SANCTIONS('khongdudinhdoikhongne-ftm', 'targets.simple.csv'),
  orgTypes: SANCTIONS('opensanctions-rigour', 'resources', 'names', 'org_types.yml'),
} as const;

/** Parse one load (one file, or OFAC CSV parts given together) to the end. */
export async function loadEntities(...paths: string[]): Promise<ListEntity[]> {
  const loads = await openLists(paths.map(fileInput));
  const out: ListEntity[] = [];
  for (const l of loads) out.push(...(await readAll(l)).entities);
  return out;
}
