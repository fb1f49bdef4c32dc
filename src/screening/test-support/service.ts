/**
 * Test helpers for the screening service: load real list files into a test
 * database, as the command line would.
 */
import type { Services } from '../../app/services.js';
import type { Actor } from '../../audit/trail.js';
import { fileInput } from '../lists/source.js';
import { loadListFiles, type LoadResult } from '../service.js';

export const TEST_ACTOR: Actor = { type: 'system', id: 'test', organisationId: null };

/** Load files (one list, or OFAC CSV parts together) and return the result of each list. */
export async function loadFiles(services: Services, ...paths: string[]): Promise<LoadResult[]> {
  return loadListFiles(services, paths.map(fileInput), { actor: TEST_ACTOR });
}

/** Load files that form one list and return its result. */
export async function loadOne(services: Services, ...paths: string[]): Promise<LoadResult> {
  const r = await loadFiles(services, ...paths);
  if (r.length !== 1) throw new Error(`expected one list from ${paths.join(', ')}, got ${r.length}`);
  return r[0]!;
}
