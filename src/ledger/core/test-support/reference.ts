/**
 * The recursive definition of RFC 9162 §2.1.1, written as plainly as the RFC
 * states it, for tests to compare the production code against.
 */
import { createHash } from 'node:crypto';

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** MTH(D[n]) over raw entries. */
export function referenceRoot(entries: readonly Uint8Array[]): Uint8Array {
  const n = entries.length;
  if (n === 0) return sha256();
  if (n === 1) return sha256(Uint8Array.of(0), entries[0]!);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return sha256(Uint8Array.of(1), referenceRoot(entries.slice(0, k)), referenceRoot(entries.slice(k)));
}

/** PATH(m, D[n]) over raw entries. */
export function referenceInclusionPath(m: number, entries: readonly Uint8Array[]): Uint8Array[] {
  const n = entries.length;
  if (n <= 1) return [];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m < k
    ? [...referenceInclusionPath(m, entries.slice(0, k)), referenceRoot(entries.slice(k))]
    : [...referenceInclusionPath(m - k, entries.slice(k)), referenceRoot(entries.slice(0, k))];
}

/** PROOF(m, D[n]) over raw entries. */
export function referenceConsistencyProof(m: number, entries: readonly Uint8Array[]): Uint8Array[] {
  const sub = (m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] => {
    const n = d.length;
    if (m === n) return b ? [] : [referenceRoot(d)];
    let k = 1;
    while (k * 2 < n) k *= 2;
    return m <= k
      ? [...sub(m, d.slice(0, k), b), referenceRoot(d.slice(k))]
      : [...sub(m - k, d.slice(k), false), referenceRoot(d.slice(0, k))];
  };
  return sub(m, entries, true);
}
