/**
 * The screening index: every name and alias of every list entity, tokenised
 * once, interned and laid out in typed arrays, with three ways in from a query
 * token:
 *
 * - exact folded token (romanisation-independent, see normalise/fold.ts);
 * - typo neighbourhood: each token of four or more letters is registered under
 *   the hashes of itself and of its one-letter deletions, so a query token finds
 *   tokens at one insertion, deletion, substitution or transposition (and some
 *   at two) by hash look-ups; every candidate is verified with Jaro–Winkler;
 * - consonant skeleton, for spellings that differ only in vowels and for names
 *   transliterated from abjads (Arabic, Hebrew), where vowels are not written.
 *
 * A query touches only the posting lists of the tokens it reaches, accumulates a
 * bound per name, and scores the best few candidates in full (score.ts).
 */
import type { EntityType, ListEntity } from '../model.js';
import { TokenKind, normaliseName, type NormalisedName } from '../normalise/name.js';
import { skeleton } from '../normalise/fold.js';
import { fnv1a, fnv1aSkip, jaroWinkler } from './similarity.js';

/** Name kinds, stored in the low bits of a name's flags. */
export const NAME_PRIMARY = 0;
export const NAME_ALIAS = 1;
export const NAME_WEAK = 2;
export const NAME_ORIGINAL = 3;
export const NAME_PREVIOUS = 4;

const TYPE_CODES: EntityType[] = ['person', 'organisation', 'vessel', 'aircraft', 'unknown'];

/** Hash seeds: one namespace for tokens and deletions, one for skeletons. */
const SEED_DEL = 0x811c9dc5;
const SEED_SKEL = 0x01234567;

/** How much each kind of token counts, before rarity. */
export const KIND_WEIGHT: Record<TokenKind, number> = {
  [TokenKind.Name]: 1,
  [TokenKind.Particle]: 0.3,
  [TokenKind.Business]: 0.35,
  [TokenKind.Legal]: 0.15,
  [TokenKind.Number]: 0.8,
  [TokenKind.Initial]: 0.4,
};

/** Tokens shorter than this get no typo neighbourhood (one edit in "ali" is another name). */
export const MIN_TYPO_LENGTH = 4;
/** Jaro–Winkler below this is not a typo of the same token. */
export const TYPO_MIN_SIM = 0.85;
/** Similarity of a token to one half of the same words run together. */
export const JOINED_SIM = 0.9;
/** Similarity given to tokens that agree in their consonant skeleton only. */
export const SKELETON_SIM = 0.82;

class GrowU32 {
  a: Uint32Array;
  n = 0;
  constructor(cap = 1024) {
    this.a = new Uint32Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  trim(): Uint32Array {
    return this.a.slice(0, this.n);
  }
}

class GrowU8 {
  a: Uint8Array;
  n = 0;
  constructor(cap = 1024) {
    this.a = new Uint8Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint8Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  trim(): Uint8Array {
    return this.a.slice(0, this.n);
  }
}

/** The secondary data of one entity that matching uses. */
export interface EntityFacts {
  entity_id: string;
  list: string;
  type: EntityType;
  countries: string[];
  dates_of_birth: string[];
}

/**
 * Builds a `ScreeningIndex` from entities, one at a time (so a store or a parser
 * can stream into it). Call `build()` once at the end.
 */
export class ScreeningIndexBuilder {
  private vocab = new Map<string, number>();
  private vocabStr: string[] = [];
  /** The normalised (unfolded) spelling first seen for each folded token, for typo similarity. */
  private vocabRaw: string[] = [];
  /** Names repeat across list versions and lists: normalise each distinct spelling once. */
  private normCache = new Map<string, NormalisedName>();
  private vocabKind = new GrowU8();
  private vocabAbjad = new GrowU8();
  private lists: string[] = [];
  private listIdx = new Map<string, number>();
  private entityId: string[] = [];
  private entityList = new GrowU32();
  private entityType = new GrowU8();
  private entityCountries: string[] = [];
  private entityDobs: string[] = [];
  private nameText: string[] = [];
  private nameEntity = new GrowU32();
  private nameFlags = new GrowU8();
  private nameOff = new GrowU32();
  private tok = new GrowU32(1 << 14);

  constructor() {
    this.nameOff.push(0);
  }

  /** Number of entities added so far. */
  get entities(): number {
    return this.entityId.length;
  }

