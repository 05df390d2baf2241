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
});
