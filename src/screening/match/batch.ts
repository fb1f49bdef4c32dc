/**
 * Batch screening: a stream of parties in, a stream of results out, one party
 * at a time against one index (memory stays flat in the batch size).
 */
import { ScreeningIndex, ScreeningIndexBuilder } from './index.js';
import { Screener } from './screen.js';
import type { Party, ScreenOptions, ScreeningResult } from './types.js';
import type { EntityType } from '../model.js';

export async function* screenBatch(
  parties: Iterable<Party> | AsyncIterable<Party>,
  index: ScreeningIndex | Screener,
  opts: ScreenOptions = {},
): AsyncGenerator<ScreeningResult> {
  const screener = index instanceof Screener ? index : new Screener(index);
  for await (const p of parties) yield { id: p.id, matches: screener.screen(p, opts) };
}

/**
 * Score two names against each other (0..1, names only: no secondary
 * evidence), with the same normalisation and alignment as list screening.
 * Rarity weights need a list, so here every token counts as rare.
 */
export function compareNames(query: string, listed: string, type?: EntityType): number {
  const b = new ScreeningIndexBuilder();
  b.add({ entity_id: 'b', list: 'pair', type: type ?? 'unknown', name: listed, aliases: [], addresses: [], countries: [], dates_of_birth: [], identifiers: [], programmes: [] });
  const m = new Screener(b.build()).screen({ id: 'a', name: query, type: type === 'person' ? 'person' : undefined }, { threshold: 0, limit: 1 });
  return m[0]?.explanation.name_score ?? 0;
}
