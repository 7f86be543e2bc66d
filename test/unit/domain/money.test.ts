import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CurrencyMismatchError } from '#domain/errors.ts';
import {
  add,
  allocate,
  formatMoney,
  isCurrency,
  lte,
  max,
  min,
  minorDigits,
  money,
  parseMajorUnits,
  percentOf,
  share,
  subtract,
  sum,
  times,
} from '#domain/money.ts';

const eur = (amount: number) => money(amount, 'EUR');
const currencies = ['EUR', 'JPY', 'KWD', 'USD'] as const;
const arbAmount = fc.integer({ min: -1_000_000_000, max: 1_000_000_000 });
const arbMoney = fc.record({ amount: arbAmount, currency: fc.constantFrom(...currencies) });

describe('money: construction', () => {
  it('accepts whole minor units and refuses fractions and unsafe integers', () => {
    // arrange / act / assert
    expect(money(12999, 'EUR')).toEqual({ amount: 12999, currency: 'EUR' });
    expect(() => money(1.5, 'EUR')).toThrow(RangeError);
    expect(() => money(Number.NaN, 'EUR')).toThrow(RangeError);
    expect(() => money(Number.MAX_SAFE_INTEGER + 1, 'EUR')).toThrow(RangeError);
  });

  it('knows the minor digits of EUR (2), JPY (0) and KWD (3)', () => {
    // act / assert
    expect(minorDigits('EUR')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('KWD')).toBe(3);
  });

  it('recognises ISO-4217 codes and refuses anything else', () => {
    // act / assert
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('JPY')).toBe(true);
    expect(isCurrency('eur')).toBe(false);
    expect(isCurrency('EURO')).toBe(false);
    expect(isCurrency('XYZ')).toBe(false);
  });

  it('multiplies by whole quantities only', () => {
    // act / assert
    expect(times(eur(2500), 3)).toEqual(eur(7500));
    expect(() => times(eur(2500), 1.5)).toThrow(RangeError);
  });
});

describe('money: mixed currencies', () => {
  const a = eur(100);
  const b = money(100, 'USD');

  it.each([
    ['add', () => add(a, b)],
    ['subtract', () => subtract(a, b)],
    ['min', () => min(a, b)],
    ['max', () => max(a, b)],
    ['lte', () => lte(a, b)],
    ['sum', () => sum('EUR', [a, b])],
  ])('%s throws CurrencyMismatchError when the currencies differ', (_name, combine) => {
    // act / assert
    expect(combine).toThrow(CurrencyMismatchError);
  });

  it('names the error so the workflow can branch on it', () => {
    // act
    let caught: unknown;
    try {
      add(a, b);
    } catch (err) {
      caught = err;
    }
    // assert
    expect((caught as Error).name).toBe('CurrencyMismatchError');
  });
});

describe('money: share and percentOf round once, up for grants and down for fees', () => {
  it('rounds a half unit up for the customer and down for a fee', () => {
    // arrange: 4.99 shipping split for half of the goods
    const shipping = eur(499);
    // act
    const up = share(shipping, 1, 2, 'up');
    const down = share(shipping, 1, 2, 'down');
    // assert
    expect(up).toEqual(eur(250));
    expect(down).toEqual(eur(249));
  });

  it('rounds negative amounts toward +∞ for up and toward −∞ for down', () => {
    // act / assert
    expect(share(eur(-499), 1, 2, 'up')).toEqual(eur(-249));
    expect(share(eur(-499), 1, 2, 'down')).toEqual(eur(-250));
  });

  it('does not round an exact share', () => {
    // act / assert
    expect(share(eur(1000), 3, 4, 'up')).toEqual(eur(750));
    expect(share(eur(1000), 3, 4, 'down')).toEqual(eur(750));
  });

  it('refuses a zero or negative denominator and fractional factors', () => {
    // act / assert
    expect(() => share(eur(100), 1, 0, 'up')).toThrow(RangeError);
    expect(() => share(eur(100), 1, -2, 'up')).toThrow(RangeError);
    expect(() => share(eur(100), 0.5, 2, 'up')).toThrow(RangeError);
  });

  it('computes in BigInt, so a large amount times a factor keeps every unit', () => {
    // arrange: (2^53 − 1) × 3 is beyond a double's exact range in the middle of the calculation
    const big = eur(Number.MAX_SAFE_INTEGER);
    // act
    const same = share(big, 3, 3, 'down');
    // assert
    expect(same).toEqual(big);
  });

  it('takes 10 % of 19.99 as 2.00 up and 1.99 down', () => {
    // act / assert
    expect(percentOf(eur(1999), 10, 'up')).toEqual(eur(200));
    expect(percentOf(eur(1999), 10, 'down')).toEqual(eur(199));
  });

  it('accepts percentages with two decimals and refuses three', () => {
    // act / assert
    expect(percentOf(eur(1000), 12.5, 'down')).toEqual(eur(125));
    expect(percentOf(eur(10000), 0.01, 'up')).toEqual(eur(1));
    expect(() => percentOf(eur(1000), 12.345, 'up')).toThrow(RangeError);
  });

  it('keeps the currency of the amount it takes a share of', () => {
    // act / assert
    expect(percentOf(money(3501, 'JPY'), 10, 'up')).toEqual(money(351, 'JPY'));
    expect(share(money(1001, 'KWD'), 1, 3, 'up')).toEqual(money(334, 'KWD'));
  });
});

