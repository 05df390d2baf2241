/**
 * The model-loading bar's text fits the terminal: at 80 columns a bar labelled with the model's full path used
 * to push the percentage and the byte counts past the edge, where the terminal cut them off.
 */
import { describe, expect, it } from 'vitest';
import { byteCounts, elideMiddle, fitLoadBarLine, type LoadBarLine } from '../../src/cli/load-bar-line.js';

const drawBar = (progress: number, cells: number) =>
  '#'.repeat(Math.round(progress * cells)) + '.'.repeat(cells - Math.round(progress * cells));

const LONG_NAME = 'a-rather-long-model-folder-name-that-fills-a-narrow-terminal-by-itself';

const one: LoadBarLine = {
  models: ['tiny-bert-nli'],
  progress: 0.5,
  loaded: 660_000,
  total: 1_160_000,
  detail: 'onnx/model_quantized.onnx',
};

describe('fitLoadBarLine', () => {
  it('shows everything on a wide terminal, with a 40-cell bar', () => {
    expect(fitLoadBarLine(one, 200, drawBar)).toBe(
      `tiny-bert-nli [${drawBar(0.5, 40)}] 50% | 0.66/1.16 MB | onnx/model_quantized.onnx`,
    );
  });

  for (const columns of [120, 80, 60, 40, 30, 24, 20]) {
    it(`keeps the percentage and byte counts whole within ${columns} columns`, () => {
      for (const line of [
        one,
        { ...one, models: [LONG_NAME] },
        { ...one, models: ['tiny-bert-nli', 'tiny-gpt2', 'tiny-bert'], detail: `tiny-gpt2/${one.detail}` },
        { ...one, progress: 1, loaded: 1_160_000, detail: 'ready' },
      ]) {
        const text = fitLoadBarLine(line, columns, drawBar);
        expect(text.length).toBeLessThanOrEqual(columns - 1);
        expect(text).toMatch(/\b(50|100)% \| [\d.]+\/1\.16 MB/);
      }
    });
  }

  it('at 80 columns keeps the bar and elides the file name in the middle', () => {
    const text = fitLoadBarLine({ ...one, detail: `tiny-gpt2/${LONG_NAME}.onnx` }, 80, drawBar);
    expect(text).toMatch(/^tiny-bert-nli \[[#.]{10,}\] 50% \| 0\.66\/1\.16 MB \| tiny-gpt2\/.*….*\.onnx$/);
  });

  it('elides a long model name in the middle, and names several models by their count when they do not fit', () => {
    const long = fitLoadBarLine({ ...one, models: [LONG_NAME] }, 60, drawBar);
    expect(long).toMatch(/^a-rather.*….*by-itself \[[#.]{10}\] 50%/);
    const several = fitLoadBarLine(
      { ...one, models: ['tiny-bert-nli', 'tiny-gpt2', 'tiny-bert'] },
      48,
      drawBar,
    );
    expect(several).toMatch(/^3 models \[[#.]+\] 50% \| 0\.66\/1\.16 MB/);
  });

  it('drops the bar before the numbers, and the label too when only the numbers fit', () => {
    expect(fitLoadBarLine(one, 40, drawBar)).toBe('tiny-bert-nli 50% | 0.66/1.16 MB');
    expect(fitLoadBarLine(one, 24, drawBar)).toBe('50% | 0.66/1.16 MB');
  });

  for (const columns of [15, 10]) {
    it(`fits within ${columns} columns, keeping the percentage (the bars wrap a line one column too wide)`, () => {
      for (const line of [one, { ...one, models: [LONG_NAME] }, { ...one, progress: 1, loaded: 1_160_000 }]) {
        const text = fitLoadBarLine(line, columns, drawBar);
        expect(text.length).toBeLessThanOrEqual(columns - 1);
        expect(text).toMatch(/^(50|100)%$/);
      }
    });
  }

  it('keeps its layout while the numbers change (the bar does not come and go)', () => {
    const widths = [
      { loaded: 300, total: 31_500 },
      { loaded: 31_500, total: 31_500 },
      { loaded: 689_000, total: 689_000 },
      { loaded: 1_230_000, total: 1_230_000 },
    ].map((n) => fitLoadBarLine({ ...one, ...n, progress: n.loaded / n.total }, 80, drawBar).indexOf(']'));
    expect(new Set(widths).size).toBe(1);
  });
});

describe('elideMiddle', () => {
  it('keeps both ends', () => {
    expect(elideMiddle('/work/shared/fixtures/hf-tiny/tiny-bert', 20)).toBe('/work/sha…/tiny-bert');
    expect(elideMiddle('short', 20)).toBe('short');
    expect(elideMiddle('abc', 1)).toBe('…');
  });
});

describe('byteCounts', () => {
  it('gives both counts in the unit of the total, with its three significant digits', () => {
    expect(byteCounts(314, 314)).toBe('314/314 B');
    expect(byteCounts(1000, 31_481)).toBe('1.0/31.5 kB');
    expect(byteCounts(616_602, 1_160_462)).toBe('0.62/1.16 MB');
    expect(byteCounts(0, 4_000_000_000)).toBe('0.00/4.00 GB');
  });
});
