import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { expect, it, vi } from 'vitest';
import { registerLoraCommand } from '../../src/cli/commands/lora.js';
import { loadOnnxModel } from '../../src/onnx/onnx-model.js';
import { readLinear } from '../../src/peft/merge.js';
import { CONVAI_DIR, describeWithShared, HF_TINY } from '../helpers/shared.js';
import { useWorkDir } from '../helpers/work-dir.js';

function program(): Command {
  const p = new Command('botlens').exitOverride();
  registerLoraCommand(p);
  return p;
}

describeWithShared('botlens lora', () => {
  const work = useWorkDir('botlens-cli-lora-');

  it('merge writes the merged model and lists what changed; a second run needs --force', async () => {
    const out = work.path('merged');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const args = [
        'node',
        'botlens',
        'lora',
        'merge',
        '--base',
        resolve(HF_TINY, 'tiny-bert-cls'),
        '--adapter',
        resolve(HF_TINY, 'tiny-bert-cls-lora'),
        '--out',
        out,
      ];
      await program().parseAsync(args);
      const printed = stdout.mock.calls.map((c) => String(c[0])).join('');
      expect(printed).toMatch(
        /merged {2}bert\.encoder\.layer\.0\.attention\.self\.query {2}\(r=8, scaling=4/,
      );
      expect(printed).toMatch(/replaced {2}classifier\.bias -> classifier\.bias \(added\)/);
      const merged = await loadOnnxModel(join(out, 'onnx/model.onnx'));
      const want = JSON.parse(await readFile(join(out, 'botlens-merge.json'), 'utf8')) as {
        replaced: unknown[];
      };
      expect(want.replaced).toHaveLength(2);
      expect(readLinear(merged, 'classifier').bias.some((b) => b !== 0)).toBe(true);
      await expect(program().parseAsync(args)).rejects.toThrow(/already exists/);
      await program().parseAsync([...args, '--force']);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });

  it('train writes a PEFT adapter folder and prints the figures', async () => {
    const out = work.path('adapter');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program().parseAsync([
        'node',
        'botlens',
        'lora',
        'train',
        '--model',
        resolve(HF_TINY, 'tiny-bert-cls'),
        '--data',
        join(CONVAI_DIR, 'dev.jsonl'),
        '--out',
        out,
        '--epochs',
        '2',
        '--max-length',
        '32',
        '--no-progress',
      ]);
      const summary = JSON.parse(stdout.mock.calls.map((c) => String(c[0])).join('')) as Record<
        string,
        unknown
      >;
      expect(summary['adapter']).toBe(out);
      expect(summary['trainableParameters']).toBe(1090);
      expect(stderr.mock.calls.some((c) => /epoch 1: train loss/.test(String(c[0])))).toBe(true);
      const cfg = JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(cfg['target_modules']).toEqual(['query', 'value']);
      await expect(
        program().parseAsync([
          'node',
          'botlens',
          'lora',
          'train',
          '--model',
          'x',
          '--data',
          join(CONVAI_DIR, 'dev.jsonl'),
          '--out',
          out,
          '--targets',
          'dense',
        ]),
      ).rejects.toThrow(/"dense" is not one of query, key, value/);
      // The adapter folder now holds files: a second train refuses it without --force, before reading anything.
      const before = await readFile(join(out, 'adapter_config.json'), 'utf8');
      const again = ['node', 'botlens', 'lora', 'train', '--model', resolve(HF_TINY, 'tiny-bert-cls')];
      const rest = [
        '--data',
        join(CONVAI_DIR, 'dev.jsonl'),
        '--out',
        out,
        '--epochs',
        '1',
        '--max-length',
        '32',
      ];
      await expect(program().parseAsync([...again, ...rest, '--no-progress'])).rejects.toThrow(
        /adapter already exists: pass --force to replace it/,
      );
      expect(await readFile(join(out, 'adapter_config.json'), 'utf8')).toBe(before);
      await program().parseAsync([...again, ...rest, '--no-progress', '--force', '--r', '4']);
      expect(JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({ r: 4 });
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