  add(e: ListEntity): void {
    const ei = this.entityId.length;
    this.entityId.push(e.entity_id);
    let li = this.listIdx.get(e.list);
    if (li === undefined) {
      li = this.lists.length;
      this.lists.push(e.list);
      this.listIdx.set(e.list, li);
    }
    this.entityList.push(li);
    this.entityType.push(TYPE_CODES.indexOf(e.type));
    this.entityCountries.push(e.countries.join(','));
    this.entityDobs.push(e.dates_of_birth.join(','));
    const person = e.type === 'person';
    const seen = new Set<string>();
    const addName = (text: string, flags: number) => {
      const cacheKey = (person ? 'p\u0000' : 'o\u0000') + text;
      let n = this.normCache.get(cacheKey);
      if (!n) {
        n = normaliseName(text, { person });
        if (this.normCache.size > 100_000) this.normCache.clear();
        this.normCache.set(cacheKey, n);
      }
      if (n.tokens.length === 0) return;
      const key = n.folded.join(' ');
      if (seen.has(key)) return;
      seen.add(key);
      this.nameText.push(text);
      this.nameEntity.push(ei);
      this.nameFlags.push(flags);
      for (let i = 0; i < n.folded.length && i < 32; i++) {
        const f = n.folded[i]!;
        let v = this.vocab.get(f);
        if (v === undefined) {
          v = this.vocabStr.length;
          this.vocab.set(f, v);
          this.vocabStr.push(f);
          this.vocabRaw.push(n.tokens[i]!);
          this.vocabKind.push(n.kinds[i]!);
          this.vocabAbjad.push(0);
        }
        if (n.abjad[i]) this.vocabAbjad.a[v] = 1;
        this.tok.push(v);
      }
      this.nameOff.push(this.tok.n);
    };
    addName(e.name, NAME_PRIMARY);
    for (const a of e.aliases) {
      const kind = a.quality === 'weak' ? NAME_WEAK : a.kind === 'original_script' ? NAME_ORIGINAL : a.kind === 'previous_name' || a.kind === 'fka' ? NAME_PREVIOUS : NAME_ALIAS;
      addName(a.name, kind);
    }
  }

  async addAll(entities: Iterable<ListEntity> | AsyncIterable<ListEntity>): Promise<void> {
    for await (const e of entities) this.add(e);
  }

