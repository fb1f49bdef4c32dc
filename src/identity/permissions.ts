/**
 * Who may do what. A permission names one capability; a role in an organisation
 * of a given kind holds a fixed set of them. Every route declares the one
 * permission it needs, and the role × route test is generated from that table.
 */
export const ORGANISATION_KINDS = ['exporter', 'authority', 'partner_authority', 'device_operator'] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

export const ROLES = ['applicant', 'compliance_officer', 'licensing_officer', 'supervisor', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** Manage users of one's own organisation. */
  'users:manage',
  /** Create and revoke API tokens of one's own organisation. */
  'tokens:manage',
  /** Read the audit trail (auditors). */
  'audit:read',
  /** Item specifications and their classification. */
  'items:read',
  'items:write',
  'classification:run',
  'rules:manage',
  /** Party screening. */
  'screening:run',
  'screening:review',
  'lists:manage',
  /** Exporter side of licensing. */
  'applications:read',
  'applications:write',
  /** Authority side of licensing. */
  'cases:read',
  'cases:work',
  'cases:countersign',
  'licences:read',
  'licences:manage',
  /** Record use (shipments) against one's own licences: depletes the balance. */
  'licences:use',
  /** Designs, devices, print tickets, usage. */
  'designs:read',
  'designs:write',
  'devices:read',
  'devices:manage',
  'tickets:issue',
  'tickets:read',
  'usage:report',
  /** Transparency-log administration (key rotation). Reading the log is public. */
  'log:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

type Grants = Partial<Record<Role, readonly Permission[]>>;

const EXPORTER_APPLICANT: Permission[] = ['items:read', 'items:write', 'classification:run', 'screening:run', 'applications:read', 'applications:write', 'licences:read', 'licences:use', 'designs:read', 'devices:read', 'tickets:read'];
const EXPORTER_OFFICER: Permission[] = [...EXPORTER_APPLICANT, 'screening:review', 'designs:write', 'tickets:issue'];
const AUTHORITY_OFFICER: Permission[] = ['classification:run', 'items:read', 'screening:run', 'cases:read', 'cases:work', 'licences:read', 'tickets:read'];

/** The grant table: organisation kind → role → permissions. A role absent here is not allowed in that kind. */
export const GRANTS: Record<OrganisationKind, Grants> = {
  exporter: {
    applicant: EXPORTER_APPLICANT,
    compliance_officer: EXPORTER_OFFICER,
    auditor: ['audit:read', 'items:read', 'applications:read', 'licences:read', 'designs:read', 'tickets:read'],
    // An exporter may run print hosts of its own: its admin enrols and revokes them; usage:report is the ceiling their device tokens need.
    admin: ['users:manage', 'tokens:manage', 'items:read', 'applications:read', 'licences:read', 'devices:read', 'devices:manage', 'usage:report'],
  },
  authority: {
    licensing_officer: AUTHORITY_OFFICER,
    supervisor: [...AUTHORITY_OFFICER, 'cases:countersign', 'licences:manage', 'rules:manage'],
    auditor: ['audit:read', 'cases:read', 'licences:read', 'items:read', 'tickets:read'],
    admin: ['users:manage', 'tokens:manage', 'lists:manage', 'rules:manage', 'log:manage', 'cases:read'],
  },
  partner_authority: {
    licensing_officer: ['classification:run', 'screening:run'],
    auditor: ['audit:read'],
    admin: ['users:manage', 'tokens:manage'],
  },
  device_operator: {
    compliance_officer: ['devices:read', 'devices:manage', 'tickets:read', 'designs:read'],
    auditor: ['audit:read', 'devices:read', 'tickets:read'],
    admin: ['users:manage', 'tokens:manage', 'devices:read', 'devices:manage', 'tickets:read', 'usage:report'],
  },
};

export function isRoleAllowed(kind: OrganisationKind, role: Role): boolean {
  return GRANTS[kind][role] !== undefined;
}

export function permissionsFor(kind: OrganisationKind, role: Role): ReadonlySet<Permission> {
  return new Set(GRANTS[kind][role] ?? []);
}

/** Everything any role of this kind holds: the ceiling for an API token of that organisation. */
export function permissionsOfKind(kind: OrganisationKind): ReadonlySet<Permission> {
  return new Set(Object.values(GRANTS[kind]).flat());
}
