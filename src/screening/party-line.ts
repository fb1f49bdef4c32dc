/**
 * One party to screen as files and the batch API take it: a JSON object per
 * line, `{"id", "name", "country"?, "type"?, "dob"?}`.
 */
import { z } from 'zod';

export const PartyLine = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(1000),
  country: z.string().max(100).optional(),
  type: z.enum(['person', 'organisation', 'vessel', 'aircraft']).optional(),
  dob: z.string().max(100).optional(),
});
