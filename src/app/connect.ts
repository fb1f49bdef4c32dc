/**
 * The composition root's wiring between domains that meet through seams:
 * licensing classifies an application's items with the classification engine
 * and screens its parties against this instance's active screening lists. The
 * seams are process-wide, so a process serves one set of services; `serve`
 * calls this once, before seeding and before the first request.
 */
import { licensingItemClassifier } from '../classification/licensing-adapter.js';
import { configureLicensing, type LicensingSeams } from '../licensing/seams.js';
import { licensingPartyScreener } from '../screening/licensing-adapter.js';
import type { Services } from './services.js';

/** Plug the domains of `services` into each other; returns the seams it replaced. */
export function connectDomains(services: Services): LicensingSeams {
  return configureLicensing({ classifier: licensingItemClassifier(), screener: licensingPartyScreener(services) });
}
