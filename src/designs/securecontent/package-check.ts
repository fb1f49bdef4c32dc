import { isDesignError } from './errors.js';
import type { ArchiveLimits } from './limits.js';
import { readModelSkeleton } from './model-skeleton.js';
import { OpcPackage, type PackageFinding } from './opc-package.js';
import type { ZipSource } from './safe-zip.js';

/**
 * The package-level conformance check Fabgate applies before protecting or
 * after opening a design: OPC structure and relationships (3MF core chapter 2)
 * and the shape of the root model (chapters 3 and 4: one model, one resources,
 * one build, valid object types, build items that resolve, required
 * extensions that exist). Geometry, materials and metadata semantics are left
 * to geometry consumers.
 */
export interface PackageCheck {
  valid: boolean;
  findings: PackageFinding[];
  /** The error that stopped the check (hostile archive, XML that is not well-formed, DTD). */
  error?: { code: string; message: string };
}

export async function checkPackage(source: ZipSource, options: { strict?: boolean; limits?: Partial<ArchiveLimits> } = {}): Promise<PackageCheck> {
  let pkg: OpcPackage | undefined;
  try {
    pkg = await OpcPackage.open(source, options);
    const findings = [...pkg.findings];
    if (pkg.startPart) {
      const skeleton = await readModelSkeleton(pkg.zip.openEntry(pkg.startPart), pkg.startPart, options);
      findings.push(...skeleton.findings);
    }
    return { valid: !findings.some((f) => f.severity === 'error'), findings };
  } catch (e) {
    if (!isDesignError(e)) throw e;
    return { valid: false, findings: pkg ? [...pkg.findings] : [], error: { code: e.code, message: e.message } };
  } finally {
    await pkg?.close();
  }
}
