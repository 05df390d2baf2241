import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { FewShotPromptDetector } from '../src/detectors/few-shot/few-shot-prompt-detector.js';
import {
  chatMessages,
  dialogueLines,
  fitPromptToBudget,
  type PromptParts,
  renderPlainPrompt,
} from '../src/detectors/few-shot/prompt-format.js';
import { detectorFromState } from '../src/detectors/registry.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { NotFittedError } from '../src/errors/not-fitted-error.js';
import { sigmoid } from '../src/numeric/logistic-regression.js';
import { CausalLmScorer } from '../src/runtime/causal-lm-scorer.js';
import { HashingEmbedder } from '../src/runtime/hashing-embedder.js';
import { loadedModels } from '../src/runtime/load-model.js';
import { TransformersEmbedder } from '../src/runtime/transformers-embedder.js';
import { CONVAI_DIR, describeWithShared, HF_TINY } from './helpers/shared.js';
import { chat } from './helpers/transcripts.js';

const TINY_GPT2 = resolve(HF_TINY, 'tiny-gpt2');
const WORDS = { bot: ' bot', human: ' human' };

/** Counts whitespace-separated pieces: a stand-in tokenizer for the pure prompt tests. */
const countWords = (s: string) => s.split(/\s+/).filter(Boolean).length;

function example(label: 'bot' | 'human', lines: number, tag: string) {
  return { label, lines: Array.from({ length: lines }, (_, i) => `Target: ${tag} line ${i}`) };
}

