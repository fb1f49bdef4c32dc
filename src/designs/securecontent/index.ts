/**
 * 3MF Secure Content (v1.0.3) for Fabgate, both directions, plus what the
 * specification lacks: a signed manifest over every part bound into each
 * part's AAD (MANIFEST-FORMAT.md) and a detached envelope for bare G-code and
 * STL (ENVELOPE-FORMAT.md).
 *
 * Server side: `protectPackage` / `protectFile` for enrolled devices' keys
 * (with `exportContentKeys` to keep content keys wrapped at rest), and
 * `rewrapPackage` to release, rotate or revoke without re-encrypting.
 * Print-host side: `openProtectedPackage({ buffer }, …)` opens in memory with a
 * device key; `manifest.hash` (or `readDesignManifestHash`) is what a print
 * ticket names.
 */
export { AES256_GCM, WRAPPING, kekParamsFor, oaepHashOf, type KekParams } from './algorithms.js';
export { canonicalJson } from '../../ledger/core/canonical-json.js';
export {
  DEFAULT_CHUNK_SIZE,
  isEnvelope,
  openEnvelopeFile,
  openEnvelopeStream,
  parseEnvelopeHeader,
  sealEnvelope,
  sealEnvelopeFile,
  verifyEnvelopeFile,
  type EnvelopeHeader,
  type EnvelopeSummary,
  type OpenEnvelopeOptions,
  type SealOptions,
} from './envelope.js';
export { designError, isDesignError, type DesignError, type DesignErrorCode } from './errors.js';
export { inspectPackage, type InspectOptions, type InspectReport } from './inspect.js';
export { keyFingerprint, loadEd25519PrivateKey, loadEd25519PublicKey, loadRsaPrivateKey, loadRsaPublicKey, spkiPem } from './keys.js';
export { parseKeystore, serializeKeystore, type Keystore } from './keystore.js';
export { DEFAULT_LIMITS, type ArchiveLimits } from './limits.js';
export { checkManifest, type ManifestReport, type ManifestStatus } from './manifest-check.js';
export { bindingAad, manifestHash, parseManifest, sealManifest, verifyManifestSignature, type Manifest, type ManifestPart } from './manifest.js';
export { OpcPackage, type PackageFinding } from './opc-package.js';
export { checkPackage, type PackageCheck } from './package-check.js';
export { openProtectedPackage, ProtectedPackage, readDesignManifestHash, type OpenOptions, type PartInfo } from './open.js';
export { protectFile, protectPackage, type ConsumerSpec, type ContentKeyRecord, type ProtectOptions, type ProtectResult } from './protect.js';
export { rewrapFile, rewrapPackage, type RewrapOptions, type RewrapResult } from './rewrap.js';
export { SafeZip, type ZipSource } from './safe-zip.js';
