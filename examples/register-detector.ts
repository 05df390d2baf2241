/**
 * Add your own detector type to botlens: describe it once with `defineDetector` (its options as a zod schema with
 * defaults, its saved-state version, how to build it and how to restore it), `registerDetector` it, and it works
 * like a built-in type: specs and `botlens.config.json` can name it, ensembles fit and save it, and
 * `detectorFromFile` loads the saved file back.
 *
 *   npx tsx examples/register-detector.ts
 *
 */
// needs: none
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  abstained,
  createEnsemble,
  type Detection,
  type DetectOptions,
  type Detector,
  type DetectorState,
  defineDetector,
  detectorFromFile,
  type LabelledTranscript,
  nowMs,
  registerDetector,
  scored,
  type Transcript,
  targetMessages,
  validateTranscript,
} from 'botlens';
import { z } from 'zod';

// 1. The options, once: validation, defaults and the types all come from this schema.
const questionRateOptions = z.strictObject({
  name: z.string().min(1).default('question-rate'),
  threshold: z.number().min(0).max(1).default(0.5),
  /** How sharply the score turns around the fitted cutoff. */
  steepness: z.number().positive().default(12),
});
type QuestionRateOptions = z.output<typeof questionRateOptions>;

/** Bots in chit-chat ask a question in almost every turn; this detector scores the share of questions. */
class QuestionRateDetector implements Detector {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  cutoff = 0.5;

  constructor(readonly options: QuestionRateOptions) {
    this.name = options.name;
  }

  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    if (opts.signal?.aborted) throw opts.signal.reason;
    const mine = targetMessages(validateTranscript(t)).filter((m) => m.text.trim() !== '');
    if (mine.length === 0) return abstained(this.name, 'The target wrote no text.', started);
    const rate = mine.filter((m) => m.text.includes('?')).length / mine.length;
    const score = 1 / (1 + Math.exp(-this.options.steepness * (rate - this.cutoff)));
    const sentence = `${(rate * 100).toFixed(0)}% of the target's messages ask a question.`;
    return scored(
      this.name,
      score,
      this.options.threshold,
      [{ name: 'question_rate', value: rate, sentence }],
      started,
    );
  }

  async fit(examples: LabelledTranscript[]): Promise<void> {
    const rate = (label: string) => {
      const ms = examples
        .filter((e) => e.label === label)
        .flatMap((e) => targetMessages(validateTranscript(e)));
      return ms.filter((m) => m.text.includes('?')).length / Math.max(1, ms.length);
    };
    this.cutoff = (rate('bot') + rate('human')) / 2;
  }

  toJSON(): DetectorState {
    return { kind: 'question-rate', version: 1, ...this.options, cutoff: this.cutoff };
  }
}

// 2. The descriptor: everything botlens needs to build, validate, save and restore the type.
const questionRate = defineDetector({
  specificationVersion: 'v1',
  type: 'question-rate',
  description: 'share of the target messages that ask a question',
  optionsSchema: questionRateOptions,
  stateVersion: 1,
  stateSchema: z.looseObject({ cutoff: z.number().min(0).max(1) }),
  create: (options) => new QuestionRateDetector(options),
  restore(state) {
    const { kind: _kind, version: _version, cutoff, ...options } = state;
    const d = new QuestionRateDetector(questionRateOptions.parse(options));
    d.cutoff = cutoff as number;
    return d;
  },
});

// 3. Register it; from now on it is a detector type like 'heuristic'.
registerDetector(questionRate);

const dialogue = (label: 'bot' | 'human', lines: string[]): LabelledTranscript => ({
  target: 'x',
  label,
  messages: lines.flatMap((text, i) => [
    { speaker: 'u', text: `message ${i}` },
    { speaker: 'x', text },
  ]),
});
const train: LabelledTranscript[] = [
  dialogue('bot', ['Hello ! How are you ?', 'I like to read . Do you read ?', 'Nice ! What else ?']),
  dialogue('bot', ['Hi ! What do you do ?', 'Cool . Do you have pets ?', 'I have a cat .']),
  dialogue('bot', ['Good morning ! Where are you from ?', 'I love it there ! Why ?']),
  dialogue('human', ['lol same', 'yeah i work nights mostly', 'anyway gotta go']),
  dialogue('human', ['not much tbh', 'where u from?', 'ok cool, later']),
  dialogue('human', ['ugh mondays', 'coffee is life', 'ttyl']),
];

// A spec names the new type next to a built-in one, as a botlens.config.json "ensemble" would.
const ensemble = await createEnsemble({
  strategy: 'stacking',
  detectors: [{ type: 'heuristic' }, { type: 'question-rate', steepness: 10 }],
});
await ensemble.fit([...train, ...train]);

const dir = await mkdtemp(join(tmpdir(), 'botlens-example-'));
try {
  const file = join(dir, 'fitted.json');
  await writeFile(file, JSON.stringify(ensemble.toJSON()));
  console.log(`saved ${file}`);
  const restored = await detectorFromFile(file);
  const probe = dialogue('bot', ['Hello ! Do you like music ?', 'Me too ! Which band ?']);
  const [a, b] = [await ensemble.detect(probe), await restored.detect(probe)];
  console.log(`P(bot) = ${a.score?.toFixed(3)} -> ${a.label}`);
  console.log(`identical: ${a.score === b.score}`);
  // A misspelt option is an error that names it, before anything runs.
  await createEnsemble({
    strategy: 'weighted-mean',
    detectors: [{ type: 'question-rate', steepnes: 3 }],
  }).catch((e: unknown) => console.log(`${(e as Error).name} as expected: ${(e as Error).message}`));
} finally {
  await rm(dir, { recursive: true, force: true });
}
