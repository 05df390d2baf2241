/**
 * LoRA training refuses labelled data of one class (it would learn nothing, log `val F1 0.000` each epoch and
 * still write an adapter), and a validation split too small to hold both classes, before any model is loaded.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabelledTranscript } from '../../src/core/transcript.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { trainLora } from '../../src/peft/training/train-lora.js';
import { runCli } from '../helpers/run-cli.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-lora-one-class-');

/** A model path that does not exist: the refusals must come before any model is looked for. */
const NO_MODEL = '/nonexistent/botlens-no-model';

function chats(humans: number, bots: number): LabelledTranscript[] {
  const one = (i: number, label: 'human' | 'bot'): LabelledTranscript => ({
    target: 'a',
    label,
    messages: [
      { speaker: 'a', text: `message ${i} from ${label}` },
      { speaker: 'b', text: 'ok' },
    ],
  });
  return [
    ...Array.from({ length: humans }, (_, i) => one(i, 'human')),
    ...Array.from({ length: bots }, (_, i) => one(i, 'bot')),
  ];
}

async function refusal(options: Parameters<typeof trainLora>[0]): Promise<InvalidOptionsError> {
  const err = await trainLora(options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidOptionsError);
  return err as InvalidOptionsError;
}

describe('trainLora on one-class data', () => {
  it('refuses examples that are all human (or all bot), naming the missing class', async () => {
    const humans = await refusal({ model: NO_MODEL, examples: chats(20, 0), out: work.path('a') });
    expect(humans.option).toBe('examples');
    expect(humans.message).toContain('needs both human and bot examples');
    expect(humans.message).toContain('the 20 examples are all human: add bot examples (label "bot")');
    const bots = await refusal({ model: NO_MODEL, examples: chats(0, 1), validationSplit: 0 });
    expect(bots.message).toContain('the one example is bot: add human examples');
    expect(existsSync(work.path('a'))).toBe(false);
  });

  it('refuses a validation set, or a split, that holds only one class', async () => {
    const given = await refusal({ model: NO_MODEL, examples: chats(5, 5), validation: chats(3, 0) });
    expect(given.option).toBe('validation');
    expect(given.message).toContain('the 3 validation examples are all human');
    // 1 bot, 9 humans: 20% of one bot rounds to none held out
    const tiny = await refusal({ model: NO_MODEL, examples: chats(9, 1) });
    expect(tiny.option).toBe('validationSplit');
    expect(tiny.message).toContain('the 2 validation examples are all human');
  });

  describeWithShared('on a real model', () => {
    it('a split keeps one example of each class for training (1 and 1 at 0.5 used to train on nothing)', async () => {
      const res = await trainLora({
        model: resolve(HF_TINY, 'tiny-bert-cls'),
        examples: chats(1, 1),
        validationSplit: 0.5,
        epochs: 1,
        maxLength: 16,
      });
      expect(res.counts).toEqual({ train: 2, validation: 0, skipped: 0 });
    }, 60_000);
  });

  it('the CLI reports it and writes no adapter', async () => {
    const data = work.path('humans.jsonl');
    await writeFile(
      data,
      `${chats(12, 0)
        .map((t) => JSON.stringify(t))
        .join('\n')}\n`,
    );
    const out = work.path('adapter');
    const r = await runCli(['lora', 'train', '--model', resolve(NO_MODEL), '--data', data, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('needs both human and bot examples');
    expect(r.stderr).not.toContain('val F1');
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
