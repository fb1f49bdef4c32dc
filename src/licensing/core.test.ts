import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffAmendment, type AmendableView } from './diff.js';
import { licenceAction, licenceStatus, nextIssueSuffix, validityEnd } from './licence.js';
import { fromMilli, toMilli } from './quantity.js';
import { isCountryCode } from './countries.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('quantities in milli-units', () => {
  it('round-trips every quantity with up to three decimals (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e15 }), (m) => {
        expect(toMilli(fromMilli(m))).toBe(m);
      }),
    );
  });
  it('refuses negative, non-finite and over-precise quantities', () => {
    expect(toMilli(12.5)).toBe(12500);
    for (const bad of [-1, Number.NaN, Infinity, 0.0001, 1e13]) expect(code(() => toMilli(bad))).toBe('LICENSING_QUANTITY_INVALID');
  });
});

describe('licence status', () => {
  const base = { status: 'active' as const, valid_from: '2026-03-01T00:00:00.000Z', valid_to: '2028-03-01T00:00:00.000Z', remaining: [5000, 0] };
  it('expires at the end of validity without anyone acting, and exhausts when every quantity is used', () => {
    expect(licenceStatus(base, new Date('2028-02-29T23:59:59.999Z'))).toBe('active');
    expect(licenceStatus(base, new Date('2028-03-01T00:00:00.000Z'))).toBe('expired');
    expect(licenceStatus({ ...base, remaining: [0, 0] }, new Date('2027-01-01T00:00:00Z'))).toBe('exhausted');
    expect(licenceStatus({ ...base, remaining: [null] }, new Date('2027-01-01T00:00:00Z'))).toBe('active');
    expect(licenceStatus({ ...base, valid_to: null }, new Date('2099-01-01T00:00:00Z'))).toBe('active');
    expect(licenceStatus({ ...base, status: 'revoked' }, new Date('2027-01-01T00:00:00Z'))).toBe('revoked');
  });
  it('allows the licence actions of the table only', () => {
    expect(licenceAction('suspend', 'active', 'licence_manager')).toBe('suspended');
    expect(licenceAction('reinstate', 'suspended', 'licence_manager')).toBe('active');
    expect(code(() => licenceAction('suspend', 'expired', 'licence_manager'))).toBe('LICENSING_LICENCE_TRANSITION_NOT_ALLOWED');
    expect(code(() => licenceAction('surrender', 'active', 'licence_manager'))).toBe('LICENSING_ROLE_NOT_ALLOWED');
    expect(code(() => licenceAction('revoke', 'revoked', 'licence_manager'))).toBe('LICENSING_LICENCE_TRANSITION_NOT_ALLOWED');
  });
  it('computes validity ends and re-issue suffixes', () => {
    expect(validityEnd(new Date('2026-03-31T10:00:00Z'), 24)).toBe('2028-03-31T10:00:00.000Z');
    expect(validityEnd(new Date('2026-08-31T10:00:00Z'), 6)).toBe('2027-02-28T10:00:00.000Z');
    expect(validityEnd(new Date('2026-08-31T10:00:00Z'), null)).toBeNull();
    expect(['A', 'B', 'Z', 'AZ'].map(nextIssueSuffix)).toEqual(['B', 'C', 'AA', 'BA']);
  });
});

describe('amendment diff', () => {
  const before: AmendableView = {
    items: [{ key: 'lit_1', name: 'M400', quantity: 2, unit: 'pieces', value: { amount: 1_700_000, currency: 'EUR' }, spec_sha256: 'aa' }],
    parties: [{ key: 'p1', role: 'end_user', name: 'Wichita Aero Structures LLC', country: 'US', address: 'Wichita' }],
    destinations: ['US'],
    end_use: { text: 'airframe parts', domains: ['aerospace'] },
    valid_to: '2028-03-01T00:00:00.000Z',
  };
  it('shows what changed and which parts need review again', () => {
    const after: AmendableView = {
      ...before,
      items: [{ ...before.items[0]!, quantity: 3 }, { key: 'new', name: 'Ti64 powder', quantity: 100, unit: 'kg', value: null, spec_sha256: 'bb' }],
      parties: [...before.parties, { key: 'p2', role: 'consignee', name: 'Heartland Logistics', country: 'US' }],
      valid_to: '2029-03-01T00:00:00.000Z',
    };
    const d = diffAmendment(before, after);
    expect(d.changes.map((c) => c.label)).toEqual(['“M400”: quantity changed', 'item “Ti64 powder” added', 'consignee “Heartland Logistics” added', 'validity 2028-03-01T00:00:00.000Z → 2029-03-01T00:00:00.000Z']);
    expect(d.changed_items).toEqual(['lit_1', 'new']);
    expect(d.changed_parties).toEqual(['p2']);
    expect(d.sections).toEqual(['items', 'parties', 'validity']);
  });
  it('is empty when nothing changed', () => {
    expect(diffAmendment(before, structuredClone(before)).changes).toEqual([]);
  });
});

describe('country codes', () => {
  it('accepts ISO 3166-1 alpha-2 codes and refuses regions and reserved codes', () => {
    expect(['US', 'DE', 'GB', 'HK', 'TW'].every(isCountryCode)).toBe(true);
    expect(['EU', 'UK', 'ZZ', 'us', 'XX', 'DD'].some(isCountryCode)).toBe(false);
  });
});
