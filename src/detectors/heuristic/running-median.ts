/**
 * The median of a growing list of numbers in O(log n) per added number: the lower half in a max-heap, the
 * upper half in a min-heap. Gives exactly `median()` of text-utils.ts on the same numbers (the same middle
 * elements, averaged the same way).
 */
export class RunningMedian {
  /** Max-heap of the lower half (holds the extra element when the count is odd). */
  private readonly low: number[] = [];
  /** Min-heap of the upper half. */
  private readonly high: number[] = [];

  /** How many numbers were added. */
  get size(): number {
    return this.low.length + this.high.length;
  }

  /** Forgets every number. */
  clear(): void {
    this.low.length = 0;
    this.high.length = 0;
  }

  /** Adds one number (not NaN). */
  add(x: number): void {
    if (this.low.length === 0 || x <= this.low[0]!) push(this.low, x, greater);
    else push(this.high, x, less);
    if (this.low.length > this.high.length + 1) push(this.high, pop(this.low, greater), less);
    else if (this.high.length > this.low.length) push(this.low, pop(this.high, less), greater);
  }

  /** The median; NaN when empty. */
  median(): number {
    const n = this.size;
    if (n === 0) return Number.NaN;
    return n % 2 === 1 ? this.low[0]! : (this.low[0]! + this.high[0]!) / 2;
  }
}

const greater = (a: number, b: number): boolean => a > b;
const less = (a: number, b: number): boolean => a < b;

/** Pushes onto a binary heap whose root is the `before`-most element. */
function push(heap: number[], x: number, before: (a: number, b: number) => boolean): void {
  let i = heap.length;
  heap.push(x);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(x, heap[parent]!)) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = x;
}

/** Removes and returns the root of a non-empty heap. */
function pop(heap: number[], before: (a: number, b: number) => boolean): number {
  const top = heap[0]!;
  const last = heap.pop()!;
  const n = heap.length;
  if (n === 0) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
    if (!before(heap[c]!, last)) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = last;
  return top;
}
