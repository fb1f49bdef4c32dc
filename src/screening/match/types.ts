import type { EntityType } from '../model.js';

/** A party to screen: a purchaser, consignee, intermediate consignee or end user. */
export interface Party {
  id: string;
  name: string;
  /** ISO 3166-1 alpha-2 or a country name. */
  country?: string;
  type?: 'person' | 'organisation' | EntityType;
  /** Date of birth (persons): ISO date or prefix, or any form `parseDates` reads. */
  dob?: string;
}

/**
 * How one query token was paired with one token of the listed name. `romanisation`:
 * equal once romanisation choices and doubled letters are folded (normalise/fold.ts);
 * `vowels`: equal consonant skeletons (abjad transliterations, vowel variants).
 */
export interface TokenMatch {
  /** The query token (normalised). */
  query: string;
  /** The listed name's token (normalised). */
  list: string;
  similarity: number;
  how: 'exact' | 'romanisation' | 'typo' | 'vowels' | 'initial' | 'legal form' | 'legal form differs';
  /** For typos: the edit distance (Damerau–Levenshtein) between the two spellings. */
  edits?: number;
}

/** What one piece of secondary evidence did to the score. */
export interface Evidence {
  kind: 'type' | 'country' | 'date_of_birth' | 'alias_quality' | 'joined_tokens';
  /** Added to the score (negative lowers it). */
  effect: number;
  detail: string;
}

export interface Explanation {
  /** Which of the entity's names matched. */
  name_kind: 'primary' | 'alias' | 'weak alias' | 'original script' | 'previous name';
  /** The query and the matched name as normalised. */
  query_normalised: string;
  list_normalised: string;
  /** Score of the names alone, before secondary evidence. */
  name_score: number;
  tokens: TokenMatch[];
  /** Query tokens with no counterpart (they lower the score fully). */
  unmatched_query: string[];
  /** Listed tokens with no counterpart (they lower the score by half — lists often add middle names and patronymics — or fully when the query also has an unmatched name word). */
  unmatched_list: string[];
  evidence: Evidence[];
}

export interface Match {
  entity_id: string;
  list: string;
  matched_name: string;
  score: number;
  explanation: Explanation;
}

export interface ScreeningResult {
  id: string;
  matches: Match[];
}

export interface ScreenOptions {
  /** Matches scoring below this are not returned. Default `DEFAULT_THRESHOLD`. */
  threshold?: number;
  /** At most this many matches per party (highest first). Default 20. */
  limit?: number;
}

/**
 * Default threshold, chosen on the labelled evaluation set built from the real
 * lists (bench/screening-eval) and nomenklatura's name pairs: the best F1 on
 * both (0.75 gives ~0.5 points more recall for ~4 points less precision). See
 * the benchmark's precision/recall rows.
 */
export const DEFAULT_THRESHOLD = 0.8;
