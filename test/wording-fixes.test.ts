/**
 * Wording a new user met: NLI evidence at log-odds 0, the optional-member warning's stop, the issue path of a
 * body that is not an object, and the fields of `eval --json` next to a fitted file.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { logOddsSentence } from '../src/detectors/nli/nli-zero-shot-detector.js';
import { degradedWarning } from '../src/server/readiness.js';
import { fitWithCli } from './helpers/fit-with-cli.js';
import { ROOT, runCli } from './helpers/run-cli.js';
import { useWorkDir } from './helpers/work-dir.js';
import { heuristicEnsemble, startServer } from './server/start-server.js';

const work = useWorkDir('botlens-wording-');
const H = { bot: 'This speaker is bot.', human: 'This speaker is human.' };

describe('NLI log-odds evidence', () => {
  it('says neither hypothesis is more entailed at log-odds 0.000, and names them as hypotheses', () => {
    for (const z of [0, 1e-4, -1e-4]) {
      const s = logOddsSentence(z, H, 2);
      expect(s, String(z)).toBe(
        'The NLI model finds the bot hypothesis ("This speaker is bot.") and the human one ("This speaker is human.") equally entailed (log-odds 0.000 over 2 windows).',
      );
    }
    expect(logOddsSentence(0.5, H, 1)).toContain(
      'finds the bot hypothesis ("This speaker is bot.") more entailed than',
    );
    expect(logOddsSentence(-0.5, H, 1)).toContain('less entailed than the human one');
  });
});

describe('heuristic evidence on tokenizer spacing', () => {
  it('quotes nothing the transcript does not hold', async () => {
    const t = { target: 'b', messages: [{ speaker: 'b', text: 'Sure, I can help with that.' }] };
    const d = await new HeuristicDetector().detect(t);
    const e = d.evidence.find((x) => x.name === 'tokenizer_spacing_share')!;
    expect(e.sentence).toContain('0 of 1 (0%) messages are spaced like tokenizer output');
    expect(e.sentence).not.toContain("i 'm");
    expect(e.sentence).not.toContain('fine .');
  });
});

describe('the optional-member warning', () => {
  it('ends the error sentence with one stop', () => {
    const w = degradedWarning({
      detector: 'nli',
      error: 'Cannot load the model (/m/onnx/model.onnx).',
      timedOut: false,
    });
    expect(w).toContain('(/m/onnx/model.onnx). Fix');
    expect(w).not.toContain('..');
  });
});

describe('a body that is not an object', () => {
  it('has the same issue path on /v1/detect and /v1/detect/batch', async () => {
    const { post } = await startServer(heuristicEnsemble());
    const paths: string[] = [];
    for (const url of ['/v1/detect', '/v1/detect/batch']) {
      const r = await post(url, 'null');
      expect(r.status, url).toBe(400);
      paths.push(((await r.json()) as { issues: { path: string }[] }).issues[0]!.path);
    }
    expect(paths).toEqual(['', '']);
  });
});

describe('eval --json next to a fitted file', () => {
  it('says how many transcripts were scored, and gives no fitMs when nothing was fitted', async () => {
    const chats = join(ROOT, 'test/quality/fixtures/chats.jsonl');
    const fitted = work.path('fitted.json');
    await fitWithCli(chats, ['--detectors', 'heuristic'], fitted);
    const r = await runCli(['eval', '--data', chats, '--model', fitted, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).not.toHaveProperty('fitMs');
    expect(out['scored']).toBe((out['n'] as number) - (out['abstained'] as number));
    const withFit = await runCli([
      'eval',
      '--data',
      chats,
      '--fit',
      chats,
      '--detectors',
      'heuristic',
      '--json',
      '--quiet',
    ]);
    expect(JSON.parse(withFit.stdout)).toHaveProperty('fitMs');
  }, 120_000);
});
