/**
 * The seams to classification and screening. Licensing needs to classify the
 * items of an application and to screen its parties, and to know which rule
 * sets and which list version are in force (so the checklist can say "item
 * classified under an outdated rule set", "party not screened since the last
 * list version"). It asks through two small interfaces, so each side can be
 * replaced without touching the other:
 *
 * - `ItemClassifier`: by default the shipped rule sets of src/classification
 *   (`classify`, `assessDestination`), the same engine `fabgate classify` uses.
 * - `PartyScreener`: screening lists are loaded by the screening domain; until
 *   a deployment registers a screener built on its list store, the default
 *   says honestly that no list is loaded (`unavailable`), which the checklist
 *   shows as a warning and the pre-checks turn into a blocking flag. Tests and
 *   tools build one from real list files with `indexPartyScreener`.
 */
import { assessDestination } from '../classification/destination.js';
import { classify } from '../classification/evaluate.js';
import { parseItem } from '../classification/item.js';
import { defaultEngine } from '../classification/rules/index.js';
import type { Engine } from '../classification/evaluate.js';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { ScreeningIndex } from '../screening/match/index.js';
import { Screener } from '../screening/match/screen.js';
import { FabgateError, isFabgateError } from '../shared/errors.js';
import type { ItemClassificationSummary, PartyScreening, RuleSetStamp } from './model.js';

/** The licence requirement for one destination under each regime, as the classifier sees it. */
export interface DestinationFinding {
  country: string;
  regimes: Array<{ regime: string; status: string; reasons: string[] }>;
}

/**
 * What a seam call may use: the transaction of the licensing change it is part
 * of, so a classifier or screener backed by the database (uploaded rule-set
 * versions, activated list versions) reads the same snapshot.
 */
export interface SeamContext {
  db: Kysely<Tables>;
}

export interface ItemClassifier {
  /** The rule sets in force now. */
  ruleSets(ctx?: SeamContext): RuleSetStamp[] | Promise<RuleSetStamp[]>;
  /** Validate an item specification; throws the classifier's FabgateError (e.g. CLASSIFICATION_ITEM_INVALID) when it is not one. */
  parse(spec: unknown): { kind: string; name: string | undefined };
  /** Classify a stored specification. A specification that no longer validates gives status `invalid`, not a throw. */
  classify(spec: unknown, now: Date, ctx?: SeamContext): Promise<ItemClassificationSummary>;
  /** The licence requirement per regime for a destination, when the classifier can tell. */
  destination?(spec: unknown, country: string, ctx?: SeamContext): Promise<DestinationFinding | null>;
}

export interface ScreeningSubject {
  id: string;
  name: string;
  country?: string;
  type?: 'person' | 'organisation';
  dob?: string;
}

export interface PartyScreener {
  /** The list version screening runs against now; null when no list is loaded. */
  listVersion(ctx?: SeamContext): Promise<string | null>;
  /** Screen parties; one result per subject id. */
  screen(subjects: ScreeningSubject[], now: Date, ctx?: SeamContext): Promise<Map<string, PartyScreening>>;
}

/* ------------------------------------------------------------- classifier */

