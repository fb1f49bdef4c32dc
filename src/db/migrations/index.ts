import { identityAndAudit } from './0001_identity_audit.js';
import { ledgerEvents } from './0002_ledger_events.js';
import { classification } from './0003_classification.js';
import { screening } from './0004_screening.js';
import { licensing } from './0005_licensing.js';
import { devicesDesignsTickets } from './0006_devices_designs_tickets.js';
import type { MigrationStep } from './helpers.js';

/** The one migration history, in order. Append; never edit a step that has shipped. */
export const migrations: MigrationStep[] = [identityAndAudit, ledgerEvents, classification, screening, licensing, devicesDesignsTickets];