  build(): ScreeningIndex {
    this.normCache.clear();
    const V = this.vocabStr.length;
    const N = this.nameText.length;
    const nameOff = this.nameOff.trim();
    const tok = this.tok.trim();
    // Document frequency (names containing the token) and postings in CSR form.
    const df = new Uint32Array(V);
    const lastSeen = new Int32Array(V).fill(-1);
    for (let n = 0; n < N; n++) {
      for (let k = nameOff[n]!; k < nameOff[n + 1]!; k++) {
        const v = tok[k]!;
        if (lastSeen[v] !== n) {
          lastSeen[v] = n;
          df[v]!++;
        }
      }
    }
    const postOff = new Uint32Array(V + 1);
    for (let v = 0; v < V; v++) postOff[v + 1] = postOff[v]! + df[v]!;
    const post = new Uint32Array(postOff[V]!);
    const fill = postOff.slice(0, V);
    lastSeen.fill(-1);
    for (let n = 0; n < N; n++) {
      for (let k = nameOff[n]!; k < nameOff[n + 1]!; k++) {
        const v = tok[k]!;
        if (lastSeen[v] !== n) {
          lastSeen[v] = n;
          post[fill[v]!++] = n;
        }
      }
    }
    const kind = this.vocabKind.trim();
    const weight = new Float32Array(V);
    for (let v = 0; v < V; v++) weight[v] = KIND_WEIGHT[kind[v] as TokenKind] * rarity(df[v]!, N);
    // Typo and skeleton neighbourhoods: (hash << 32 | token) sorted, searched by binary search.
    const keys = new GrowU32(V * 4 + 16);
    const vals = new GrowU32(V * 4 + 16);
    for (let v = 0; v < V; v++) {
      const s = this.vocabStr[v]!;
      const k = kind[v] as TokenKind;
      if (k === TokenKind.Legal || k === TokenKind.Number || k === TokenKind.Initial) continue;
      if (s.length >= MIN_TYPO_LENGTH) {
        keys.push(fnv1a(s, SEED_DEL));
        vals.push(v);
        for (let i = 0; i < s.length; i++) {
          keys.push(fnv1aSkip(s, i, SEED_DEL));
          vals.push(v);
        }
      }
      const sk = skeleton(s);
      if (sk.length >= 1) {
        keys.push(fnv1a(sk, SEED_SKEL));
        vals.push(v);
      }
    }
    const order = new Uint32Array(keys.n);
    for (let i = 0; i < keys.n; i++) order[i] = i;
    const ka = keys.a;
    order.sort((x, y) => ka[x]! - ka[y]! || x - y);
    const nbKey = new Uint32Array(keys.n);
    const nbVal = new Uint32Array(keys.n);
    for (let i = 0; i < keys.n; i++) {
      nbKey[i] = ka[order[i]!]!;
      nbVal[i] = vals.a[order[i]!]!;
    }
    return new ScreeningIndex({
      vocab: this.vocab,
      vocabStr: this.vocabStr,
      vocabRaw: this.vocabRaw,
      vocabKind: kind,
      vocabAbjad: this.vocabAbjad.trim(),
      df,
      weight,
      postOff,
      post,
      nbKey,
      nbVal,
      lists: this.lists,
      entityId: this.entityId,
      entityList: this.entityList.trim(),
      entityType: this.entityType.trim(),
      entityCountries: this.entityCountries,
      entityDobs: this.entityDobs,
      nameText: this.nameText,
      nameEntity: this.nameEntity.trim(),
      nameFlags: this.nameFlags.trim(),
      nameOff,
      tok,
    });
  }
}

/**
 * Rarity factor in 0.4..1 from a token's document frequency: a name made of
 * rare tokens says more than one made of "Mohammed" and "Ali".
 */
export function rarity(df: number, n: number): number {
  if (n <= 1 || df <= 1) return 1;
  const r = Math.log(n / df) / Math.log(n);
  return 0.4 + 0.6 * Math.sqrt(Math.max(0, r));
}

export interface IndexData {
  vocab: Map<string, number>;
  vocabStr: string[];
  vocabRaw: string[];
  vocabKind: Uint8Array;
  vocabAbjad: Uint8Array;
  df: Uint32Array;
  weight: Float32Array;
  postOff: Uint32Array;
  post: Uint32Array;
  nbKey: Uint32Array;
  nbVal: Uint32Array;
  lists: string[];
  entityId: string[];
  entityList: Uint32Array;
  entityType: Uint8Array;
  entityCountries: string[];
  entityDobs: string[];
  nameText: string[];
  nameEntity: Uint32Array;
  nameFlags: Uint8Array;
  nameOff: Uint32Array;
  tok: Uint32Array;
}

/** The read-only index. Searching lives in score.ts; this class holds the data and the look-ups. */
export class ScreeningIndex {
  constructor(readonly d: IndexData) {}

  get nameCount(): number {
    return this.d.nameText.length;
  }
  get entityCount(): number {
    return this.d.entityId.length;
  }
  get vocabularySize(): number {
    return this.d.vocabStr.length;
  }

  /** Facts about entity `e` (by internal number). */
  entity(e: number): EntityFacts {
    const d = this.d;
    const c = d.entityCountries[e]!;
    const b = d.entityDobs[e]!;
    return {
      entity_id: d.entityId[e]!,
      list: d.lists[d.entityList[e]!]!,
      type: TYPE_CODES[d.entityType[e]!]!,
      countries: c ? c.split(',') : [],
      dates_of_birth: b ? b.split(',') : [],
    };
  }

  /** Approximate bytes held by the typed arrays (strings and maps estimated). */
  approximateBytes(): number {
    const d = this.d;
    let typed = 0;
    for (const a of [d.vocabKind, d.vocabAbjad, d.df, d.weight, d.postOff, d.post, d.nbKey, d.nbVal, d.entityList, d.entityType, d.nameEntity, d.nameFlags, d.nameOff, d.tok]) typed += a.byteLength;
    return typed;
  }

