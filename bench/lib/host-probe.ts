/**
 * A probe for the host's share of the CPU core, for benches whose children come out bimodal. On the shared
 * 2-vCPU host these benches run on, there are episodes, seconds long, in which every process runs high-IPC
 * code ~1.7-1.8x slower (CPU time, not wall time) and then recovers, with the same JIT code (same instruction
 * counts under callgrind): the physical core is shared (see docs/design/heuristic-timestamps.md, "Slow child
 * processes"). A bench child timed during one reads slow for whatever it timed then. This probe times a fixed
 * arithmetic kernel with four independent chains (no memory beyond 16 KB, no allocation, nothing for the JIT to
 * change after warm-up), which slows ~1.55x in such an episode (a single dependent chain slows ~1.06x): a child
 * whose probe reads well above its siblings' ran in an episode. Over 300 ms windows of two processes, the
 * median probe and the median detect of the heuristic bench correlated at 0.95.
 */

/** A fixed table for the kernel (16 KB: stays in L1). */
const TABLE = new Int32Array(4096).map((_, i) => Math.imul(i, 0x9e3779b1) >>> 20);

/**
 * Four independent integer chains over {@link TABLE}, two operations a step each: throughput-bound, so sensitive
 * to a shared core.
 */
function kernel(): number {
  let a = 1;
  let b = 2;
  let c = 3;
  let d = 4;
  for (let i = 0; i < 40_000; i++) {
    const s = TABLE[i & 4095]!;
    a = ((a + s) ^ (s << 1)) | 0;
    b = ((b ^ s) + (s >> 1)) | 0;
    c = ((c - s) ^ (s << 2)) | 0;
    d = (d + (s ^ 5) - (s | 3)) | 0;
  }
  return (a + b + c + d) | 0;
}

/** The kernel's result (it is deterministic): each run is checked against it, so no run can be dropped. */
const EXPECTED = kernel();

/** One run of the kernel, checked. */
function run(): void {
  if (kernel() !== EXPECTED) throw new Error('host probe: the kernel gave a different result (a JIT bug?)');
}

for (let i = 0; i < 50; i++) run(); // warm: the kernel is optimized before the first sample

/**
 * Microseconds of CPU time of one run of the kernel (60-90 µs on an uncontended core of the AMD EPYC host,
 * ~1.55x that in an episode). Take one after each timed round and compare their median between the children of
 * one bench run, not across hosts.
 */
export function hostProbeUs(): number {
  const c0 = process.cpuUsage();
  run();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}
