import { describe, expect, it } from 'vitest';
import { nativeLibsAfter } from './helpers/native-libs.js';

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
