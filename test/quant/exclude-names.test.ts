/**
 * `exclude` entries that match no layer are refused (library and CLI) with the nearest real names, instead of
 * keeping nothing in float32 without a word; in a folder of several models an entry needs to match one of them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { quantize } from '../../src/quant/quantize.js';
import { runCli } from '../helpers/run-cli.js';
import { describeWithShared } from '../helpers/shared.js';
import { cleanTemps, copyFixtures } from './fixtures.js';

afterAll(cleanTemps);

describeWithShared('quantize exclude names', () => {
  it('refuses a PyTorch parameter name and a typo, listing the nearest module names, and writes nothing', async () => {
    const root = copyFixtures('tiny-bert');
    const dir = join(root, 'tiny-bert');
    for (const [name, nearest] of [
      ['bert.encoder.layer.0.attention.self.query.weight', 'encoder.layer.0.attention.self.query'],
      ['encoder.layer.0.atention.self.value', 'encoder.layer.0.attention.self.value'],
    ] as const) {
      const err = await quantize(dir, { bits: 8, exclude: [name], overwrite: true, verify: false }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as InvalidOptionsError).option).toBe('exclude');
      expect((err as Error).message).toContain(`"${name}" (nearest: "${nearest}"`);
      expect((err as Error).message).toContain('without ".weight"');
    }
    expect(existsSync(join(dir, 'onnx/model_q4.onnx'))).toBe(true); // the fixture's own, untouched
    const ok = await quantize(dir, { bits: 4, exclude: ['layer.0'], overwrite: true, verify: false });
    expect(ok.files[0]!.report.kept.filter((k) => k.reason === 'excluded by layer.0')).toHaveLength(6);
  }, 60_000);

  it('in a folder of several models, takes a name of one model and refuses one of none, naming the files', async () => {
    const dir = join(copyFixtures('tiny-clip'), 'tiny-clip');
    const ok = await quantize(dir, { bits: 8, exclude: ['text_model.encoder'], verify: false });
    expect(
      ok.files.map((f) => f.report.kept.some((k) => k.reason === 'excluded by text_model.encoder')),
    ).toEqual([true, false]);
    const err = await quantize(dir, {
      bits: 8,
      exclude: ['text_projection', 'vision_projection', /nothing_here/],
      overwrite: true,
      verify: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as Error).message).toContain('"vision_projection" (nearest: "visual_projection"');
    expect((err as Error).message).toContain('/nothing_here/ match no quantizable layer of text_model.onnx');
    expect((err as Error).message).not.toContain('"text_projection" (');
  }, 60_000);

  it('the CLI reports the unmatched name and exits 1 without writing', async () => {
    const dir = join(copyFixtures('tiny-bert'), 'tiny-bert');
    const r = await runCli([
      'quantize',
      dir,
      '--bits',
      '8',
      '--overwrite',
      '--no-verify',
      '--exclude',
      'layer.0,laer.1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"laer.1" (nearest: "layer.1"');
    expect(r.stdout).toBe('');
  }, 60_000);
});
