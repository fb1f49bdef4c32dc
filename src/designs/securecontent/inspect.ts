import { createPublicKey, type KeyObject } from 'node:crypto';
import { oaepHashOf } from './algorithms.js';
import { isDesignError } from './errors.js';
import { keyFingerprint } from './keys.js';
import type { ArchiveLimits } from './limits.js';
import { checkManifest } from './manifest-check.js';
import { OpcPackage, type PackageFinding } from './opc-package.js';
import { readPackageKeystore } from './open.js';
import { partNameKey } from './part-names.js';
import type { ZipSource } from './safe-zip.js';

/**
 * What a package holds and who may open it, without any key: parts, consumers,
 * algorithms, and whether the Fabgate manifest verifies. Structure and keystore
 * errors throw; a manifest that does not verify is reported, not thrown, so
 * an operator can see what is wrong with it.
 */

export interface InspectReport {
  startPart: string;
  parts: Array<{
    name: string;
    contentType: string | undefined;
    storedSize: number;
    encrypted: boolean;
    compression?: 'none' | 'deflate';
    encryptionAlgorithm?: string;
    keyUuid?: string;
  }>;
  keystore?: {
    uuid: string;
    consumers: Array<{ index: number; consumerId: string; keyId?: string; keyFingerprint?: string }>;
    groups: Array<{
      keyUuid: string;
      parts: string[];
      accessRights: Array<{ consumerIndex: number; consumerId: string; wrappingAlgorithm: string; mgfAlgorithm?: string; digestMethod?: string; oaepHash: string | null }>;
    }>;
  };
  manifest: {
    status: 'absent' | 'unsigned' | 'verified' | 'invalid';
    hash?: string;
    sealId?: string;
    signerKeyId?: string;
    error?: { code: string; message: string; details?: unknown };
  };
  findings: PackageFinding[];
  warnings: string[];
}

export interface InspectOptions {
  limits?: Partial<ArchiveLimits>;
  strict?: boolean;
  trustedSigners?: readonly KeyObject[];
}

export async function inspectPackage(source: ZipSource, options: InspectOptions = {}): Promise<InspectReport> {
  const pkg = await OpcPackage.open(source, { limits: options.limits, strict: options.strict });
  try {
    pkg.assertNoErrors();
    const ks = await readPackageKeystore(pkg);
    const byPath = new Map<string, { compression: 'none' | 'deflate'; algorithm: string; keyUuid: string }>();
    for (const g of ks?.keystore.groups ?? []) {
      for (const r of g.resources) byPath.set(partNameKey(r.path), { compression: r.cek.compression, algorithm: r.cek.encryptionAlgorithm, keyUuid: g.keyUuid });
    }
    let manifest: InspectReport['manifest'];
    try {
      const { report } = await checkManifest(pkg, ks, { trustedSigners: options.trustedSigners });
      manifest = { status: report.status, ...(report.hash ? { hash: report.hash } : {}), ...(report.sealId ? { sealId: report.sealId } : {}), ...(report.signerKeyId ? { signerKeyId: report.signerKeyId } : {}) };
    } catch (e) {
      if (!isDesignError(e)) throw e;
      manifest = { status: 'invalid', error: e.toJSON() };
    }
    return {
      startPart: pkg.startPart!,
      parts: [...pkg.parts.values()].map((p) => {
        const enc = byPath.get(partNameKey(p.partName));
        return {
          name: p.partName,
          contentType: p.contentType,
          storedSize: p.size,
          encrypted: enc !== undefined,
          ...(enc ? { compression: enc.compression, encryptionAlgorithm: enc.algorithm, keyUuid: enc.keyUuid } : {}),
        };
      }),
      ...(ks
        ? {
            keystore: {
              uuid: ks.keystore.uuid,
              consumers: ks.keystore.consumers.map((c, index) => ({
                index,
                consumerId: c.consumerId,
                ...(c.keyId !== undefined ? { keyId: c.keyId } : {}),
                ...(c.keyValue !== undefined ? { keyFingerprint: keyFingerprint(createPublicKey(c.keyValue)) } : {}),
              })),
              groups: ks.keystore.groups.map((g) => ({
                keyUuid: g.keyUuid,
                parts: g.resources.map((r) => r.path),
                accessRights: g.accessRights.map((a) => ({
                  consumerIndex: a.consumerIndex,
                  consumerId: ks.keystore.consumers[a.consumerIndex]!.consumerId,
                  ...a.kek,
                  oaepHash: safeHash(a.kek),
                })),
              })),
            },
          }
        : {}),
      manifest,
      findings: pkg.findings,
      warnings: ks?.warnings ?? [],
    };
  } finally {
    await pkg.close();
  }
}

function safeHash(kek: Parameters<typeof oaepHashOf>[0]): string | null {
  try {
    return oaepHashOf(kek);
  } catch {
    return null;
  }
}
