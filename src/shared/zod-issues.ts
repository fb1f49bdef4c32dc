import type { z } from 'zod';

/** A validation failure in words: `path: message` per issue (at most `limit`), `(root)` for the value itself. */
export function describeIssues(error: z.ZodError, limit = Infinity): string {
  return error.issues
    .slice(0, limit)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
