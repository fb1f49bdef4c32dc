/**
 * The screening domain's implementation of licensing's `PartyScreener` seam
 * (src/licensing/seams.ts), so an application's parties are screened against
 * the list versions active in the database — the same index the screening API
 * uses, rebuilt when a version is activated anywhere:
 *
 * - `listVersion()` names the active set (`lists-…`, a digest of each active
 *   version's list and content hash): the checklist's "screened against an
 *   older list version" compares it, and it changes exactly when the lists do;
 * - no active list gives `unavailable` (never a silent `clear`);
 * - a match at or above `strongMatchScore` (default 0.95) is `strong_match`,
 *   any other match at the threshold `potential_match`.
 *
 * Remembered review decisions are not applied here: they belong to the
 * organisation that made them, and the authority's pre-checks must see the
 * match whatever the exporter decided; the exporter's officer reviews the same
 * parties in the alert queue (they are re-screened with every activation).
 *
 * Plug it in at the composition root, once the services are open:
 * `configureLicensing({ screener: licensingPartyScreener(services) })`.
 */
import type { Services } from '../app/services.js';
import type { PartyScreening } from '../licensing/model.js';
import { unavailableScreener, type PartyScreener } from '../licensing/seams.js';
import { DEFAULT_THRESHOLD } from './match/types.js';
import { screeningRuntime } from './runtime.js';

export interface LicensingScreenerOptions {
  /** A match at or above this score is a strong match (default 0.95). */
  strongMatchScore?: number;
  /** Lowest score reported (default the screening domain's threshold). */
  threshold?: number;
  /** Matches kept per party (default 5). */
  limit?: number;
}

export function licensingPartyScreener(services: Services, opts: LicensingScreenerOptions = {}): PartyScreener {
  const runtime = screeningRuntime(services);
  const strong = opts.strongMatchScore ?? 0.95;
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const limit = opts.limit ?? 5;
  return {
    async listVersion() {
      const snap = await runtime.snapshot();
      return snap.screener ? snap.listSet : null;
    },
    async screen(subjects, now) {
      const snap = await runtime.snapshot();
      if (!snap.screener) return unavailableScreener.screen(subjects, now);
      const out = new Map<string, PartyScreening>();
      for (const s of subjects) {
        const matches = snap.screener.screen(
          { id: s.id, name: s.name, ...(s.country ? { country: s.country } : {}), ...(s.type ? { type: s.type } : {}), ...(s.dob ? { dob: s.dob } : {}) },
          { threshold, limit },
        );
        const top = matches[0]?.score ?? 0;
        out.set(s.id, {
          status: matches.length === 0 ? 'clear' : top >= strong ? 'strong_match' : 'potential_match',
          list_version: snap.listSet,
          screened_at: now.toISOString(),
          matches: matches.map((m) => ({ list: m.list, entity_id: m.entity_id, matched_name: m.matched_name, score: m.score })),
        });
      }
      return out;
    },
  };
}