describe('money: parseMajorUnits reads what a person types', () => {
  it.each([
    ['150.00', 'EUR', 15000],
    ['150', 'EUR', 15000],
    ['150.5', 'EUR', 15050],
    ['150,50', 'EUR', 15050],
    ['  0.01 ', 'EUR', 1],
    ['0', 'EUR', 0],
    ['1500', 'JPY', 1500],
    ['1.234', 'KWD', 1234],
    ['1.2', 'KWD', 1200],
  ])('reads %j in %s as %i minor units', (text, currency, amount) => {
    // act
    const parsed = parseMajorUnits(text, currency);
    // assert
    expect(parsed).toEqual({ amount, currency });
  });

  it.each([
    ['1e3', 'EUR'],
    ['-1', 'EUR'],
    ['1.234', 'EUR'],
    ['', 'EUR'],
    ['   ', 'EUR'],
    ['abc', 'EUR'],
    ['150.', 'EUR'],
    ['.5', 'EUR'],
    ['1 500,00', 'EUR'],
    ['1,500.00', 'EUR'],
    ['+5', 'EUR'],
    ['0x10', 'EUR'],
    ['Infinity', 'EUR'],
    ['150.0', 'JPY'],
    ['1.2345', 'KWD'],
    ['1234567890123', 'EUR'],
  ])('refuses %j in %s', (text, currency) => {
    // act
    const parsed = parseMajorUnits(text, currency);
    // assert
    expect(parsed).toBeUndefined();
  });
});

describe('money: properties', () => {
  const runs = { numRuns: 200 };

  it('splitting an amount into weighted shares and summing them loses nothing rounding down and creates nothing rounding up, beyond under one unit per share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 12 }).filter((w) => w.some((x) => x > 0)),
        fc.constantFrom(...currencies),
        (amount, weights, currency) => {
          // arrange
          const whole = money(amount, currency);
          const total = weights.reduce((a, w) => a + w, 0);
          // act
          const ups = weights.map((w) => share(whole, w, total, 'up'));
          const downs = weights.map((w) => share(whole, w, total, 'down'));
          const upSum = sum(currency, ups).amount;
          const downSum = sum(currency, downs).amount;
          // assert
          expect(upSum).toBeGreaterThanOrEqual(amount);
          expect(upSum - amount).toBeLessThan(weights.length);
          expect(downSum).toBeLessThanOrEqual(amount);
          expect(amount - downSum).toBeLessThan(weights.length);
          weights.forEach((w, i) => {
            // exact = amount·w/total; compare in integers: |share·total − amount·w| < total
            const exactTimesTotal = amount * w;
            expect(ups[i]!.amount * total - exactTimesTotal).toBeGreaterThanOrEqual(0);
            expect(ups[i]!.amount * total - exactTimesTotal).toBeLessThan(total);
            expect(exactTimesTotal - downs[i]!.amount * total).toBeGreaterThanOrEqual(0);
            expect(exactTimesTotal - downs[i]!.amount * total).toBeLessThan(total);
            expect(ups[i]!.currency).toBe(currency);
          });
        },
      ),
      runs,
    );
  });

  it('splitting into n equal parts rounded up covers the whole and rounded down never exceeds it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.integer({ min: 1, max: 50 }), (amount, n) => {
        // arrange
        const whole = eur(amount);
        // act
        const up = share(whole, 1, n, 'up').amount * n;
        const down = share(whole, 1, n, 'down').amount * n;
        // assert
        expect(up).toBeGreaterThanOrEqual(amount);
        expect(up - amount).toBeLessThan(n);
        expect(down).toBeLessThanOrEqual(amount);
        expect(amount - down).toBeLessThan(n);
      }),
      runs,
    );
  });

  it('a share rounded up and the rest rounded down add back up to the whole exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 100 }), (amount, pct) => {
        // arrange
        const whole = eur(amount);
        // act
        const part = share(whole, pct, 100, 'up');
        const rest = share(whole, 100 - pct, 100, 'down');
        // assert
        expect(add(part, rest)).toEqual(whole);
      }),
      runs,
    );
  });

  it('subtract undoes add and add undoes subtract', () => {
    fc.assert(
      fc.property(arbMoney, arbAmount, (a, bAmount) => {
        // arrange
        const b = money(bAmount, a.currency);
        // act / assert
        expect(subtract(add(a, b), b)).toEqual(a);
        expect(add(subtract(a, b), b)).toEqual(a);
      }),
      runs,
    );
  });

  it('every operation keeps the currency of its operands', () => {
    fc.assert(
      fc.property(arbMoney, arbAmount, fc.integer({ min: 0, max: 10_000 }), (a, bAmount, bp) => {
        // arrange
        const b = money(bAmount, a.currency);
        // act
        const results = [
          add(a, b),
          subtract(a, b),
          min(a, b),
          max(a, b),
          sum(a.currency, [a, b]),
          times(a, 3),
          share(a, bp, 10_000, 'up'),
          percentOf(a, bp / 100, 'down'),
        ];
        // assert
        for (const r of results) {
          expect(r.currency).toBe(a.currency);
          expect(Number.isSafeInteger(r.amount)).toBe(true);
        }
      }),
      runs,
    );
  });
});

