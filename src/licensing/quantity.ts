/**
 * Quantities are stored as integers in thousandths (milli-units), so a
 * balance check `remaining >= n` in SQL is exact on both engines: 12.5 kg is
 * 12500, and no floating-point sum can let a depletion slip past the balance.
 */
import { FabgateError } from '../shared/errors.js';

/** Quantities carry at most three decimals. */
export const QUANTITY_SCALE = 1000;
/** Largest quantity accepted (keeps milli-units far inside 2^53). */
export const MAX_QUANTITY = 1e12;

/** A quantity as integer milli-units; LICENSING_QUANTITY_INVALID for negative, non-finite or over-precise values. */
export function toMilli(quantity: number, field = 'quantity'): number {
  if (!Number.isFinite(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
    throw new FabgateError('LICENSING_QUANTITY_INVALID', `${field} must be a number from 0 to ${MAX_QUANTITY}`, 'invalid_input', { field, quantity });
  }
  const milli = Math.round(quantity * QUANTITY_SCALE);
  // Refuse what three decimals cannot hold rather than round it away silently.
  if (Math.abs(milli / QUANTITY_SCALE - quantity) > 1e-9 * Math.max(1, quantity)) {
    throw new FabgateError('LICENSING_QUANTITY_INVALID', `${field} has more than three decimals`, 'invalid_input', { field, quantity });
  }
  return milli;
}

/** Milli-units back to a quantity. */
export function fromMilli(milli: number): number {
  return milli / QUANTITY_SCALE;
}
