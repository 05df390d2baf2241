/**
 * Part 4 of bench/optimize.ts: ONNX Runtime's per-operator profile of the optimized fp32 and q8 graphs, the six
 * operators that take the most kernel time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OptimizeBench } from './context.js';
import { type Feeds, session } from './sessions.js';

/**
 * Profiles and prints part 4.
 *
 * @param bench - the bench
 * @param feeds - one batch (part 3's)
 * @param tokens - its padded length per text, for the heading
 */
export async function printProfiles(bench: OptimizeBench, feeds: Feeds, tokens: number): Promise<void> {
  const { optimized } = bench.models;
  for (const [label, path] of [
    ['fp32', join(optimized, 'onnx/model.onnx')],
    ['q8', join(optimized, 'onnx/model_quantized.onnx')],
  ] as const) {
    const prefix = join(bench.work, `profile-${label}`);
    const s = await session(path, { enableProfiling: true, profileFilePrefix: prefix });
    for (let i = 0; i < 3; i++) await s.run(feeds);
    s.endProfiling();
    await s.release();
    const file = readdirSync(bench.work).find((n) => n.startsWith(`profile-${label}`));
    if (!file) continue;
    const events = JSON.parse(readFileSync(join(bench.work, file), 'utf8')) as {
      cat?: string;
      name: string;
      dur: number;
      args?: { op_name?: string };
    }[];
    const byOp = new Map<string, number>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const op = e.args?.op_name ?? '?';
      byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    }
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    const top = [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(
      `\n4. ONNX Runtime profile of the optimized ${label} graph (batch ${bench.batch} x ${tokens} tokens, 3 runs): ${top
        .map(([op, us]) => `${op} ${((100 * us) / total).toFixed(1)}%`)
        .join(', ')}`,
    );
  }
}
