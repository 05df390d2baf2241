import { grown } from './grown.js';
/**
 * The median of a growing list of numbers in O(log n) per added number: the lower half in a max-heap, the
 * upper half in a min-heap. Gives exactly `median()` of text-utils.ts on the same numbers (the same middle
 * elements, averaged the same way).
 *
 * The heaps are filled only once the median is asked for: `detect()` adds every number of a transcript and asks
 * once, and then the middle elements are selected from the list in linear time (quickselect), which costs a
 * fraction of keeping two heaps (the heaps were half of what timestamps add to a detect() call). A stream asks
 * after each number, and the heaps take over from the first question.
 */
export class RunningMedian {
  /** The lower half, negated (a min-heap of negations is a max-heap); holds the extra element when odd. */
  private readonly low = new MinHeap();
  /** The upper half. */
  private readonly high = new MinHeap();
  /** Every number added (kept across `clear()`: no regrowth per transcript); reordered by the selection. */
  private all = new Float64Array(32);
  private count = 0;
  /** How many of `all` the heaps hold (a prefix); 0 until the median has been asked for. */
  private inHeaps = 0;
  /** Whether the median was asked for since the last `clear()`. */
  private asked = false;

  /** How many numbers were added. */
  get size(): number {
    return this.count;
  }

  /** Forgets every number. */
  clear(): void {
    this.low.clear();
    this.high.clear();
    this.count = 0;
    this.inHeaps = 0;
    this.asked = false;
  }

  /** Adds one number (not NaN). */
  add(x: number): void {
    if (this.count === this.all.length) this.all = grown(this.all, this.count + 1);
    this.all[this.count++] = x;
  }

  /** The median; NaN when empty. */
  median(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    if (!this.asked) {
      this.asked = true;
      // The first question, with every number still unsorted: select the middle, heaps stay empty.
      if (n > 2) return this.selectMedian();
    }
    while (this.inHeaps < n) this.push(this.all[this.inHeaps++]!);
    return n % 2 === 1 ? -this.low.top() : (-this.low.top() + this.high.top()) / 2;
  }

  private push(x: number): void {
    // Negation is exact, so the lower half's largest is -low.top() to the bit.
    if (this.low.size === 0 || x <= -this.low.top()) this.low.push(-x);
    else this.high.push(x);
    if (this.low.size > this.high.size + 1) this.high.push(-this.low.pop());
    else if (this.high.size > this.low.size) this.low.push(-this.high.pop());
  }

  /**
   * The median of the `count` numbers by selection, in place: the same middle elements a sort puts there. The
   * order of `all` does not matter afterwards: the heaps, when they take over, hold the same numbers whatever
   * order they are pushed in.
   */
  private selectMedian(): number {
    const n = this.count;
    const a = this.all;
    const mid = n >> 1;
    select(a, n, mid);
    if (n % 2 === 1) return a[mid]!;
    // The lower middle is the largest of a[0, mid), all <= a[mid] after the selection.
    let lower = a[0]!;
    for (let k = 1; k < mid; k++) if (a[k]! > lower) lower = a[k]!;
    return (lower + a[mid]!) / 2;
  }
}

/**
 * Reorders `a[0, n)` so that `a[k]` is the value a sort would put there, everything before it `<=` and
 * everything after it `>=` (Hoare's quickselect, middle-of-three pivot; the numbers are never NaN).
 */
function select(a: Float64Array, n: number, k: number): void {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const m = (lo + hi) >> 1;
    // Middle of three into a[m], as the pivot.
    if (a[m]! < a[lo]!) swap(a, m, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[m]!) swap(a, hi, m);
    const pivot = a[m]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
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
