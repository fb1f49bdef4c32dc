/**
 * Name normalisation: Unicode NFKC, transliteration into Latin, case folding,
 * diacritics and punctuation removed, honorifics dropped, legal forms replaced by
 * a canonical token, each token classed so the matcher can weigh it.
 *
 * Transliteration is `any-ascii` (ISC, no dependencies, tables for every Unicode
 * block, maintained): it romanises Cyrillic (BGN/PCGN-like), Greek, Arabic and
 * Hebrew (consonants as written), Han (Pinyin), Hangul (Revised Romanization),
 * Thai and the rest in one deterministic step with no locale data. Differences
 * between romanisation systems are handled afterwards by folding (fold.ts).
 * Han and Hangul are romanised one character (syllable) at a time, so "习近平"
 * becomes "xi jin ping" rather than "XiJinPing".
 */
import anyAscii from 'any-ascii';
import { foldToken } from './fold.js';
import { legalFormAt, singleFormCounts } from './legal-forms.js';
import { BUSINESS_WORDS, HONORIFICS, PARTICLES } from './words.js';

/** How a token counts in a name. */
export const enum TokenKind {
  Name = 0,
  Particle = 1,
  Business = 2,
  Legal = 3,
  Number = 4,
  Initial = 5,
}

export interface NormalisedName {
  /** Normalised tokens: lowercase ASCII letters and digits; legal forms as "@llc", "@jsc", … */
  tokens: string[];
  /** Folded tokens (romanisation-independent keys), parallel to `tokens`. */
  folded: string[];
  kinds: TokenKind[];
  /** The token was written in an abjad (Arabic, Hebrew, Syriac, Thaana): its vowels are mostly unwritten. */
  abjad: boolean[];
  /** Honorifics and titles that were dropped. */
  dropped: string[];
}

const ABJAD = /[\u0590-\u05FF\u0600-\u06FF\u0700-\u074F\u0750-\u077F\u0780-\u07BF\u08A0-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/u;
const SYLLABIC = /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uAC00-\uD7AF\u3040-\u30FF]/u;
/** Word separators: anything that is not a letter, mark, digit or an in-word apostrophe. */
const SPLIT = /[^\p{L}\p{M}\p{N}'’ʼ`´@]+/u;
/** A canonical legal-form token read back in (normalising normalised text changes nothing). */
const CANONICAL = /^@(?:jsc|llc|corp|lp|soe|npo)$/;
const APOSTROPHES = /['’ʼ`´]/g;

export interface NormaliseOptions {
  /** Persons carry no legal form: "AO", "SA", "Pat" stay names. */
  person?: boolean;
}

/** Normalise a name. Never throws; an empty or symbol-only name gives no tokens. */
export function normaliseName(raw: string, opts: NormaliseOptions = {}): NormalisedName {
  const tokens: string[] = [];
  const abjad: boolean[] = [];
  let s = typeof raw === 'string' ? raw : String(raw ?? '');
  if (s.length > 1000) s = s.slice(0, 1000);
  s = s.normalize('NFKC');
  // Dotted abbreviations are one word: "S.A." → "SA", "J.S.C." → "JSC", "O.O.O." → "OOO".
  s = s.replace(/(?<![\p{L}\p{N}])((?:\p{L}\.){2,})/gu, (m) => m.replace(/\./g, '') + ' ');
  for (const word of s.split(SPLIT)) {
    if (!word) continue;
    const w = wordTokens(word);
    for (let i = 0; i < w.tokens.length; i++) {
      tokens.push(w.tokens[i]!);
      abjad.push(w.abjad);
    }
  }
  // Honorifics and titles go first (when something else remains), so what follows sees the name's own words.
  const honorific = tokens.map((t) => HONORIFICS.has(t));
  const dropped: string[] = [];
  if (honorific.includes(true) && honorific.includes(false)) {
    for (let i = tokens.length - 1; i >= 0; i--) {
      if (!honorific[i]) continue;
      dropped.unshift(tokens[i]!);
      tokens.splice(i, 1);
      abjad.splice(i, 1);
    }
  }
  const folded = tokens.map(foldToken);
  const kinds: TokenKind[] = tokens.map((t) => (t.startsWith('@') ? TokenKind.Legal : /^\d+$/.test(t) ? TokenKind.Number : t.length === 1 ? TokenKind.Initial : PARTICLES.has(t) ? TokenKind.Particle : BUSINESS_WORDS.has(t) ? TokenKind.Business : TokenKind.Name));

  // Legal forms: multi-word phrases anywhere; a short ambiguous one only at either end (legal-forms.ts).
  const out: NormalisedName = { tokens: [], folded: [], kinds: [], abjad: [], dropped };
  for (let i = 0; i < tokens.length; ) {
    const lf = opts.person || kinds[i] === TokenKind.Legal ? undefined : legalFormAt(folded, i);
    if (lf) {
      const acceptable = lf.length > 1 || singleFormCounts(folded[i]!, i, tokens.length);
      if (acceptable) {
        out.tokens.push(lf.canonical);
        out.folded.push(lf.canonical);
        out.kinds.push(TokenKind.Legal);
        out.abjad.push(false);
        i += lf.length;
        continue;
      }
    }
    out.tokens.push(tokens[i]!);
    out.folded.push(folded[i]!);
    out.kinds.push(kinds[i]!);
    out.abjad.push(abjad[i]!);
    i++;
  }
  return out;
}

interface WordTokens {
  tokens: string[];
  abjad: boolean;
}

/** Words recur across names (given names, legal forms): transliterate each spelling once. */
const wordCache = new Map<string, WordTokens>();
const WORD_CACHE_LIMIT = 200_000;

function wordTokens(word: string): WordTokens {
  const hit = wordCache.get(word);
  if (hit) return hit;
  const tokens: string[] = [];
  const flags: boolean[] = [];
  const isAbjad = ABJAD.test(word);
  if (SYLLABIC.test(word)) {
    // One token per Han character / Hangul syllable; other letters in the word stay together.
    let run = '';
    for (const ch of word) {
      if (SYLLABIC.test(ch)) {
        if (run) pushAscii(run, false, tokens, flags);
        run = '';
        pushAscii(ch, false, tokens, flags);
      } else run += ch;
    }
    if (run) pushAscii(run, false, tokens, flags);
  } else pushAscii(word, isAbjad, tokens, flags);
  const out: WordTokens = { tokens, abjad: isAbjad };
  if (wordCache.size >= WORD_CACHE_LIMIT) wordCache.clear();
  wordCache.set(word, out);
  return out;
}

function pushAscii(word: string, isAbjad: boolean, tokens: string[], abjad: boolean[]): void {
  if (CANONICAL.test(word)) {
    tokens.push(word);
    abjad.push(false);
    return;
  }
  // any-ascii writes the soft and hard signs (ь, ъ) as apostrophes: drop them again.
  const ascii = anyAscii(word.replace(APOSTROPHES, '')).replace(APOSTROPHES, '').toLowerCase();
  for (const t of ascii.split(/[^a-z0-9]+/)) {
    if (!t) continue;
    tokens.push(t);
    abjad.push(isAbjad);
  }
}

/** The normalised form as one string (for display and for the party fingerprint). */
export function normalisedText(raw: string, opts?: NormaliseOptions): string {
  return normaliseName(raw, opts).tokens.join(' ');
}
