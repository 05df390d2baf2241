import { describe, expect, it } from 'vitest';
import { withFieldsOnRead } from '../../src/core/detection.js';

function lazy(writes: { n: number }) {
  return withFieldsOnRead({ a: 1, b: 'two' }, ['evidence', 'explanation'], () => {
    writes.n++;
    return { evidence: [{ name: 'x', value: 0.5 }], explanation: ['one', 'two'] };
  }) as { a: number; b: string; evidence: unknown[]; explanation: string[] };
}

describe('withFieldsOnRead', () => {
  it('writes every field once, on the first read, and reads like plain properties', () => {
    const writes = { n: 0 };
    const o = lazy(writes);
    expect(writes.n).toBe(0);
    expect(Object.keys(o)).toEqual(['a', 'b', 'evidence', 'explanation']);
    expect(JSON.stringify(o)).toBe(
      JSON.stringify({ a: 1, b: 'two', evidence: [{ name: 'x', value: 0.5 }], explanation: ['one', 'two'] }),
    );
    expect(o.explanation).toBe(o.explanation);
    expect({ ...o }.evidence).toBe(o.evidence);
    expect(structuredClone(o)).toEqual({ ...o });
    expect(writes.n).toBe(1);
  });

  it('keeps a field assigned before the others were written, and each object its own values', () => {
    const writes = { n: 0 };
    const o = lazy(writes);
    const other = lazy(writes);
    o.evidence = [];
    expect(o.evidence).toEqual([]);
    expect(o.explanation).toEqual(['one', 'two']);
    expect(o.evidence).toEqual([]);
    expect(other.evidence).toEqual([{ name: 'x', value: 0.5 }]);
    other.explanation = ['changed'];
    expect(other.explanation).toEqual(['changed']);
    expect(o.explanation).toEqual(['one', 'two']);
  });
});
