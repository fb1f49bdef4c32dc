/**
 * A real screener for tests: the UN consolidated list (2018 file of the
 * reference data) parsed by src/screening, indexed, and wrapped in the
 * licensing seam. Built once per test file.
 */
import { openLists, readAll } from '../../screening/lists/load.js';
import { fileInput } from '../../screening/lists/source.js';
import { buildIndex } from '../../screening/match/index.js';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { indexPartyScreener, type PartyScreener } from '../seams.js';

export const UN_LIST = sharedData('sanctions', 'perchrh-sanction_list_search', 'un', 'consolidated.xml');

let cached: Promise<{ screener: PartyScreener; listVersion: string }> | undefined;

/** The UN list screener; its list version is `un-consolidated@<first 16 hex of the content hash>`. */
export function unListScreener(): Promise<{ screener: PartyScreener; listVersion: string }> {
  cached ??= (async () => {
    const [load] = await openLists([fileInput(UN_LIST)]);
    const { entities } = await readAll(load!);
    const listVersion = `un-consolidated@${load!.summary().content_hash.slice(0, 16)}`;
    return { screener: indexPartyScreener(await buildIndex(entities), listVersion), listVersion };
  })();
  return cached;
}
