import { describe, expect, it } from 'vitest';
import { verifyConsistency, verifyInclusion } from './verify.js';
import { hashLeaf } from './hash.js';
import { isFabgateError } from '../../shared/errors.js';
import { b64, hex, jsonFilesUnder, parseWithBigFields, readTlogJson } from './test-support/vectors.js';

/** Run `fn`; return the thrown FabgateError's code, or 'ok'. Anything else fails the test. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isFabgateError(e)) return e.code;
    throw e;
  }
}

describe('RFC 9162 inclusion verification: transparency-dev/merkle probes', () => {
  const probes = jsonFilesUnder('transparency-dev-merkle', 'testdata', 'inclusion');
  it('finds the probes', () => expect(probes.length).toBeGreaterThanOrEqual(98));

  it.each(probes)('%s', (_name, text) => {
    const v = parseWithBigFields(text, ['leafIdx', 'treeSize']) as {
      leafIdx: string;
      treeSize: string;
      root: string;
      leafHash: string;
      proof: string[] | null;
      wantErr: boolean;
    };
    const result = outcome(() =>
      verifyInclusion(b64(v.leafHash), BigInt(v.leafIdx), BigInt(v.treeSize), (v.proof ?? []).map(b64), b64(v.root)),
    );
    if (v.wantErr) expect(result).not.toBe('ok');
    else expect(result).toBe('ok');
  });
});

describe('RFC 9162 consistency verification: transparency-dev/merkle probes', () => {
  const probes = jsonFilesUnder('transparency-dev-merkle', 'testdata', 'consistency');
  it('finds the probes', () => expect(probes.length).toBeGreaterThanOrEqual(98));

  it.each(probes)('%s', (_name, text) => {
    const v = parseWithBigFields(text, ['size1', 'size2']) as {
      size1: string;
      size2: string;
      root1: string;
      root2: string;
      proof: string[] | null;
      wantErr: boolean;
    };
    const result = outcome(() =>
      verifyConsistency(BigInt(v.size1), BigInt(v.size2), b64(v.root1), b64(v.root2), (v.proof ?? []).map(b64)),
    );
    if (v.wantErr) expect(result).not.toBe('ok');
    else expect(result).toBe('ok');
  });
});

describe('specific failure codes', () => {
  const happy = readTlogJson<{ root: string; leafHash: string; proof: string[] }>(
    'transparency-dev-merkle',
    'testdata',
    'inclusion',
    '1',
    'happy-path.json',
  );
  const leaf = b64(happy.leafHash);
  const root = b64(happy.root);
  const proof = happy.proof.map(b64);

  it('accepts the happy path', () => {
    expect(outcome(() => verifyInclusion(leaf, 0n, 8n, proof, root))).toBe('ok');
  });
  it('index beyond the tree', () => {
    expect(outcome(() => verifyInclusion(leaf, 8n, 8n, proof, root))).toBe('LEDGER_INDEX_OUT_OF_RANGE');
  });
  it('size above 2^64-1 or negative', () => {
    expect(outcome(() => verifyInclusion(leaf, 0n, 1n << 64n, proof, root))).toBe('LEDGER_SIZE_OVERFLOW');
    expect(outcome(() => verifyInclusion(leaf, -1n, 8n, proof, root))).toBe('LEDGER_SIZE_OVERFLOW');
  });
  it('short and long proofs', () => {
    expect(outcome(() => verifyInclusion(leaf, 0n, 8n, proof.slice(1), root))).toBe('LEDGER_PROOF_LENGTH');
    expect(outcome(() => verifyInclusion(leaf, 0n, 8n, [...proof, root], root))).toBe('LEDGER_PROOF_LENGTH');
  });
  it('a proof hash of the wrong size', () => {
    const bad = [proof[0]!.subarray(0, 31), ...proof.slice(1)];
    expect(outcome(() => verifyInclusion(leaf, 0n, 8n, bad, root))).toBe('LEDGER_HASH_SIZE');
  });
  it('a flipped bit', () => {
    const bad = proof.map((p) => p.slice());
    bad[2]![7]! ^= 0x10;
    expect(outcome(() => verifyInclusion(leaf, 0n, 8n, bad, root))).toBe('LEDGER_ROOT_MISMATCH');
  });
  it('consistency from the empty tree and backwards', () => {
    expect(outcome(() => verifyConsistency(0n, 8n, root, root, []))).toBe('LEDGER_PROOF_INVALID');
    expect(outcome(() => verifyConsistency(8n, 7n, root, root, []))).toBe('LEDGER_PROOF_INVALID');
  });
});

describe('real Rekor v1 inclusion proof (sigstore-js vectors)', () => {
  const data = readTlogJson<{
    inclusion: Array<{ desc: string; input: Record<string, unknown>; expected: { valid: boolean } }>;
  }>('sigstore-js', 'rekor-v1-vectors.json');
  const base = data.inclusion[0]!.input as {
    leafBase64: string;
    leafIndex: number;
    treeSize: number;
    rootHashHex: string;
    proofHex: string[];
  };

  it.each(data.inclusion.map((c) => [c.desc, c] as const))('%s', (_desc, c) => {
    const input = { ...base, ...c.input } as Record<string, unknown>;
    const entry =
      typeof c.input.leafUtf8 === 'string'
        ? new TextEncoder().encode(c.input.leafUtf8)
        : b64(input.leafBase64 as string);
    let proof = (input.proofHex as string[]).map(hex);
    if (typeof c.input.proofLength === 'number') proof = proof.slice(0, c.input.proofLength);
    const index = BigInt(input.leafIndex as number);
    const size = BigInt(input.treeSize as number);
    // The single-leaf case has no root in the vector: its root is the leaf hash itself.
    const root = c.input.proofHex !== undefined && (c.input.proofHex as string[]).length === 0 ? hashLeaf(entry) : hex(input.rootHashHex as string);
    const result = outcome(() => verifyInclusion(hashLeaf(entry), index, size, proof, root));
    if (c.expected.valid) expect(result).toBe('ok');
    else expect(result).not.toBe('ok');
  });
});