/** The classifier over a compiled classification engine (the shipped rule sets by default). */
export function engineClassifier(engine: Engine = defaultEngine()): Omit<ItemClassifier, 'ruleSets'> & { ruleSets(): RuleSetStamp[] } {
  const stamps = engine.ruleSets.map(({ ruleSet, sha256 }) => ({ id: ruleSet.id, regime: ruleSet.regime, version: ruleSet.version, sha256 }));
  return {
    ruleSets: () => stamps,
    parse(spec) {
      const item = parseItem(spec);
      return { kind: item.kind, name: item.name };
    },
    async classify(spec, now) {
      let item;
      try {
        item = parseItem(spec);
      } catch (e) {
        if (!isFabgateError(e)) throw e;
        return { status: 'invalid', controlled_by: [], needs_information: [], needs_review: [], rule_sets: stamps, classified_at: now.toISOString(), error: { code: e.code, message: e.message } };
      }
      const c = classify(engine, item);
      const status = c.controlled_by.length ? 'controlled' : c.needs_review.length ? 'needs_review' : c.needs_information.length ? 'needs_information' : 'not_controlled';
      return {
        status,
        controlled_by: c.controlled_by,
        needs_information: c.needs_information,
        needs_review: c.needs_review,
        rule_sets: c.rule_sets.map((r) => ({ id: r.id, regime: r.regime, version: r.version, sha256: r.sha256 })),
        classified_at: now.toISOString(),
      };
    },
    async destination(spec, country) {
      let item;
      try {
        item = parseItem(spec);
      } catch {
        return null;
      }
      const a = assessDestination(classify(engine, item), country, engine);
      return { country: a.destination.code, regimes: a.regimes.map((r) => ({ regime: r.regime, status: r.status, reasons: r.reasons })) };
    },
  };
}

/* ------------------------------------------------------------- screener */

/** A screener for deployments without loaded lists: every party is `unavailable`, never silently `clear`. */
export const unavailableScreener: PartyScreener = {
  listVersion: async () => null,
  async screen(subjects, now) {
    return new Map(subjects.map((s) => [s.id, { status: 'unavailable', list_version: null, screened_at: now.toISOString(), matches: [], reason: 'no screening list is loaded' } satisfies PartyScreening]));
  },
};

export interface IndexScreenerOptions {
  /** A match at or above this score is `strong_match` (default 0.95); below it, any match is `potential_match`. */
  strongMatchScore?: number;
  /** Passed to the matcher (default: the screening domain's threshold). */
  threshold?: number;
}

/**
 * A screener over a screening index built from list files (src/screening),
 * identified by `listVersion` (e.g. the content hashes of the loaded lists).
 */
export function indexPartyScreener(index: ScreeningIndex, listVersion: string, opts: IndexScreenerOptions = {}): PartyScreener {
  const screener = new Screener(index);
  const strong = opts.strongMatchScore ?? 0.95;
  return {
    listVersion: async () => listVersion,
    async screen(subjects, now) {
      const out = new Map<string, PartyScreening>();
      for (const s of subjects) {
        const matches = screener.screen(
          { id: s.id, name: s.name, ...(s.country ? { country: s.country } : {}), ...(s.type ? { type: s.type } : {}), ...(s.dob ? { dob: s.dob } : {}) },
          { limit: 5, ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}) },
        );
        const top = matches[0]?.score ?? 0;
        out.set(s.id, {
          status: matches.length === 0 ? 'clear' : top >= strong ? 'strong_match' : 'potential_match',
          list_version: listVersion,
          screened_at: now.toISOString(),
          matches: matches.map((m) => ({ list: m.list, entity_id: m.entity_id, matched_name: m.matched_name, score: Math.round(m.score * 1000) / 1000 })),
        });
      }
      return out;
    },
  };
}

/* ------------------------------------------------------------- registry */

export interface LicensingSeams {
  classifier: ItemClassifier;
  screener: PartyScreener;
}

let seams: LicensingSeams | undefined;

/** The classifier and screener licensing uses (the shipped rule sets and, until one is registered, no screening lists). */
export function licensingSeams(): LicensingSeams {
  seams ??= { classifier: engineClassifier(), screener: unavailableScreener };
  return seams;
}

/**
 * Plug in another classifier or screener (the composition root, when the
 * screening store has lists; tests). Returns the previous seams so a caller
 * can restore them.
 */
export function configureLicensing(next: Partial<LicensingSeams>): LicensingSeams {
  const previous = licensingSeams();
  if (next.classifier && typeof next.classifier.classify !== 'function') throw new FabgateError('LICENSING_SEAM_INVALID', 'not an ItemClassifier', 'internal');
  if (next.screener && typeof next.screener.screen !== 'function') throw new FabgateError('LICENSING_SEAM_INVALID', 'not a PartyScreener', 'internal');
  seams = { ...previous, ...next };
  return previous;
}
