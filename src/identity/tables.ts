import type { Generated } from 'kysely';

export interface OrganisationRow {
  id: string;
  name: string;
  kind: string;
  country: string | null;
  created_at: string;
}

export interface UserRow {
  id: string;
  organisation_id: string;
  email: string;
  display_name: string;
  role: string;
  password_hash: string;
  created_at: string;
  disabled_at: string | null;
}

export interface SessionRow {
  /** SHA-256 of the cookie value: a database leak does not leak live sessions. */
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface ApiTokenRow {
  id: string;
  organisation_id: string;
  created_by: string | null;
  name: string;
  /** SHA-256 of the secret part: tokens are 256-bit random, so a fast hash is enough. */
  secret_hash: string;
  /** JSON array of permission names. */
  permissions: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface LoginThrottleRow {
  key: string;
  failures: number;
  first_failure_at: string;
  locked_until: string | null;
}

export interface IdentityTables {
  organisations: OrganisationRow;
  users: UserRow;
  sessions: SessionRow;
  api_tokens: ApiTokenRow;
  login_throttle: LoginThrottleRow;
}

export type { Generated };
