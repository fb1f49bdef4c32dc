/**
 * Licence status, computed from what is stored and from the clock: a licence
 * expires at the end of its validity without anyone acting, and is exhausted
 * when every quantity on it is used up. Only suspension, revocation and
 * surrender are stored, because only they are acts.
 */
import { FabgateError } from '../shared/errors.js';
import { licensingReference } from './reference.js';

export type StoredLicenceStatus = 'active' | 'suspended' | 'revoked' | 'surrendered';
export type LicenceStatus = StoredLicenceStatus | 'expired' | 'exhausted';

export interface LicenceStatusInput {
  status: StoredLicenceStatus;
  valid_from: string;
  /** null: the licence does not expire (general authorisations). */
  valid_to: string | null;
  /** Remaining milli-units of each item that carries a quantity (items without a quantity never exhaust). */
  remaining: Array<number | null>;
}

/** The status at `now`. Acts (revocation, surrender, suspension) win over the clock, the clock over the balance. */
export function licenceStatus(l: LicenceStatusInput, now: Date): LicenceStatus {
  if (l.status !== 'active') return l.status;
  if (l.valid_to !== null && now.getTime() >= Date.parse(l.valid_to)) return 'expired';
  const counted = l.remaining.filter((r): r is number => r !== null);
  if (counted.length > 0 && counted.every((r) => r <= 0)) return 'exhausted';
  return 'active';
}

/** The stored status after a licence action (data/state-machine.json `licence_transitions`), or LICENSING_LICENCE_TRANSITION_NOT_ALLOWED. */
export function licenceAction(action: string, current: LicenceStatus, actor: 'licence_manager' | 'holder'): StoredLicenceStatus {
  const t = licensingReference().machine.data.licence_transitions.find((x) => x.id === action);
  if (!t) throw new FabgateError('LICENSING_LICENCE_TRANSITION_UNKNOWN', `no licence action '${action}'`, 'invalid_input');
  if (t.actor !== actor) throw new FabgateError('LICENSING_ROLE_NOT_ALLOWED', `'${action}' is for the ${t.actor.replace('_', ' ')}`, 'forbidden');
  if (!t.from.includes(current)) {
    throw new FabgateError('LICENSING_LICENCE_TRANSITION_NOT_ALLOWED', `a ${current} licence cannot be ${t.to}`, 'conflict', { status: current, action, allowed_from: t.from });
  }
  return t.to as StoredLicenceStatus;
}

/** End of validity: `months` after `from` (same day of month, clamped to the month's end), null for none. */
export function validityEnd(from: Date, months: number | null): string | null {
  if (months === null) return null;
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(from.getUTCDate(), lastDay), from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds())).toISOString();
}

/** The re-issue suffix after `suffix` (LITE: licence references append /A, /B … for re-issues). */
export function nextIssueSuffix(suffix: string): string {
  if (!/^[A-Z]+$/.test(suffix)) throw new FabgateError('LICENSING_REFERENCE_INVALID', `bad licence suffix '${suffix}'`, 'internal');
  const chars = suffix.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    if (chars[i] !== 'Z') {
      chars[i] = String.fromCharCode(chars[i]!.charCodeAt(0) + 1);
      return chars.join('');
    }
    chars[i] = 'A';
  }
  return 'A' + chars.join('');
}
