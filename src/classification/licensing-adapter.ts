/**
 * The classification domain's implementation of licensing's `ItemClassifier`
 * seam (src/licensing/seams.ts), so an application's items are classified
 * exactly as the item register records them:
 *
 * - the item's status is `overallStatus` of summary.ts, the one the register
 *   and recorded classifications use (missing information ranks above an
 *   officer's review, as in the evaluation itself);
 * - the destination finding carries, besides the reasons, what the rule data
 *   cannot tell for that destination (prefixed "Not in the rule data:"), so a
 *   licensing officer never reads an unknown as a "no";
 * - classifications are memoised by the SHA-256 of the specification's
 *   canonical JSON: pre-checks, checklists and destination findings classify
 *   the same items again and again, and evaluation is deterministic for one
 *   engine.
 *
 * Plug it in at the composition root: `configureLicensing({ classifier: licensingItemClassifier() })`.
 */
import type { DestinationFinding, ItemClassifier } from '../licensing/seams.js';
import type { ItemClassificationSummary, RuleSetStamp } from '../licensing/model.js';
import { canonicalJson } from '../ledger/core/canonical-json.js';
import { isFabgateError } from '../shared/errors.js';
import { sha256Hex } from '../shared/ids.js';
import { assessDestination } from './destination.js';
import { classify, type Engine } from './evaluate.js';
import { parseItem } from './item.js';
import { defaultEngine } from './rules/index.js';
import { overallStatus } from './summary.js';
import type { Classification } from './types.js';

export interface LicensingClassifierOptions {
  /** The compiled rule sets (default: the shipped ones, as the classification API uses). */
  engine?: Engine;
  /** How many classifications to keep (default 256; a full classification with traces is about 40 kB). */
  cacheSize?: number;
}

/** An `ItemClassifier` for the licensing domain over the classification engine. */
export function licensingItemClassifier(options: LicensingClassifierOptions = {}): ItemClassifier {
  const engine = options.engine ?? defaultEngine();
  const cacheSize = options.cacheSize ?? 256;
  const stamps: RuleSetStamp[] = engine.refs.map((r) => ({ id: r.id, regime: r.regime, version: r.version, sha256: r.sha256 }));
  const cache = new Map<string, Classification>();

  /** Classify a specification (throws the core's FabgateError when it is not one). */
  function classified(spec: unknown): Classification {
    let key: string | undefined;
    try {
      key = sha256Hex(canonicalJson(spec));
    } catch {
      key = undefined; // no JSON form (a value the API could not have stored): classify without memo
    }
    const hit = key === undefined ? undefined : cache.get(key);
    if (hit) {
      cache.delete(key!);
      cache.set(key!, hit); // most recently used last
      return hit;
    }
    const c = classify(engine, parseItem(spec));
    if (key !== undefined && cacheSize > 0) {
      cache.set(key, c);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    }
    return c;
  }

  return {
    ruleSets: () => stamps.map((s) => ({ ...s })),

    parse(spec) {
      const item = parseItem(spec);
      return { kind: item.kind, name: item.name };
    },

    async classify(spec, now): Promise<ItemClassificationSummary> {
      let c: Classification;
      try {
        c = classified(spec);
      } catch (e) {
        if (!isFabgateError(e)) throw e;
        return {
          status: 'invalid',
          controlled_by: [],
          needs_information: [],
          needs_review: [],
          rule_sets: stamps.map((s) => ({ ...s })),
          classified_at: now.toISOString(),
          error: { code: e.code, message: e.message },
        };
      }
      return {
        status: overallStatus(c),
        controlled_by: [...c.controlled_by],
        needs_information: [...c.needs_information],
        needs_review: [...c.needs_review],
        rule_sets: c.rule_sets.map((r) => ({ id: r.id, regime: r.regime, version: r.version, sha256: r.sha256 })),
        classified_at: now.toISOString(),
      };
    },

    /** null when the specification is not valid (its classification already says so); a bad country code throws CLASSIFICATION_COUNTRY_UNKNOWN. */
    async destination(spec, country): Promise<DestinationFinding | null> {
      let c: Classification;
      try {
        c = classified(spec);
      } catch (e) {
        if (isFabgateError(e)) return null;
        throw e;
      }
      const a = assessDestination(c, country, engine);
      return {
        country: a.destination.code,
        regimes: a.regimes.map((r) => ({ regime: r.regime, status: r.status, reasons: [...r.reasons, ...r.unknowns.map((u) => `Not in the rule data: ${u}`)] })),
      };
    },
  };
}
