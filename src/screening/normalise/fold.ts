/**
 * Romanisation folding: one key for the spellings that different romanisation
 * systems give the same letters, so "Kontsern" and "Concern", "Obshchestvo" and
 * "Obschestvo", "Aktsionernoe" and "Akcionernoe", "Yevgeny" and "Evgenii" fold alike.
 *
 * Transliteration itself is any-ascii (BGN/PCGN-like for Cyrillic: х→kh, ц→ts,
 * щ→shch, й→y, ю→yu). Lists and customers use other systems too — Russian
 * passports (ICAO Doc 9303: iu, ia, i), ISO 9 / scholarly (c, č, š, ju, ja, j),
 * German (ch, z, tsch, sch, w) and French (tch, ch, ou) — so rather than pick one
 * system, both sides are folded to a key in which those choices coincide:
 *
 *   щ shch|sch|shh → S      ш sh|sz → S        ч ch|tch|tsch|cz → C
 *   ц ts|tz|c(e,i) → C      х kh|h → H         ж zh|z → Z
 *   й/ы/и y|j(before a vowel, inside a word)|i → i     е ye|je(initial, after a vowel) → e
 *   у ou → u, oo → u, ee → i, w → v, ph → f, th → t, q → k, x → ks, other c → k
 *   Korean eo → o, eu → u (Revised Romanization vs McCune–Reischauer)
 *   final -off/-eff → -ov/-ev (Smirnoff, Rachmaninoff)
 *   doubled letters → one
 *
 * The key is only compared with other keys, never shown. Input must already be
 * lowercase ASCII (see `normaliseName`).
 */
const cache = new Map<string, string>();
const CACHE_LIMIT = 200_000;

export function foldToken(t: string): string {
  const hit = cache.get(t);
  if (hit !== undefined) return hit;
  let s = t;
  s = s.replace(/schtsch|shch|sch|shh/g, 'S');
  s = s.replace(/tsch|tch|ch|cz/g, 'C');
  s = s.replace(/sh|sz/g, 'S');
  s = s.replace(/kh/g, 'H').replace(/zh/g, 'Z').replace(/ts|tz/g, 'C');
  s = s.replace(/ph/g, 'f').replace(/th/g, 't').replace(/dh/g, 'd').replace(/gh/g, 'g').replace(/ck/g, 'k');
  s = s.replace(/c(?=[eiy])/g, 'C').replace(/c/g, 'k');
  s = s.replace(/q/g, 'k').replace(/x/g, 'ks').replace(/w/g, 'v').replace(/h/g, 'H').replace(/z/g, 'Z');
  s = s.replace(/^ye/, 'e').replace(/([aeiou])[yj]e/g, '$1e');
  s = s.replace(/y/g, 'i').replace(/(?<=.)j(?=[aeiou])/g, 'i').replace(/ij$/, 'i');
  s = s.replace(/ou|oo/g, 'u').replace(/ee/g, 'i');
  // Korean Revised Romanization eo/eu are McCune–Reischauer's o/u ("Jeong" / "Jong").
  s = s.replace(/eo/g, 'o').replace(/eu/g, 'u');
  s = s.replace(/(.)\1+/g, '$1');
  // Old French-style romanisation of Russian surnames: Smirnoff, Rachmaninoff → -ov.
  s = s.replace(/([oe])f$/, '$1v');
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(t, s);
  return s;
}

/**
 * Consonant skeleton of a folded token: vowels (and v, which stands for the long
 * vowel و in romanised Arabic) dropped. Abjads (Arabic, Hebrew) write few vowels,
 * so a name transliterated from them compares with a Latin spelling only here:
 * محمود → "mhmvd" → "mhmd" = "Mahmoud" → "mahmud" → "mhmd".
 */
export function skeleton(folded: string): string {
  return folded.replace(/[aeiouv]/g, '');
}
