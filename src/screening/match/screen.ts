/**
 * Screening one party against the index: candidate generation, token
 * alignment, name score, secondary evidence, explanation.
 *
 * Name score. Each query token is paired with at most one token of the listed
 * name (greedy, best similarity first, so word order does not matter). With
 * weights w (kind × rarity, see index.ts) and similarities s of the pairs:
 *
 *     score = Σ s·(w_query + w_list) / (Σ w_query + Σ w_list,matched + ½·Σ w_list,unmatched)
 *
 * A query token with no counterpart costs its full weight (the customer's name
 * says something the list does not); a listed token with no counterpart costs
 * half (lists add middle names, patronymics and legal forms) — unless both sides
 * keep a name word unmatched, which is a substitution (Putin / Petrov) and costs
 * in full. When the two names
 * split words differently ("Jinping" / "Jin Ping", "AlQaida" / "Al Qaida"), the
 * names compared as one string can do better and are used instead.
 *
 * Secondary evidence then moves the score: entity type, date of birth, country,
 * alias quality. Each step is in the explanation.
 */
import { countryCode } from '../lists/countries.js';
import { parseDates } from '../lists/dates.js';
import type { EntityType } from '../model.js';
import { TokenKind, normaliseName, type NormalisedName } from '../normalise/name.js';
import { KIND_WEIGHT, NAME_ORIGINAL, NAME_PREVIOUS, NAME_PRIMARY, NAME_WEAK, NeighbourBuffer, JOINED_SIM, SKELETON_SIM, typoSimilarity, type EntityFacts, type ScreeningIndex } from './index.js';
import { damerauLevenshtein, jaroWinkler } from './similarity.js';
import { DEFAULT_THRESHOLD, type Evidence, type Explanation, type Match, type Party, type ScreenOptions, type TokenMatch } from './types.js';

/** Query tokens beyond this are ignored (a name, not a paragraph). */
export const MAX_QUERY_TOKENS = 16;
/** Listed-name tokens beyond this are ignored (the index keeps at most 32). */
const MAX_NAME_TOKENS = 32;
/** Vocabulary tokens one query may reach. */
const MAX_ROWS = 8192;
/** Vocabulary tokens one query token may reach. */
const MAX_NB = 48;
/** Distinct query tokens whose neighbours are kept. */
const NB_CACHE = 200_000;
/** Names scored in full per query, best bound first. */
export const DEFAULT_CANDIDATES = 64;
/** A candidate must reach this share of the query's weight through shared tokens. */
const MIN_BOUND_SHARE = 0.3;
/** Pairs below this similarity are not a match (initials are 0.72, legal forms are handled apart). */
const MIN_PAIR_SIM = 0.7;
const INITIAL_SIM = 0.72;
const LEGAL_DIFFERS_SIM = 0.5;
/** Unmatched listed tokens cost this share of their weight. */
const UNMATCHED_LIST_COST = 0.5;
const JOINED_MIN = 0.93;

/** Effects of secondary evidence on the score. */
export const EVIDENCE = {
  typeAgrees: 0.02,
  typeConflicts: -0.2,
  dobExact: 0.06,
  dobYear: 0.03,
  dobConflicts: -0.15,
  countryAgrees: 0.03,
  countryConflicts: -0.05,
  weakAliasFactor: 0.92,
} as const;

interface QueryState {
  n: NormalisedName;
  count: number;
  weight: Float32Array;
  concat: string;
  nonLegal: number;
  type?: EntityType;
}

/**
 * A screener over one index, with scratch buffers reused across queries (not
 * safe to share between concurrent callers; each worker makes its own).
 */
