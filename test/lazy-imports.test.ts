import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Runs `code` in a fresh Node process (TypeScript through tsx) and returns the native libraries it loaded.
 * transformers.js imports onnxruntime-node and sharp at its top level, so their native bindings appearing in
 * the process report means one of the heavy runtimes was imported.
 */
function nativeLibsAfter(code: string): string[] {
  const script = `${code}
const libs = process.report.getReport().sharedObjects.filter((p) => /onnxruntime|sharp|hnswlib|addon\\.node/.test(p));
console.log(JSON.stringify(libs));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}

describe('importing botlens is light', () => {
  it('loads no ONNX Runtime, sharp or hnswlib native code when the package and its subpaths are imported', () => {
    const libs = nativeLibsAfter(`
      await import('./src/index.ts');
      await import('./src/detectors/index.ts');
      await import('./src/peft/index.ts');
      await import('./src/quant/index.ts');
      await import('./src/select/index.ts');`);
    expect(libs).toEqual([]);
  });

  it('loads none of them while the heuristic detector runs', () => {
    const libs = nativeLibsAfter(`
      const { HeuristicDetector } = await import('./src/index.ts');
      const d = new HeuristicDetector();
      await d.detect({ target: 'b', messages: [{ speaker: 'a', text: 'hi' }, { speaker: 'b', text: 'Hello ! How are you ?' }] });`);
    expect(libs).toEqual([]);
  });

  it('does see ONNX Runtime once transformers.js is imported (the check can fail)', () => {
    const libs = nativeLibsAfter(`await import('@huggingface/transformers');`);
    expect(libs.some((p) => p.includes('onnxruntime'))).toBe(true);
  });
});
