import { grown } from './grown.js';
/**
 * The median of a growing list of numbers in O(log n) per added number: the lower half in a max-heap, the
 * upper half in a min-heap. Gives exactly `median()` of text-utils.ts on the same numbers (the same middle
 * elements, averaged the same way).
 */
export class RunningMedian {
  /** The lower half, negated (a min-heap of negations is a max-heap); holds the extra element when odd. */
  private readonly low = new MinHeap();
  /** The upper half. */
  private readonly high = new MinHeap();

  /** How many numbers were added. */
  get size(): number {
    return this.low.size + this.high.size;
  }

  /** Forgets every number. */
  clear(): void {
    this.low.clear();
    this.high.clear();
  }

  /** Adds one number (not NaN). */
  add(x: number): void {
    // Negation is exact, so the lower half's largest is -low.top() to the bit.
    if (this.low.size === 0 || x <= -this.low.top()) this.low.push(-x);
    else this.high.push(x);
    if (this.low.size > this.high.size + 1) this.high.push(-this.low.pop());
    else if (this.high.size > this.low.size) this.low.push(-this.high.pop());
  }

  /** The median; NaN when empty. */
  median(): number {
    const n = this.size;
    if (n === 0) return Number.NaN;
    return n % 2 === 1 ? -this.low.top() : (-this.low.top() + this.high.top()) / 2;
  }
}

/** A binary min-heap of numbers (one comparison, so its calls stay monomorphic and inlined). */
class MinHeap {
  /** Typed and kept across `clear()`: no regrowth per transcript. */
  private heap = new Float64Array(32);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  /** The smallest number (the heap must not be empty). */
  top(): number {
    return this.heap[0]!;
  }

  push(x: number): void {
    if (this.size === this.heap.length) this.heap = grown(this.heap, this.size + 1);
    const heap = this.heap;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!(x < heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = x;
  }

  /** Removes and returns the smallest number (the heap must not be empty). */
  pop(): number {
    const heap = this.heap;
    const top = heap[0]!;
    const n = --this.size;
    if (n === 0) return top;
    const last = heap[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]! < heap[l]! ? r : l;
      if (!(heap[c]! < last)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}
