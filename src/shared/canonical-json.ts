/**
 * Canonical JSON (RFC 8785) for any domain that hashes or compares records.
 * The one implementation lives with the transparency log, whose leaf format
 * depends on it byte for byte (src/ledger/LEAF-FORMAT.md).
 */
export { canonicalJson, canonicalJsonBytes } from '../ledger/core/canonical-json.js';
