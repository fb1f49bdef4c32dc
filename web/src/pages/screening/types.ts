/** The screening API's shapes as the UI reads them (src/screening/routes.ts is the authority). */

export type PartyType = 'person' | 'organisation' | 'vessel' | 'aircraft';
export type DecisionValue = 'true_positive' | 'false_positive';

// The matcher's explanation and the list tallies are the server's own types (pure, no runtime code).
import type { Match } from '../../../../src/screening/match/types.js';
import type { ListCounts } from '../../../../src/screening/model.js';

export type { Evidence, Explanation, Match, TokenMatch } from '../../../../src/screening/match/types.js';
export type { ListCounts };

export interface ListedEntity {
  entity_id?: string;
  list?: string;
  type: string;
  name: string;
  aliases: Array<{ name: string; quality?: 'strong' | 'weak'; kind?: string }>;
  addresses: Array<{ text: string; country?: string }>;
  countries: string[];
  dates_of_birth: string[];
  identifiers: Array<{ type: string; value: string; country?: string }>;
  programmes: string[];
  remarks?: string;
}

export interface LogRef {
  leaf_index: number | null;
  commitment: string;
}

export interface Decision {
  id: string;
  fingerprint: string;
  party: { name: string; country: string | null; type: string | null; dob: string | null };
  party_kind: string | null;
  party_ref: string | null;
  list: string;
  entity_id: string;
  version_id: string;
  matched_name: string;
  score: number;
  decision: DecisionValue;
  reason: string;
  alert_id: string | null;
  decided_at: string;
  decided_by: { type: string; id: string; name: string | null };
  log: LogRef | null;
}

export interface ScreenedMatch extends Match {
  fingerprint: string;
  version_id: string;
  entity: ListedEntity;
  review: Decision | null;
}

export interface ListRef {
  version_id: string;
  list: string;
  content_hash: string;
  source_date: string | null;
  entities: number;
}

export interface ScreenResult {
  party: { id: string; name: string; country?: string; type?: string; dob?: string };
  threshold: number;
  screened_at: string;
  generation: number;
  lists: ListRef[];
  matches: ScreenedMatch[];
}

export interface Job {
  id: string;
  kind: 'batch' | 'rescreen';
  state: 'queued' | 'running' | 'done' | 'failed' | 'superseded';
  name: string | null;
  total: number;
  done: number;
  matched: number;
  threshold: number;
  generation: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: { code: string; message: string } | null;
}

export interface BatchResultLine {
  id: string;
  matches: Match[];
}

export interface StoredParty {
  id: string;
  name: string;
  country: string | null;
  type: string | null;
  dob: string | null;
  reference: string | null;
  revision: number;
  created_at: string;
  updated_at: string;
  screened_at: string | null;
  status: 'clear' | 'hits' | 'not_screened';
  hits: number;
  open_alerts: number;
}

export interface ScreeningOutcome {
  alerts: string[];
  remembered: number;
  matches: Match[];
}

export interface Hit {
  list: string;
  entity_id: string;
  score: number;
  fingerprint: string;
  first_seen_at: string;
  last_seen_at: string;
  decision: Decision | null;
  open_alert: string | null;
}

export interface Alert {
  id: string;
  party_kind: 'customer' | 'application_party';
  party_ref: string;
  party: { name: string; country: string | null; type: string | null; dob: string | null; application_id?: string; application_reference?: string | null; role?: string };
  list: string;
  entity_id: string;
  version_id: string;
  score: number;
  matched_name: string;
  match: Match;
  reason: 'new' | 'changed';
  trigger: string;
  state: 'open' | 'decided' | 'superseded' | 'party_removed';
  created_at: string;
  closed_at: string | null;
  decision: Decision | null;
}

export interface ListVersion {
  id: string;
  list: string;
  format: string;
  content_hash: string;
  source_date: string | null;
  files: Array<{ name: string; sha256: string; role?: string; records: number }>;
  counts: ListCounts;
  entities: number;
  entities_digest: string;
  loaded_at: string;
  loaded_by: { type: string; id: string | null };
  active: boolean;
  activated_at: string | null;
  log: LogRef | null;
}

export interface EntitySummary {
  entity_id: string;
  name: string;
  type: string;
  programmes: string[];
}

export interface ListDiff {
  from: ListVersion;
  to: ListVersion;
  counts: { added: number; removed: number; changed: number; unchanged: number };
  added: EntitySummary[];
  removed: EntitySummary[];
  changed: Array<EntitySummary & { fields: string[]; before: Record<string, unknown>; after: Record<string, unknown> }>;
  truncated: boolean;
}
