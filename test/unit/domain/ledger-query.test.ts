import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '#domain/errors.ts';
import { DEFAULT_PAGE_SIZE, parseLedgerQuery } from '#domain/ledger-query.ts';

/** The issues a query is refused with, by parameter. */
function issuesOf(query: string): Record<string, string> {
  try {
    parseLedgerQuery(query);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    return Object.fromEntries((err as InvalidRequestError).issues.map((i) => [i.path, i.message]));
  }
  throw new Error(`${query} was accepted`);
}

const range = 'from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z';

describe('parseLedgerQuery', () => {
  it('reads every parameter', () => {
    // act
    const q = parseLedgerQuery(`${range}&storefront=demo&claim=clm_1&type=refund_settled&cursor=abc&limit=25&format=csv`);
    // assert
    expect(q).toEqual({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
      storefrontId: 'demo',
      claimId: 'clm_1',
      type: 'refund_settled',
      cursor: 'abc',
      limit: 25,
      format: 'csv',
    });
  });

  it('defaults to JSON pages of the default size, over every storefront', () => {
    // act
    const q = parseLedgerQuery(range);
    // assert
    expect(q).toEqual({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
      limit: DEFAULT_PAGE_SIZE,
      format: 'json',
    });
  });

  it('takes dates as midnight UTC, zone offsets (also a + that arrived as a space), and fractions of a second', () => {
    // act / assert
    expect(parseLedgerQuery('from=2026-11-01&to=2026-11-02').to).toEqual(new Date('2026-11-02T00:00:00Z'));
    expect(parseLedgerQuery('from=2026-11-01T01:00:00%2B01:00&to=2026-11-02').from).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(parseLedgerQuery('from=2026-11-01T01:00:00+01:00&to=2026-11-02').from).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(parseLedgerQuery('from=2026-11-01T00:00:00.250Z&to=2026-11-02').from).toEqual(new Date('2026-11-01T00:00:00.250Z'));
  });

  it('lets a claim be read without a time range', () => {
    // act
    const q = parseLedgerQuery('claim=clm_1');
    // assert
    expect(q.claimId).toBe('clm_1');
    expect(q.from.getTime()).toBeLessThan(Date.parse('2000-01-01'));
    expect(q.to.getTime()).toBeGreaterThan(Date.parse('9000-01-01'));
  });

  it.each([
    ['from=yesterday&to=2026-12-01', 'from'],
    ['from=2026-11-01T00:00:00&to=2026-12-01', 'from'],
    ['from=2026-02-30&to=2026-12-01', 'from'],
    [`${range}&to=2026-13-01`, 'to'],
    ['from=2026-11-01&to=2026-12-01T25:00:00Z', 'to'],
    ['from=2026-11-02&to=2026-11-01', 'to'],
    ['from=2026-11-01&to=2026-11-01', 'to'],
    ['from=2025-11-01&to=2026-11-03', 'to'],
    ['to=2026-12-01', 'from'],
    ['from=2026-11-01', 'to'],
    [`${range}&storefront=demo%23x`, 'storefront'],
    [`${range}&storefront=`, 'storefront'],
    [`${range}&claim=a b`, 'claim'],
    [`${range}&type=refund`, 'type'],
    [`${range}&format=xlsx`, 'format'],
    [`${range}&limit=0`, 'limit'],
    [`${range}&limit=1001`, 'limit'],
    [`${range}&limit=-1`, 'limit'],
    [`${range}&limit=2.5`, 'limit'],
    [`${range}&limit=ten`, 'limit'],
    [`${range}&cursor=`, 'cursor'],
    [`${range}&strorefront=demo`, 'strorefront'],
    [`${range}&storefront=a&storefront=b`, 'storefront'],
  ])('refuses %s naming %s', (query, param) => {
    // act
    const issues = issuesOf(query);
    // assert
    expect(Object.keys(issues)).toEqual([param]);
  });

  it('names every bad parameter at once', () => {
    // act
    const issues = issuesOf('type=nope&limit=5000&format=pdf&extra=1');
    // assert
    expect(Object.keys(issues).sort()).toEqual(['extra', 'format', 'from', 'limit', 'to', 'type']);
    expect(issues.type).toContain('refund_settled');
  });

  it('accepts a range of 366 days and refuses one millisecond more', () => {
    // act / assert
    expect(() => parseLedgerQuery('from=2028-01-01&to=2029-01-01')).not.toThrow();
    expect(issuesOf('from=2028-01-01T00:00:00Z&to=2029-01-01T00:00:00.001Z')).toHaveProperty('to');
  });
});
