import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { abstained, scored } from '../../src/core/detection.js';
import type { Detection, DetectOptions, Detector } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { LinearProbeDetector } from '../../src/detectors/linear-probe/linear-probe-detector.js';
import { LoraClassifierDetector } from '../../src/detectors/lora/lora-classifier-detector.js';
import { NotFittedError } from '../../src/errors/not-fitted-error.js';
import { evaluateDetector } from '../../src/eval/evaluate.js';
import { distill } from '../../src/peft/distill.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';
import { runDetectorConformance } from '../../src/testing/conformance.js';
import { CONVAI_DIR, describeWithShared, HF_TINY } from '../helpers/shared.js';

describeWithShared('probing head and distillation on ConvAI', () => {
  let train: LabelledTranscript[];
  let dev: LabelledTranscript[];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'botlens-probe-'));
    train = (await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'))).slice(0, 400);
    dev = (await readTranscriptsJsonl(join(CONVAI_DIR, 'dev.jsonl'))).slice(0, 120);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a linear probe on frozen embeddings learns the task, round-trips its state and abstains on no text', async () => {
    const probe = new LinearProbeDetector({ embedder: new HashingEmbedder({ dim: 512 }) });
    await expect(probe.detect(dev[0]!)).rejects.toSatisfy((e: unknown) => NotFittedError.isInstance(e));
    await probe.fit(train);
    const report = await evaluateDetector(probe, dev);
    expect(report.f1!).toBeGreaterThan(0.7);
    expect(report.auroc!).toBeGreaterThan(0.8);
    const again = LinearProbeDetector.fromJSON(JSON.parse(JSON.stringify(probe.toJSON())));
    const [a, b] = [await probe.detectBatch(dev.slice(0, 5)), await again.detectBatch(dev.slice(0, 5))];
    a.forEach((d, i) => {
      expect(b[i]!.score).toBeCloseTo(d.score!, 12);
    });
    const silent = await probe.detect({ target: 'x', messages: [{ speaker: 'x', text: '' }] });
    expect(silent.score).toBeNull();
    expect(() =>
      LinearProbeDetector.fromJSON(probe.toJSON(), { embedder: new HashingEmbedder({ dim: 64 }) }),
    ).toThrow(/vectors would not match/);
  });

  it('the probe passes the detector conformance suite', async () => {
    const report = await runDetectorConformance({
      create: () => new LinearProbeDetector({ embedder: new HashingEmbedder({ dim: 64 }) }),
      transcript: dev[0]!,
      abstainTranscript: {
        target: 'x',
        messages: [
          { speaker: 'y', text: 'hi' },
          { speaker: 'x', text: '' },
        ],
      },
      fitExamples: train.slice(0, 60),
      fromJSON: (state) => LinearProbeDetector.fromJSON(state),
    });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('a probe over a transformer encoder (tiny-bert, mean-pooled) fits in seconds', async () => {
    const probe = new LinearProbeDetector({ model: resolve(HF_TINY, 'tiny-bert'), l2: 0.1 });
    try {
      const started = performance.now();
      await probe.fit(train.slice(0, 200));
      expect(performance.now() - started).toBeLessThan(30_000);
      const report = await evaluateDetector(probe, dev.slice(0, 60));
      expect(report.scored).toBe(60);
      expect(report.auroc!).toBeGreaterThan(0.5);
      expect(probe.toJSON()['model']).toEqual({ model: resolve(HF_TINY, 'tiny-bert') });
    } finally {
      await probe.dispose();
    }
  });

  it('distils a teacher into a probe student that agrees with it, skipping what the teacher abstains on', async () => {
    const inner = new LinearProbeDetector({ embedder: new HashingEmbedder({ dim: 256 }) });
    await inner.fit(train);
    let calls = 0;
    // A teacher that abstains on every fifth transcript, to check those are left out.
    const teacher: Detector = {
      name: 'teacher',
      async detect(t: Transcript, opts?: DetectOptions): Promise<Detection> {
        return (await this.detectBatch!([t], opts))[0]!;
      },
      async detectBatch(ts: Transcript[]): Promise<Detection[]> {
        const out = await inner.detectBatch(ts);
        return out.map((d) =>
          calls++ % 5 === 4 ? abstained('teacher', 'skipped', 0) : scored('teacher', d.score!, 0.5, [], 0),
        );
      },
    };
    const unlabelled: Transcript[] = train.map(({ label: _l, ...t }) => t);
    const student = new LinearProbeDetector({
      embedder: new HashingEmbedder({ dim: 256, lowercase: true }),
      name: 'student',
    });
    const events: string[] = [];
    const res = await distill({
      teacher,
      transcripts: unlabelled,
      student,
      onProgress: (p) => events.push(p.phase),
    });
    expect(res.used + res.abstained).toBe(unlabelled.length);
    expect(res.abstained).toBe(Math.floor(unlabelled.length / 5));
    expect(res.targets.filter((t) => t === null).length).toBe(res.abstained);
    expect(events.at(-1)).toBe('fit');
    const t = (await inner.detectBatch(dev)).map((d) => d.label);
    const s = (await student.detectBatch(dev)).map((d) => d.label);
    const agree = t.filter((l, i) => l === s[i]).length / dev.length;
    expect(agree).toBeGreaterThan(0.8);
    await expect(
      distill({
        teacher: inner,
        transcripts: unlabelled.slice(0, 1),
        student: new LinearProbeDetector({ embedder: new HashingEmbedder({ dim: 16 }) }),
      }),
    ).rejects.toThrow(/needs both kinds/);
  });

  it("distils into a LoRA classifier student trained on the teacher's soft scores", async () => {
    const teacher = new LinearProbeDetector({ embedder: new HashingEmbedder({ dim: 256 }) });
    await teacher.fit(train);
    const student = new LoraClassifierDetector({
      model: resolve(HF_TINY, 'tiny-bert-cls'),
      cacheDir: join(dir, 'cache'),
      maxLength: 48,
      training: { epochs: 6, learningRate: 0.02 },
    });
    try {
      const unlabelled = train.slice(0, 200).map(({ label: _l, ...t }) => t);
      const res = await distill({ teacher, transcripts: unlabelled, student });
      expect(res.used).toBe(200);
      expect(student.fitted).toBe(true);
      const seen = unlabelled.slice(0, 80);
      const scores = (await student.detectBatch(seen)).map((d) => d.score!);
      const teacherScores = (await teacher.detectBatch(seen)).map((d) => d.score!);
      // The student learned the teacher's scores: on transcripts it was distilled on, they are correlated.
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      const [ms, mt] = [mean(scores), mean(teacherScores)];
      let cov = 0;
      let vs = 0;
      let vt = 0;
      scores.forEach((s, i) => {
        cov += (s - ms) * (teacherScores[i]! - mt);
        vs += (s - ms) ** 2;
        vt += (teacherScores[i]! - mt) ** 2;
      });
      expect(cov / Math.sqrt(vs * vt)).toBeGreaterThan(0.5);
      expect(validateTranscript(unlabelled[0]!).target).toBeTruthy();
    } finally {
      await student.dispose();
    }
  });
});
