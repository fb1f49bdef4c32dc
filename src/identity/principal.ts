import type { OrganisationKind, Permission, Role } from './permissions.js';

/** Who is asking: a signed-in user or an API token, always of one organisation. */
export interface Principal {
  type: 'user' | 'token';
  /** The user id, or the token id. */
  id: string;
  /** For tokens: the user who created it (null for tokens made by the CLI). */
  userId: string | null;
  organisationId: string;
  organisationKind: OrganisationKind;
  role: Role | null;
  permissions: ReadonlySet<Permission>;
  /** Set for session (cookie) authentication: writes must carry this CSRF token. */
  csrfToken?: string;
}

export function can(p: Principal, permission: Permission): boolean {
  return p.permissions.has(permission);
}
