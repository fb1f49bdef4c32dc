/**
 * Limits that keep a hostile package from exhausting memory, disk or time.
 * Every reader takes them; callers that know their inputs (the server, the
 * print-host agent) narrow them.
 */
export interface ArchiveLimits {
  /** Most ZIP entries accepted (a central directory with more is refused before it is read). */
  maxEntries: number;
  /** Most bytes one entry may inflate to, counted while inflating. */
  maxEntryBytes: number;
  /** Most bytes all entries together may inflate to, counted while inflating. */
  maxTotalBytes: number;
  /** Largest inflated/compressed ratio tolerated once an entry is past `ratioGraceBytes`. */
  maxCompressionRatio: number;
  /** Entries smaller than this may compress better than `maxCompressionRatio` (tiny XML does). */
  ratioGraceBytes: number;
  /** Largest XML part parsed into memory (content types, relationships, keystore, manifest). */
  maxXmlPartBytes: number;
  /** Longest entry name, in UTF-8 bytes. */
  maxNameBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Defaults sized for real build files: a 1 GB part fits, a zip bomb does not. */
export const DEFAULT_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxEntries: 10_000,
  maxEntryBytes: 4 * GiB,
  maxTotalBytes: 16 * GiB,
  maxCompressionRatio: 200,
  ratioGraceBytes: 1 * MiB,
  maxXmlPartBytes: 16 * MiB,
  maxNameBytes: 1024,
});

export function resolveLimits(overrides?: Partial<ArchiveLimits>): ArchiveLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