describe('dialogue formatting', () => {
  const t = validateTranscript({
    target: 'helperbot',
    messages: [
      { speaker: 'maya', text: 'hey!\nanyone  here?' },
      { speaker: 'helperbot', text: 'Hello ! I am happy to help you .' },
      { speaker: 'sam', text: 'hi' },
      { speaker: 'maya', text: 'x'.repeat(30) },
    ],
  });

  it('anonymizes speakers, flattens line breaks and clips long messages', () => {
    expect(dialogueLines(t, { maxMessageChars: 11 })).toEqual([
      'Other: hey! …here?',
      'Target: Hello…you .',
      'Other 2: hi',
      `Other: ${'x'.repeat(5)}…${'x'.repeat(5)}`,
    ]);
  });

  it('keeps names when asked', () => {
    expect(dialogueLines(t, { anonymize: false })[1]).toBe('helperbot: Hello ! I am happy to help you .');
    expect(() => dialogueLines(t, { maxMessageChars: 0 })).toThrow(InvalidOptionsError);
  });

  it('renders a plain prompt that ends where the answer goes', () => {
    const parts: PromptParts = {
      instruction: 'Bot or human?',
      examples: [{ lines: ['Target: hi'], label: 'human' }],
      target: ['Target: Hello !'],
    };
    expect(renderPlainPrompt(parts, WORDS)).toBe(
      'Bot or human?\n\nConversation:\nTarget: hi\nAnswer: human\n\nConversation:\nTarget: Hello !\nAnswer:',
    );
    const msgs = chatMessages(parts, WORDS);
    expect(msgs.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(msgs[2]!.content).toBe('human');
    expect(msgs[3]!.content).toContain('Target: Hello !');
  });
});

describe('fitPromptToBudget', () => {
  const parts: PromptParts = {
    instruction: 'task',
    examples: [example('human', 6, 'first'), example('bot', 6, 'second'), example('human', 6, 'third')],
    target: ['Other: t0', 'Target: t1', 'Other: t2', 'Target: t3 with a few more words'],
  };
  const render = (p: PromptParts) => renderPlainPrompt(p, WORDS);
  const full = countWords(render(parts));

  it('leaves a prompt that fits alone', () => {
    const r = fitPromptToBudget(parts, { render, countTokens: countWords, budget: full });
    expect(r.truncated).toBe(false);
    expect(r.tokens).toBe(full);
    expect(r.text).toBe(render(parts));
  });

  it('shortens every example to its last lines first', () => {
    const r = fitPromptToBudget(parts, { render, countTokens: countWords, budget: full - 10 });
    expect(r.truncated).toBe(true);
    expect(r.tokens).toBeLessThanOrEqual(full - 10);
    expect(r.parts.examples.length).toBe(3);
    for (const e of r.parts.examples) {
      expect(e.lines.length).toBeLessThan(6);
      expect(e.lines.at(-1)).toMatch(/line 5$/); // the end of each example is kept
    }
    expect(r.parts.target).toEqual(parts.target);
  });

  it('then drops the least relevant (first) examples, never target turns', () => {
    const two = fitPromptToBudget(parts, {
      render,
      countTokens: countWords,
      budget: countWords(
        render({
          ...parts,
          examples: parts.examples.slice(1).map((e) => ({ ...e, lines: e.lines.slice(-2) })),
        }),
      ),
    });
    expect(two.parts.examples.map((e) => e.lines[0]!.split(' ')[1])).toEqual(['second', 'third']);
    expect(two.parts.target).toEqual(parts.target);
  });

  it("with no example left, keeps the target's last turns", () => {
    const budget = countWords(render({ ...parts, examples: [], target: parts.target.slice(-2) }));
    const r = fitPromptToBudget(parts, { render, countTokens: countWords, budget });
    expect(r.parts.examples).toEqual([]);
    expect(r.parts.target).toEqual(parts.target.slice(-2));
    expect(r.tokens).toBeLessThanOrEqual(budget);
  });

  it('finally cuts the last turn from its start, keeping its end', () => {
    const budget = countWords(render({ ...parts, examples: [], target: ['Target: …more words'] }));
    const r = fitPromptToBudget(parts, { render, countTokens: countWords, budget });
    expect(r.parts.target).toHaveLength(1);
    expect(r.parts.target[0]).toMatch(/^Target: ….*more words$/);
    expect(() => fitPromptToBudget(parts, { render, countTokens: countWords, budget: 3 })).toThrow(
      /contextTokens/,
    );
  });
});

describe('FewShotPromptDetector options (no model needed)', () => {
  it('rejects bad options and bad examples', () => {
    expect(() => new FewShotPromptDetector({ shots: 0 })).toThrow(InvalidOptionsError);
    expect(() => new FewShotPromptDetector({ shots: 17 })).toThrow(InvalidOptionsError);
    expect(() => new FewShotPromptDetector({ scoring: 'max' as 'sequence' })).toThrow(InvalidOptionsError);
    expect(() => new FewShotPromptDetector({ words: { bot: ' x', human: ' x' } })).toThrow(/differ/);
    expect(() => new FewShotPromptDetector({ words: { bot: '  ' } })).toThrow(InvalidOptionsError);
    expect(() => new FewShotPromptDetector({ contextTokens: 2 })).toThrow(InvalidOptionsError);
    expect(() => new FewShotPromptDetector({ chatTemplate: 'always' as 'auto' })).toThrow(
      InvalidOptionsError,
    );
    expect(() => new FewShotPromptDetector({ embedder: {} as never })).toThrow(/Embedder/);
    expect(
      () =>
        new FewShotPromptDetector({
          examples: [{ messages: [{ speaker: 'a', text: 'hi' }], label: 'maybe' } as never],
        }),
    ).toThrow(/examples\[0\]\.label/);
  });

  it('defaults to the zoo fewshot model', () => {
    expect(new FewShotPromptDetector().toJSON()['model']).toEqual({
      model: 'onnx-community/Qwen2.5-0.5B-Instruct',
    });
  });
});

describeWithShared('FewShotPromptDetector on tiny-gpt2', () => {
  let lm: CausalLmScorer;
  let pool: LabelledTranscript[] = [];
  let target: Transcript;

  beforeAll(async () => {
    lm = new CausalLmScorer({ model: TINY_GPT2 });
    const rows = await readTranscriptsJsonl(resolve(CONVAI_DIR, 'dev.jsonl'));
    pool = rows.slice(0, 30);
    target = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '../examples/transcript.json'), 'utf8'),
    ) as Transcript;
  });
  afterAll(async () => {
    await lm?.dispose();
  });

  it('scores P(bot) / (P(bot) + P(human)) from the next-token probabilities of its prompt', async () => {
    const d = new FewShotPromptDetector({ model: TINY_GPT2, examples: pool, shots: 3 });
    try {
      const p = await d.buildPrompt(target);
      expect(p.chat).toBe(false);
      expect(p.exampleLabels).toHaveLength(3);
      expect(new Set(p.exampleLabels)).toEqual(new Set(['bot', 'human']));
      expect(p.text.match(/^Conversation:$/gm)).toHaveLength(4); // 3 examples + the target
      expect(p.text.endsWith('\nAnswer:')).toBe(true);
      expect(p.text).toContain('Target: I am not sure what you mean . What do you do for a living ?');
      const r = await d.detect(target);
      const { logprobs } = await lm.nextTokenDistribution(p.text, [' bot', ' human']);
      const pb = Math.exp(logprobs[0]!);
      const ph = Math.exp(logprobs[1]!);
      expect(r.score).toBeCloseTo(pb / (pb + ph), 12);
      expect(r.evidence.find((e) => e.name === 'p_bot_word')!.value).toBeCloseTo(pb, 15);
      expect(r.label).toBe(r.score! >= 0.5 ? 'bot' : 'human');
    } finally {
      await d.dispose();
    }
  });

  it('compares whole words with sequence scoring', async () => {
    const d = new FewShotPromptDetector({
      model: TINY_GPT2,
      examples: pool,
      shots: 4,
      scoring: 'sequence',
    });
    try {
      const p = await d.buildPrompt(target);
      expect(p.exampleLabels).toHaveLength(4);
      const r = await d.detect(target);
      const { logprobs } = await lm.sequenceLogprobs(p.text, [' bot', ' human']);
      expect(r.score).toBeCloseTo(sigmoid(logprobs[0]! - logprobs[1]!), 12);
    } finally {
      await d.dispose();
    }
  });

  it("fits a tiny context by cutting examples first and keeps the target's last turns", async () => {
    const long: Transcript = {
      target: 'b',
      messages: Array.from({ length: 40 }, (_, i) => ({
        speaker: i % 2 === 0 ? 'a' : 'b',
        text: `message number ${i} says something fairly ordinary here`,
      })),
    };
    const d = new FewShotPromptDetector({ model: TINY_GPT2, examples: pool, shots: 5, contextTokens: 160 });
    try {
      const p = await d.buildPrompt(long);
      expect(p.tokens).toBeLessThanOrEqual(160);
      expect((await lm.tokenize(p.text)).length).toBe(p.tokens);
      expect(p.truncated).toBe(true);
      expect(p.exampleLabels.length).toBeLessThan(5);
      expect(p.text).toContain('Target: message number 39 says something fairly ordinary here\nAnswer:');
      expect(p.text).toContain('message number 38');
      expect(p.text).not.toContain('message number 0 says');
      const r = await d.detect(long);
      expect(r.score).toBeGreaterThan(0);
    } finally {
      await d.dispose();
    }
    // A short target leaves room for the examples under the same budget.
    const roomy = new FewShotPromptDetector({
      model: TINY_GPT2,
      examples: pool,
      shots: 3,
      contextTokens: 400,
    });
    try {
      const p = await roomy.buildPrompt({ target: 'b', messages: [{ speaker: 'b', text: 'hello there' }] });
      expect(p.tokens).toBeLessThanOrEqual(400);
      expect(p.exampleLabels.length).toBeGreaterThan(0);
      expect(p.text).toContain('Target: hello there\nAnswer:');
    } finally {
      await roomy.dispose();
    }
  });

  it("uses the tokenizer's chat template when it has one", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-chat-'));
    try {
      cpSync(TINY_GPT2, dir, { recursive: true });
      const cfgPath = join(dir, 'tokenizer_config.json');
      const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
      cfg['chat_template'] =
        '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';
      writeFileSync(cfgPath, JSON.stringify(cfg));
      const d = new FewShotPromptDetector({ model: dir, examples: pool, shots: 3 });
      const plain = new FewShotPromptDetector({
        model: dir,
        examples: pool,
        shots: 3,
        chatTemplate: 'never',
      });
      const chatLm = new CausalLmScorer({ model: dir });
      try {
        const p = await d.buildPrompt(target);
        expect(p.chat).toBe(true);
        expect(p.words).toEqual({ bot: 'bot', human: 'human' });
        expect(p.text.startsWith('<|im_start|>system\n')).toBe(true);
        expect(p.text.endsWith('<|im_start|>assistant\n')).toBe(true);
        expect(p.text.match(/<\|im_start\|>assistant\n(bot|human)<\|im_end\|>/g)).toHaveLength(3);
        const r = await d.detect(target);
        const { logprobs } = await chatLm.nextTokenDistribution(p.text, ['bot', 'human']);
        expect(r.score).toBeCloseTo(sigmoid(logprobs[0]! - logprobs[1]!), 12);
        expect((await plain.buildPrompt(target)).chat).toBe(false);
      } finally {
        await Promise.all([d.dispose(), plain.dispose(), chatLm.dispose()]);
      }
      // A template that refuses system messages gets the instruction in the first user turn.
      cfg['chat_template'] =
        "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}";
      const strictDir = `${dir}-strict`;
      cpSync(dir, strictDir, { recursive: true });
      writeFileSync(join(strictDir, 'tokenizer_config.json'), JSON.stringify(cfg));
      const strict = new FewShotPromptDetector({ model: strictDir, examples: pool, shots: 3 });
      try {
        const p = await strict.buildPrompt(target);
        expect(p.chat).toBe(true);
        expect(p.text.startsWith('[user] Each conversation below')).toBe(true);
        expect(p.text.endsWith('[assistant] ')).toBe(true);
      } finally {
        await strict.dispose();
        rmSync(strictDir, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rebuilds a transformers embedder from its saved id, found where the language model is', async () => {
    const examples: LabelledTranscript[] = [
      'hello ! what do you like ?',
      'lol same here',
      'I am a bot .',
      'brb',
    ].map((text, i) => ({
      label: i % 2 ? 'human' : 'bot',
      target: 's',
      messages: [{ speaker: 's', text }],
    }));
    const embedder = new TransformersEmbedder({ model: 'tiny-bert', modelDir: HF_TINY });
    const d = new FewShotPromptDetector({ model: 'tiny-gpt2', modelDir: HF_TINY, embedder, shots: 2 });
    try {
      await d.fit(examples);
      const state = JSON.parse(JSON.stringify(d.toJSON()));
      expect(state.embedder).toBe(embedder.id);
      const restored = FewShotPromptDetector.fromJSON(state);
      try {
        const t = { target: 'x', messages: [{ speaker: 'x', text: 'what do you like to do ?' }] };
        expect((await restored.buildPrompt(t)).text).toBe((await d.buildPrompt(t)).text);
      } finally {
        await restored.dispose();
      }
    } finally {
      await d.dispose();
      await embedder.dispose();
    }
  });

  it('picks the most similar examples with an embedder, keeping both labels', async () => {
    const mk = (label: 'bot' | 'human', text: string): LabelledTranscript => ({
      label,
      target: 's',
      messages: [{ speaker: 's', text }],
    });
    const examples = [
      mk('human', 'my cat knocked the plant off the shelf again lol'),
      mk('bot', 'I like to go hiking . What do you do for fun ?'),
      mk('human', 'pizza tonight? i can bring drinks'),
      mk('bot', 'Hello ! I am a bot . I love ramen and noodles . What food do you like ?'),
      mk('human', 'ugh monday again, the train was late'),
      mk('human', 'honestly ramen near the station is the best, the noodles are amazing'),
    ];
    const embedder = new HashingEmbedder();
    const d = new FewShotPromptDetector({ model: TINY_GPT2, embedder, shots: 3 });
    try {
      await d.fit(examples);
      const p = await d.buildPrompt({
        target: 'x',
        messages: [
          { speaker: 'x', text: 'I love ramen and noodles near the station . What food do you like ?' },
        ],
      });
      expect(p.exampleLabels).toHaveLength(3);
      expect(new Set(p.exampleLabels)).toEqual(new Set(['bot', 'human']));
      const blocks = p.text.split('\n\nConversation:\n').slice(1, -1);
      expect(blocks).toHaveLength(3);
      // The ramen examples are the nearest two; the most similar sits next to the target.
      expect(blocks.slice(1).every((b) => b.includes('ramen'))).toBe(true);
      expect(blocks.some((b) => b.includes('monday'))).toBe(false);

      // Saved state: the same embedder back, or one rebuilt from the saved id; never a different one.
      const state = JSON.parse(JSON.stringify(d.toJSON()));
      expect(() =>
        FewShotPromptDetector.fromJSON(state, { embedder: new HashingEmbedder({ dim: 64 }) }),
      ).toThrow(/was made with/);
      expect(() => FewShotPromptDetector.fromJSON({ ...state, embedder: 'custom:mine' })).toThrow(
        /cannot rebuild embedder "custom:mine"/,
      );
      const t = { target: 'x', messages: [{ speaker: 'x', text: 'ramen is my favourite food' }] };
      const expected = (await d.buildPrompt(t)).text;
      for (const restored of [
        FewShotPromptDetector.fromJSON(state, { embedder }),
        FewShotPromptDetector.fromJSON(state), // the hashing embedder is rebuilt from its id
        (await detectorFromState(state)) as FewShotPromptDetector, // and so through the registry
      ]) {
        try {
          expect((await restored.buildPrompt(t)).text).toBe(expected);
        } finally {
          await restored.dispose();
        }
      }
    } finally {
      await d.dispose();
    }
  });

  it('needs examples, and round-trips fitted state with identical scores', async () => {
    const bare = new FewShotPromptDetector({ model: TINY_GPT2 });
    try {
      await expect(bare.detect(target)).rejects.toSatisfy(NotFittedError.isInstance);
      await expect(bare.fit([])).rejects.toThrow(InvalidOptionsError);
      await bare.fit(pool);
      expect(bare.fitted).toBe(true);
      expect(bare.poolSize).toBe(pool.length);
      const state = JSON.parse(JSON.stringify(bare.toJSON()));
      const restored = FewShotPromptDetector.fromJSON(state);
      try {
        expect(restored.fitted).toBe(true);
        expect(restored.toJSON()).toEqual(state);
        const [a, b] = [await bare.detect(target), await restored.detect(target)];
        expect(b.score).toBe(a.score);
        expect(b.evidence).toEqual(a.evidence);
      } finally {
        await restored.dispose();
      }
      expect(() => FewShotPromptDetector.fromJSON({ ...state, kind: 'perplexity' })).toThrow(/state.kind/);
      expect(() => FewShotPromptDetector.fromJSON({ ...state, examples: 'x' })).toThrow(/state.examples/);
    } finally {
      await bare.dispose();
    }
  });

  it('keeps a label-balanced pool of at most maxPool examples', async () => {
    const d = new FewShotPromptDetector({ model: TINY_GPT2, maxPool: 6 });
    await d.fit(pool);
    const labels = (d.toJSON()['examples'] as { label: string }[]).map((e) => e.label);
    expect(labels).toEqual(['human', 'bot', 'human', 'bot', 'human', 'bot']);
    await d.dispose();
  });

  it('abstains, rejects bad input, honours abort, batches, and releases its model', async () => {
    const d = new FewShotPromptDetector({ model: TINY_GPT2, examples: pool, dtype: 'q8' });
    const silent = await d.detect(chat('b', ['a: hi', 'b:  ']));
    expect(silent.score).toBeNull();
    expect(silent.evidence[0]!.name).toBe('abstained');
    await expect(d.detect({ messages: [] })).rejects.toSatisfy(InvalidTranscriptError.isInstance);
    await expect(d.fit([{ messages: [{ speaker: 'a', text: 'x' }] } as never])).rejects.toThrow(
      /examples\[0\]\.label/,
    );
    const ac = new AbortController();
    ac.abort();
    await expect(d.detect(target, { signal: ac.signal })).rejects.toSatisfy(AbortedError.isInstance);
    const mid = new AbortController();
    const p = d.detectBatch([target, target], { signal: mid.signal });
    mid.abort();
    await expect(p).rejects.toSatisfy(AbortedError.isInstance);
    const batch = await d.detectBatch([target, pool[0]!]);
    expect(batch[0]!.score).toBe((await d.detect(target)).score);
    expect(batch[1]!.score).toBe((await d.detect(pool[0]!)).score);
    const key = loadedModels().find((m) => m.key.includes('tiny-gpt2') && m.key.includes('q8'))!.key;
    const before = loadedModels().find((m) => m.key === key)!.refs;
    await d.dispose();
    expect(loadedModels().find((m) => m.key === key)?.refs ?? 0).toBe(before - 1);
  });
});