describe('formatMoney in English', () => {
  it('writes exactly what Intl writes, for currencies with 0, 2 and 3 minor digits, symbols and codes', () => {
    const currencies = ['EUR', 'JPY', 'KWD', 'USD', 'GBP', 'CHF', 'UAH', 'SEK', 'BHD', 'CLP'];
    fc.assert(
      fc.property(
        fc.constantFrom(...currencies),
        fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 2 ** 40 })),
        (c, amount) => {
          // arrange
          const digits = new Intl.NumberFormat('en', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits ?? 2;
          const intl = new Intl.NumberFormat('en', { style: 'currency', currency: c }).format(amount / 10 ** digits);
          // act / assert
          expect(formatMoney({ amount, currency: c }, 'en')).toBe(intl);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('money: allocate splits exactly, by largest remainder', () => {
  it('splits €10.00 over three equal weights as 3.34 + 3.33 + 3.33, the first part taking the left-over cent', () => {
    // act
    const parts = allocate(eur(1000), [1, 1, 1]);
    // assert
    expect(parts.map((p) => p.amount)).toEqual([334, 333, 333]);
  });

  it('gives the left-over units to the largest remainders, and splits evenly when every weight is zero', () => {
    // act
    const byPrice = allocate(eur(100), [1, 2, 4]);
    const free = allocate(eur(5), [0, 0]);
    // assert: exact shares 14.29, 28.57, 57.14 → remainders .29, .57, .14
    expect(byPrice.map((p) => p.amount)).toEqual([14, 29, 57]);
    expect(free.map((p) => p.amount)).toEqual([3, 2]);
  });

  it('refuses a negative total, negative or fractional weights, and an amount over no parts', () => {
    // act / assert
    expect(() => allocate(eur(-1), [1])).toThrow(RangeError);
    expect(() => allocate(eur(1), [1, -1])).toThrow(RangeError);
    expect(() => allocate(eur(1), [0.5])).toThrow(RangeError);
    expect(() => allocate(eur(1), [])).toThrow(RangeError);
    expect(allocate(eur(0), [])).toEqual([]);
  });

  it('parts sum exactly to the total, none is negative, and each is within one unit of its exact share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...currencies),
        (amount, weights, currency) => {
          // act
          const parts = allocate(money(amount, currency), weights);
          // assert
          expect(parts).toHaveLength(weights.length);
          expect(sum(currency, parts).amount).toBe(amount);
          const ws = weights.every((w) => w === 0) ? weights.map(() => 1) : weights;
          const total = ws.reduce((a, w) => a + w, 0);
          parts.forEach((p, i) => {
            expect(Number.isSafeInteger(p.amount)).toBe(true);
            expect(p.amount).toBeGreaterThanOrEqual(0);
            expect(p.currency).toBe(currency);
            // |part·total − amount·w| < total, in BigInt so large products stay exact
            const diff = BigInt(p.amount) * BigInt(total) - BigInt(amount) * BigInt(ws[i]!);
            expect(diff < BigInt(total) && diff > -BigInt(total)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same total and weights always split the same way', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 10 }),
        (a, w) => {
          // act / assert
          expect(allocate(eur(a), w)).toEqual(allocate(eur(a), [...w]));
        },
      ),
    );
  });
});