  /**
   * Tokens of the vocabulary a query token reaches, with their similarity: the
   * token itself, its typo neighbours, the halves of words run together, and its
   * skeleton neighbours. Written
   * to `buf` from `base`, at most `cap`; returns how many.
   */
  neighbours(folded: string, kind: TokenKind, abjad: boolean, buf: NeighbourBuffer, base: number, cap: number): number {
    const d = this.d;
    let n = 0;
    const add = (v: number, sim: number) => {
      for (let k = base; k < base + n; k++) {
        if (buf.tok[k] === v) {
          if (buf.sim[k]! < sim) buf.sim[k] = sim;
          return;
        }
      }
      if (n < cap) {
        buf.tok[base + n] = v;
        buf.sim[base + n] = sim;
        n++;
      }
    };
    const exact = d.vocab.get(folded);
    if (exact !== undefined) add(exact, 1);
    if (kind === TokenKind.Legal || kind === TokenKind.Number || kind === TokenKind.Initial) return n;
    if (folded.length >= MIN_TYPO_LENGTH - 1) {
      const probe = (h: number) => {
        for (let i = lowerBound(d.nbKey, h); i < d.nbKey.length && d.nbKey[i] === h; i++) {
          const v = d.nbVal[i]!;
          if (v === exact) continue;
          const s = d.vocabStr[v]!;
          if (s.charCodeAt(0) === 64 /* @ */) continue;
          const sim = typoSimilarity(folded, s);
          if (sim > 0) add(v, sim);
        }
      };
      probe(fnv1a(folded, SEED_DEL));
      for (let i = 0; i < folded.length; i++) probe(fnv1aSkip(folded, i, SEED_DEL));
    }
    // Words run together: "sergeilavrov" reaches "sergei" and "lavrov" (the reverse, "good" followed
    // by "will" reaching "goodwill", is the screener's: it depends on the next query word).
    if (exact === undefined && folded.length >= 6) {
      for (let k = 3; k <= folded.length - 3; k++) {
        const a = d.vocab.get(folded.slice(0, k));
        if (a === undefined) continue;
        const b = d.vocab.get(folded.slice(k));
        if (b === undefined) continue;
        add(a, JOINED_SIM);
        add(b, JOINED_SIM);
      }
    }
    const sk = skeleton(folded);
    // Latin spellings meet on skeletons of three consonants or more; abjad-written tokens carry few letters, so any length.
    if (sk.length >= 3 || (abjad && sk.length >= 1)) {
      const h = fnv1a(sk, SEED_SKEL);
      for (let i = lowerBound(d.nbKey, h); i < d.nbKey.length && d.nbKey[i] === h; i++) {
        const v = d.nbVal[i]!;
        if (v === exact) continue;
        const s = d.vocabStr[v]!;
        if (skeleton(s) !== sk) continue;
        // Between two Latin spellings, vowels may differ but the first letter may not.
        if (!abjad && d.vocabAbjad[v] !== 1 && s.charCodeAt(0) !== folded.charCodeAt(0)) continue;
        add(v, SKELETON_SIM);
      }
    }
    return n;
  }
}

/** Where `neighbours` writes: token numbers and similarities, in slots. */
export class NeighbourBuffer {
  readonly tok: Int32Array;
  readonly sim: Float32Array;
  constructor(size: number) {
    this.tok = new Int32Array(size);
    this.sim = new Float32Array(size);
  }
}

/**
 * Similarity of two folded tokens that are not equal: Jaro–Winkler, at most 0.97,
 * 0 below `TYPO_MIN_SIM` or for tokens shorter than `MIN_TYPO_LENGTH`. A token that extends the other by three letters or more
 * is a derived name, not a typo (Vladimir / Vladimirovich, Hassan / Hassanein),
 * and does not match.
 */
export function typoSimilarity(a: string, b: string): number {
  // One letter off in a word of two or three is another word ("Ali" / "Al", "Tim" / "Tom").
  if (a.length < MIN_TYPO_LENGTH || b.length < MIN_TYPO_LENGTH) return 0;
  const jw = jaroWinkler(a, b);
  if (jw < TYPO_MIN_SIM) return 0;
  const shorter = a.length < b.length ? a : b;
  const longer = a.length < b.length ? b : a;
  if (longer.length - shorter.length >= 3 && longer.startsWith(shorter.slice(0, Math.max(3, shorter.length - 1)))) return 0;
  return Math.min(0.97, jw);
}

function lowerBound(a: Uint32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Build an index from any iterable of entities. */
export async function buildIndex(entities: Iterable<ListEntity> | AsyncIterable<ListEntity>): Promise<ScreeningIndex> {
  const b = new ScreeningIndexBuilder();
  await b.addAll(entities);
  return b.build();
}
