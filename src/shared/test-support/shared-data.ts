import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in src/shared/test-support/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Path into the reference data that sits beside the checkout (`../shared/data/`).
 * Tests and benchmarks may read it; the product never does at run time.
 */
export function sharedData(...segments: string[]): string {
  return join(repoRoot, '..', 'shared', 'data', ...segments);
}

export function hasSharedData(): boolean {
  return existsSync(sharedData());
}
