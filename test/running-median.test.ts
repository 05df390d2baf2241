import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunningMedian } from '../src/detectors/heuristic/running-median.js';
import { median } from '../src/detectors/heuristic/text-utils.js';

describe('RunningMedian', () => {
  // Signed zeros aside (a reply delay or a typing speed is never -0), which sorting orders arbitrarily.
  it('after every number equals median() of the numbers so far, bit for bit', () => {
    const numbers = fc.array(
      fc.oneof(
        fc.integer({ min: -5, max: 5 }),
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((x) => x + 0),
        fc.constantFrom(0, 0.1, 1e-300),
      ),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(numbers, (xs) => {
        const m = new RunningMedian();
        expect(m.median()).toBeNaN();
        xs.forEach((x, i) => {
          m.add(x);
          expect(m.size).toBe(i + 1);
          expect(m.median()).toBe(median(xs.slice(0, i + 1)));
        });
        m.clear();
        expect(m.size).toBe(0);
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it('selects the first median of many numbers, then keeps it with the heaps, bit for bit as median()', () => {
    const numbers = fc.array(
      fc.oneof(
        fc.integer({ min: -50, max: 50 }),
        fc.double({ noNaN: true, min: -1e6, max: 1e6 }).map((x) => x + 0),
      ),
      { minLength: 3, maxLength: 80 },
    );
    fc.assert(
      fc.property(numbers, fc.nat(), (xs, at) => {
        const first = 3 + (at % (xs.length - 2));
        const m = new RunningMedian();
        // Asked for the first time after `first` numbers (a selection), then after each further one (the heaps).
        for (const x of xs.slice(0, first)) m.add(x);
        expect(m.median()).toBe(median(xs.slice(0, first)));
        for (let i = first; i < xs.length; i++) {
          m.add(xs[i]!);
          expect(m.median()).toBe(median(xs.slice(0, i + 1)));
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