export class Screener {
  private readonly acc: Float32Array;
  private readonly accStamp: Uint32Array;
  private touched: Uint32Array;
  private readonly tokStamp: Uint32Array;
  private readonly tokRow: Uint32Array;
  private readonly simRows = new Float32Array(MAX_ROWS * MAX_QUERY_TOKENS);
  private readonly S = new Float32Array(MAX_QUERY_TOKENS * MAX_NAME_TOKENS);
  private readonly usedQ = new Uint8Array(MAX_QUERY_TOKENS);
  private readonly usedC = new Uint8Array(MAX_NAME_TOKENS);
  private readonly pairQ = new Int8Array(MAX_NAME_TOKENS);
  private readonly nb = new NeighbourBuffer(MAX_QUERY_TOKENS * MAX_NB);
  private readonly nbCount = new Int32Array(MAX_QUERY_TOKENS);
  private readonly nbCache = new Map<string, { tok: Int32Array; sim: Float32Array }>();
  private readonly qWeight = new Float32Array(MAX_QUERY_TOKENS);
  private readonly picked: Uint32Array;
  /** Best name score per entity for the current query (stamped, so nothing is cleared between queries). */
  private readonly entBest: Float32Array;
  private readonly entName: Int32Array;
  private readonly entStamp: Uint32Array;
  private readonly entTouched: Int32Array;
  private stamp = 0;
  private rows = 0;
  private joined = false;

  constructor(
    readonly index: ScreeningIndex,
    private readonly candidates = DEFAULT_CANDIDATES,
  ) {
    const N = index.nameCount;
    this.acc = new Float32Array(N);
    this.accStamp = new Uint32Array(N);
    this.touched = new Uint32Array(1024);
    this.picked = new Uint32Array(candidates);
    const E = index.entityCount;
    this.entBest = new Float32Array(E);
    this.entName = new Int32Array(E);
    this.entStamp = new Uint32Array(E);
    this.entTouched = new Int32Array(candidates);
    this.tokStamp = new Uint32Array(index.vocabularySize);
    this.tokRow = new Uint32Array(index.vocabularySize);
  }

