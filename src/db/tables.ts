/**
 * The row types of every table, for Kysely. Each domain declares its own tables
 * beside its store and this file joins them into one database type.
 *
 * Portable conventions (SQLite and PostgreSQL read the same rows):
 * times are ISO-8601 UTC strings (`2026-11-26T03:24:58.123Z`, they sort as text),
 * JSON is stored as text, booleans as 0/1 integers, ids are text.
 */
import type { IdentityTables } from '../identity/tables.js';
import type { AuditTables } from '../audit/tables.js';
import type { LedgerTables } from '../ledger/tables.js';
import type { ClassificationTables } from '../classification/tables.js';
import type { ScreeningTables } from '../screening/tables.js';
import type { LicensingTables } from '../licensing/tables.js';
import type { DevicesTables } from '../devices/tables.js';
import type { DesignsTables } from '../designs/tables.js';
import type { TicketsTables } from '../tickets/tables.js';

export type Tables = IdentityTables & AuditTables & LedgerTables & ClassificationTables & ScreeningTables & LicensingTables & DevicesTables & DesignsTables & TicketsTables;