  /** Screen one party: matches at or above the threshold, best first, each explained. */
  screen(party: Party, opts: ScreenOptions = {}): Match[] {
    const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
    const limit = opts.limit ?? 20;
    const q = this.prepare(party);
    if (!q) return [];
    const cands = this.candidateNames(q);
    // Best name per entity.
    const d = this.index.d;
    let touched = 0;
    for (let k = 0; k < cands.length; k++) {
      const name = cands[k]!;
      let s = this.scoreName(q, name);
      if ((d.nameFlags[name]! & 7) === NAME_WEAK) s *= EVIDENCE.weakAliasFactor;
      const e = d.nameEntity[name]!;
      if (this.entStamp[e] !== this.stamp) {
        this.entStamp[e] = this.stamp;
        this.entBest[e] = s;
        this.entName[e] = name;
        this.entTouched[touched++] = e;
      } else if (s > this.entBest[e]!) {
        this.entBest[e] = s;
        this.entName[e] = name;
      }
    }
    let dob: string[] | undefined;
    let country: string | undefined;
    let countryDone = false;
    const out: Array<{ e: number; name: number; score: number; evidence: Evidence[]; nameScore: number }> = [];
    for (let k = 0; k < touched; k++) {
      const e = this.entTouched[k]!;
      const nameScore = this.entBest[e]!;
      // Secondary evidence can raise a score by at most ~0.11: skip names that cannot reach the threshold.
      if (nameScore + 0.12 < threshold) continue;
      dob ??= party.dob ? parseDates(party.dob) : [];
      if (!countryDone) {
        country = countryCode(party.country);
        countryDone = true;
      }
      const facts = this.index.entity(e);
      const evidence = secondaryEvidence(q.type, dob, country, facts);
      let score = nameScore;
      for (const ev of evidence) score += ev.effect;
      score = Math.max(0, Math.min(1, score));
      if (score >= threshold) out.push({ e, name: this.entName[e]!, score, evidence, nameScore });
    }
    out.sort((a, b) => b.score - a.score || a.e - b.e);
    // The same entity loaded from two versions or two files of one list is one match.
    const seen = new Set<string>();
    const matches: Match[] = [];
    for (const r of out) {
      if (matches.length >= limit) break;
      const key = `${d.lists[d.entityList[r.e]!]}\u0000${d.entityId[r.e]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      matches.push(this.explain(q, r.e, r.name, r.score, r.nameScore, r.evidence));
    }
    return matches;
  }

  private prepare(party: Party): QueryState | undefined {
    const person = party.type === 'person';
    const n = normaliseName(party.name ?? '', { person });
    const count = Math.min(MAX_QUERY_TOKENS, n.tokens.length);
    if (count === 0) return undefined;
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.tokStamp.fill(0);
      this.accStamp.fill(0);
      this.entStamp.fill(0);
      this.stamp = 1;
    }
    this.rows = 0;
    const d = this.index.d;
    const weight = this.qWeight;
    let hasLegal = false;
    for (let i = 0; i < count; i++) {
      const kind = n.kinds[i]!;
      if (kind === TokenKind.Legal) hasLegal = true;
      const base = i * MAX_NB;
      const found = this.neighboursOf(n.folded[i]!, kind, n.abjad[i]!, base, i + 1 < count && n.kinds[i + 1] !== TokenKind.Legal ? n.folded[i + 1] : undefined);
      this.nbCount[i] = found;
      let rar = 1;
      let bestSim = 0;
      for (let k = base; k < base + found; k++) {
        const token = this.nb.tok[k]!;
        const sim = this.nb.sim[k]!;
        const row = this.rowOf(token);
        if (row < 0) break;
        const at = row * MAX_QUERY_TOKENS + i;
        if (this.simRows[at]! < sim) this.simRows[at] = sim;
        if (sim > bestSim) {
          bestSim = sim;
          rar = d.weight[token]! / KIND_WEIGHT[d.vocabKind[token] as TokenKind];
        }
      }
      weight[i] = KIND_WEIGHT[kind] * rar;
    }
    let concat = '';
    let nonLegal = 0;
    for (let i = 0; i < count; i++) {
      if (n.kinds[i] === TokenKind.Legal) continue;
      concat += n.folded[i]!;
      nonLegal++;
    }
    const type: EntityType | undefined = party.type === 'person' || party.type === 'organisation' || party.type === 'vessel' || party.type === 'aircraft' ? party.type : hasLegal ? 'organisation' : undefined;
    const q: QueryState = { n, count, weight, concat, nonLegal };
    if (type) q.type = type;
    return q;
  }

  /**
   * A query token's neighbours, from a cache: customer names repeat their words
   * (first names above all), and the look-up costs more than the rest of a query.
   */
  private neighboursOf(folded: string, kind: TokenKind, abjad: boolean, base: number, next: string | undefined): number {
    const key = (abjad ? '\u0001' : '\u0000') + String.fromCharCode(48 + kind) + folded;
    let hit = this.nbCache.get(key);
    if (!hit) {
      const found = this.index.neighbours(folded, kind, abjad, this.nb, base, MAX_NB);
      hit = { tok: this.nb.tok.slice(base, base + found), sim: this.nb.sim.slice(base, base + found) };
      if (this.nbCache.size >= NB_CACHE) this.nbCache.clear();
      this.nbCache.set(key, hit);
    }
    let n = hit.tok.length;
    this.nb.tok.set(hit.tok, base);
    this.nb.sim.set(hit.sim, base);
    if (next !== undefined && n < MAX_NB && kind !== TokenKind.Legal) {
      // The joined form with the next word ("good" + "will" → "goodwill") depends on the pair: not cached.
      const v = this.index.d.vocab.get(folded + next);
      if (v !== undefined && !hit.tok.includes(v)) {
        this.nb.tok[base + n] = v;
        this.nb.sim[base + n] = JOINED_SIM;
        n++;
      }
    }
    return n;
  }

  private rowOf(token: number): number {
    if (this.tokStamp[token] === this.stamp) return this.tokRow[token]!;
    if (this.rows >= MAX_ROWS) return -1;
    const row = this.rows++;
    this.tokStamp[token] = this.stamp;
    this.tokRow[token] = row;
    this.simRows.fill(0, row * MAX_QUERY_TOKENS, (row + 1) * MAX_QUERY_TOKENS);
    return row;
  }

  /** Names reachable from the query's distinctive tokens, best accumulated bound first. */
  private candidateNames(q: QueryState): Uint32Array {
    const d = this.index.d;
    const { n, count, weight } = q;
    // Names, numbers and initials-free tokens generate candidates; particles, business words and
    // legal forms do only when the query has nothing else.
    let distinctive = false;
    for (let i = 0; i < count; i++) if (n.kinds[i] === TokenKind.Name || n.kinds[i] === TokenKind.Number) distinctive = true;
    let nTouched = 0;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const kind = n.kinds[i]!;
      if (kind === TokenKind.Initial) continue;
      if (distinctive && kind !== TokenKind.Name && kind !== TokenKind.Number) continue;
      total += weight[i]!;
      const base = i * MAX_NB;
      for (let nb = base; nb < base + this.nbCount[i]!; nb++) {
        const token = this.nb.tok[nb]!;
        const c = this.nb.sim[nb]! * weight[i]!;
        const end = d.postOff[token + 1]!;
        for (let p = d.postOff[token]!; p < end; p++) {
          const name = d.post[p]!;
          if (this.accStamp[name] !== this.stamp) {
            this.accStamp[name] = this.stamp;
            this.acc[name] = c;
            if (nTouched === this.touched.length) {
              const t = new Uint32Array(this.touched.length * 2);
              t.set(this.touched);
              this.touched = t;
            }
            this.touched[nTouched++] = name;
          } else this.acc[name]! += c;
        }
      }
    }
    const min = MIN_BOUND_SHARE * total;
    let kept = 0;
    for (let k = 0; k < nTouched; k++) {
      const name = this.touched[k]!;
      if (this.acc[name]! >= min) this.touched[kept++] = name;
    }
    if (kept <= this.candidates) return this.touched.subarray(0, kept);
    const values = new Float32Array(kept);
    for (let k = 0; k < kept; k++) values[k] = this.acc[this.touched[k]!]!;
    values.sort();
    const cut = values[kept - this.candidates]!;
    // Names above the cut first, then ties at the cut while room is left (many names share one common token).
    const out = this.picked;
    let m = 0;
    for (let k = 0; k < kept; k++) {
      const name = this.touched[k]!;
      if (this.acc[name]! > cut) out[m++] = name;
    }
    for (let k = 0; k < kept && m < this.candidates; k++) {
      const name = this.touched[k]!;
      if (this.acc[name] === cut) out[m++] = name;
    }
    return out.subarray(0, m);
  }

  /** Align the query with one listed name and return the name score (pairs left in pairQ/usedC). */
  private scoreName(q: QueryState, name: number): number {
    const d = this.index.d;
    const off = d.nameOff[name]!;
    const m = Math.min(MAX_NAME_TOKENS, d.nameOff[name + 1]! - off);
    const { n, count, weight } = q;
    const S = this.S;
    for (let j = 0; j < m; j++) {
      const v = d.tok[off + j]!;
      const row = this.tokStamp[v] === this.stamp ? this.tokRow[v]! : -1;
      const vk = d.vocabKind[v]!;
      for (let i = 0; i < count; i++) {
        let s = row >= 0 ? this.simRows[row * MAX_QUERY_TOKENS + i]! : 0;
        if (s === 0) {
          const qk = n.kinds[i]!;
          if (qk === TokenKind.Legal && vk === TokenKind.Legal) s = LEGAL_DIFFERS_SIM;
          else if (qk === TokenKind.Initial && vk !== TokenKind.Legal && d.vocabStr[v]!.charCodeAt(0) === n.folded[i]!.charCodeAt(0)) s = INITIAL_SIM;
          else if (vk === TokenKind.Initial && qk !== TokenKind.Legal && n.folded[i]!.charCodeAt(0) === d.vocabStr[v]!.charCodeAt(0)) s = INITIAL_SIM;
          else if ((qk === TokenKind.Name || qk === TokenKind.Particle) && (vk === TokenKind.Name || vk === TokenKind.Particle)) {
            // Typos beyond the one-edit neighbourhood (two substitutions, "Merkur" / "Merkel").
            // Slips beyond one edit ("Merkur" / "Merkel"); the first letter is rarely the one mistyped,
            // and one-edit slips there were already found through the typo neighbourhood.
            const qf = n.folded[i]!;
            const lf = d.vocabStr[v]!;
            if (qf.charCodeAt(0) === lf.charCodeAt(0) && Math.abs(qf.length - lf.length) <= 2) s = typoSimilarity(qf, lf);
            // Folding can hide a slip ("acwhan" / "achwan"): compare the plain spellings too.
            if (s === 0) {
              const qr = n.tokens[i]!;
              const lr = d.vocabRaw[v]!;
              if (qr.charCodeAt(0) === lr.charCodeAt(0) && Math.abs(qr.length - lr.length) <= 2) s = typoSimilarity(qr, lr);
            }
          }
        }
        S[i * MAX_NAME_TOKENS + j] = s;
      }
    }
    this.usedQ.fill(0, 0, count);
    this.usedC.fill(0, 0, m);
    this.pairQ.fill(-1, 0, m);
    let num = 0;
    for (;;) {
      let bi = -1;
      let bj = -1;
      let bs = 0;
      for (let i = 0; i < count; i++) {
        if (this.usedQ[i]) continue;
        for (let j = 0; j < m; j++) {
          if (this.usedC[j]) continue;
          const s = S[i * MAX_NAME_TOKENS + j]!;
          if (s > bs) {
            bs = s;
            bi = i;
            bj = j;
          }
        }
      }
      if (bi < 0) break;
      const legalPair = n.kinds[bi] === TokenKind.Legal;
      if (bs < MIN_PAIR_SIM && !legalPair) break;
      this.usedQ[bi] = 1;
      this.usedC[bj] = 1;
      this.pairQ[bj] = bi;
      num += bs * (weight[bi]! + d.weight[d.tok[off + bj]!]!);
    }
    let den = 0;
    // A name word on each side left without a counterpart is a substitution (Putin / Petrov), not an
    // omission: then the listed side's unmatched words cost in full.
    let queryNameLeft = false;
    for (let i = 0; i < count; i++) {
      den += weight[i]!;
      if (!this.usedQ[i] && (n.kinds[i] === TokenKind.Name || n.kinds[i] === TokenKind.Number)) queryNameLeft = true;
    }
    let listNameLeft = false;
    for (let j = 0; j < m; j++) {
      const k = d.vocabKind[d.tok[off + j]!];
      if (!this.usedC[j] && (k === TokenKind.Name || k === TokenKind.Number)) listNameLeft = true;
    }
    const listCost = queryNameLeft && listNameLeft ? 1 : UNMATCHED_LIST_COST;
    let listNonLegal = 0;
    for (let j = 0; j < m; j++) {
      const v = d.tok[off + j]!;
      den += this.usedC[j] ? d.weight[v]! : listCost * d.weight[v]!;
      if (d.vocabKind[v] !== TokenKind.Legal) listNonLegal++;
    }
    let score = den > 0 ? num / den : 0;
    this.joined = false;
    if (score < 0.92 && q.nonLegal > 0 && listNonLegal !== q.nonLegal) {
      let concat = '';
      for (let j = 0; j < m; j++) {
        const v = d.tok[off + j]!;
        if (d.vocabKind[v] !== TokenKind.Legal) concat += d.vocabStr[v]!;
      }
      const jw = jaroWinkler(q.concat, concat);
      if (jw >= JOINED_MIN && jw * 0.97 > score) {
        score = jw * 0.97;
        this.joined = true;
      }
    }
    return score;
  }

  private explain(q: QueryState, e: number, name: number, score: number, nameScore: number, evidence: Evidence[]): Match {
    const d = this.index.d;
    const facts = this.index.entity(e);
    this.scoreName(q, name);
    const text = d.nameText[name]!;
    const listed = normaliseName(text, { person: facts.type === 'person' });
    const off = d.nameOff[name]!;
    const m = Math.min(MAX_NAME_TOKENS, d.nameOff[name + 1]! - off);
    const tokens: TokenMatch[] = [];
    const unmatchedList: string[] = [];
    for (let j = 0; j < m; j++) {
      const i = this.pairQ[j]!;
      const lt = listed.tokens[j] ?? d.vocabStr[d.tok[off + j]!]!;
      if (i < 0) {
        unmatchedList.push(lt);
        continue;
      }
      const sim = this.S[i * MAX_NAME_TOKENS + j]!;
      const how = howMatched(q.n, i, listed, j, sim);
      const t: TokenMatch = { query: q.n.tokens[i]!, list: lt, similarity: round(sim), how };
      if (how === 'typo') t.edits = damerauLevenshtein(t.query, lt);
      tokens.push(t);
    }
    const unmatchedQuery = q.n.tokens.slice(0, q.count).filter((_, i) => !this.usedQ[i]);
    const ev = [...evidence];
    if (this.joined) ev.unshift({ kind: 'joined_tokens', effect: 0, detail: 'the names split words differently; compared as one string' });
    const flags = d.nameFlags[name]! & 7;
    if (flags === NAME_WEAK) ev.unshift({ kind: 'alias_quality', effect: round(nameScore * EVIDENCE.weakAliasFactor - nameScore), detail: 'matched a weak (low-quality) alias' });
    const explanation: Explanation = {
      name_kind: flags === NAME_PRIMARY ? 'primary' : flags === NAME_WEAK ? 'weak alias' : flags === NAME_ORIGINAL ? 'original script' : flags === NAME_PREVIOUS ? 'previous name' : 'alias',
      query_normalised: q.n.tokens.join(' '),
      list_normalised: listed.tokens.join(' '),
      name_score: round(flags === NAME_WEAK ? nameScore / EVIDENCE.weakAliasFactor : nameScore),
      tokens,
      unmatched_query: unmatchedQuery,
      unmatched_list: unmatchedList,
      evidence: ev,
    };
    return { entity_id: facts.entity_id, list: facts.list, matched_name: text, score: round(score), explanation };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function howMatched(q: NormalisedName, i: number, l: NormalisedName, j: number, sim: number): TokenMatch['how'] {
  const qt = q.tokens[i]!;
  const lt = l.tokens[j] ?? '';
  if (q.kinds[i] === TokenKind.Legal) return qt === lt ? 'legal form' : 'legal form differs';
  if (qt === lt) return 'exact';
  if (q.folded[i] === l.folded[j]) return 'romanisation';
  if (qt.length === 1 || lt.length === 1) return 'initial';
  if (sim === SKELETON_SIM) return 'vowels';
  return 'typo';
}

/** Type, date of birth and country as evidence for or against the match. */
export function secondaryEvidence(qType: EntityType | undefined, dob: string[], country: string | undefined, e: EntityFacts): Evidence[] {
  const out: Evidence[] = [];
  if (qType && e.type !== 'unknown') {
    const qPerson = qType === 'person';
    const ePerson = e.type === 'person';
    if (qType === e.type) out.push({ kind: 'type', effect: EVIDENCE.typeAgrees, detail: `both are ${e.type}s` });
    else if (qPerson !== ePerson) out.push({ kind: 'type', effect: EVIDENCE.typeConflicts, detail: `query is ${article(qType)}, listed entity is ${article(e.type)}` });
    else out.push({ kind: 'type', effect: EVIDENCE.typeConflicts / 2, detail: `query is ${article(qType)}, listed entity is ${article(e.type)}` });
  }
  if (dob.length > 0 && e.dates_of_birth.length > 0) {
    const exact = dob.some((a) => a.length === 10 && e.dates_of_birth.includes(a));
    const qYears = new Set(dob.map((x) => Number(x.slice(0, 4))));
    const eYears = e.dates_of_birth.map((x) => Number(x.slice(0, 4)));
    const sameYear = eYears.some((y) => qYears.has(y));
    const near = eYears.some((y) => qYears.has(y - 1) || qYears.has(y + 1));
    if (exact) out.push({ kind: 'date_of_birth', effect: EVIDENCE.dobExact, detail: `date of birth ${dob.find((a) => e.dates_of_birth.includes(a))} matches` });
    else if (sameYear) out.push({ kind: 'date_of_birth', effect: EVIDENCE.dobYear, detail: `year of birth matches (${e.dates_of_birth.join(', ')})` });
    else if (!near) out.push({ kind: 'date_of_birth', effect: EVIDENCE.dobConflicts, detail: `listed date(s) of birth ${e.dates_of_birth.join(', ')} differ from ${dob.join(', ')}` });
  }
  if (country && e.countries.length > 0) {
    if (e.countries.includes(country)) out.push({ kind: 'country', effect: EVIDENCE.countryAgrees, detail: `${country} is among the listed countries` });
    else out.push({ kind: 'country', effect: EVIDENCE.countryConflicts, detail: `${country} is not among the listed countries (${e.countries.join(', ')})` });
  }
  return out;
}

function article(t: string): string {
  return (/^[aeiou]/.test(t) ? 'an ' : 'a ') + t;
}
