/**
 * `score -` reads its corpus from standard input: the same scores as from a file, on worker threads and on a
 * Redis queue; `--resume` with it is a usage error (standard input cannot be read again); an invalid line is named
 * `<stdin>:N` with advice that does not offer --resume; and on a terminal, `score -` and `detect -` say they are
 * reading it and how to end it instead of waiting in silence. Real child processes running the CLI from source.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startQueueWorker } from '../../src/corpus/queue/queue-worker.js';
import { syntheticCorpus } from '../corpus/corpus-fixture.js';
import { HAS_SCRIPT, runCliOnTty } from '../helpers/on-tty.js';
import { runCli } from '../helpers/run-cli.js';
import { describeWithRedis, TEST_REDIS } from '../helpers/worker-process.js';

const dir = mkdtempSync(join(tmpdir(), 'botlens-score-stdin-'));
const lines = syntheticCorpus(40);
const corpus = join(dir, 'corpus.jsonl');
writeFileSync(corpus, `${lines.join('\n')}\n`);
const input = readFileSync(corpus, 'utf8');

describe('score - (the corpus from standard input)', () => {
  it('writes the same scores as the corpus file gives, on worker threads', async () => {
    const fromFile = join(dir, 'from-file.jsonl');
    const fromStdin = join(dir, 'from-stdin.jsonl');
    const file = await runCli(['score', corpus, '--out', fromFile, '--workers', '0', '--no-progress']);
    expect(file.code, file.stderr).toBe(0);
    const piped = await runCli(['score', '-', '--out', fromStdin, '--workers', '2', '--batch-size', '8'], {
      input,
    });
    expect(piped.stderr).toBe('');
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^scored 40, rejected 0 in .* -> .*from-stdin\.jsonl\n$/);
    expect(readFileSync(fromStdin, 'utf8')).toBe(readFileSync(fromFile, 'utf8'));
  });

  it('--resume with it is a usage error (exit 2) that says to save the input to a file; nothing is written', async () => {
    const out = join(dir, 'resumed.jsonl');
    const r = await runCli(['score', '-', '--out', out, '--resume'], { input });
    expect(r.stderr).toMatch(
      /^botlens: error: --resume cannot continue a corpus read from standard input \(-\): .*Save the input to a file/,
    );
    expect(r.stderr).toContain('Run botlens score --help for usage.\n');
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('an invalid line is named <stdin>:N, and the advice does not offer --resume on standard input', async () => {
    const out = join(dir, 'invalid.jsonl');
    const r = await runCli(['score', '-', '--out', out, '--workers', '0'], {
      input: `${lines[0]}\n{"broken": \n${lines[1]}\n`,
    });
    expect(r.stderr).toMatch(
      /^botlens: <stdin>:2: .*not valid JSON.*Fix the line and score again \(a corpus read from standard input cannot be resumed/,
    );
    expect(r.code).toBe(1);
  });
});

describeWithRedis('score - on a Redis queue', () => {
  it('writes the same scores as the corpus file gives locally', async () => {
    const queue = `botlens-test-stdin-${Date.now()}`;
    const worker = await startQueueWorker({ redis: TEST_REDIS!, queue });
    try {
      const local = join(dir, 'local.jsonl');
      const queued = join(dir, 'queued.jsonl');
      expect((await runCli(['score', corpus, '--out', local, '--workers', '0'])).code).toBe(0);
      const r = await runCli(['score', '-', '--out', queued, '--redis', TEST_REDIS!, '--queue', queue], {
        input,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(queued, 'utf8')).toBe(readFileSync(local, 'utf8'));
    } finally {
      await worker.close();
      const { Queue } = await import('bullmq');
      const q = new Queue(queue, { connection: { url: TEST_REDIS! } });
      await q.obliterate({ force: true });
      await q.close();
    }
  }, 120_000);
});

describe.skipIf(!HAS_SCRIPT)('- when standard input is a terminal', () => {
  // The terminal sends end-of-input once the hint is out (script's own standard input is closed), as Ctrl-D does.
  const hint = (what: string) =>
    new RegExp(
      `^botlens: reading ${what} from the terminal \\(standard input, -\\): type or paste it, then press Ctrl-D on a line of its own`,
    );

  it('score - says it reads the terminal and how to end it; end-of-input ends the run', () => {
    const r = runCliOnTty(['score', '-', '--out', join(dir, 'tty.jsonl'), '--workers', '0']);
    expect(r.out).toMatch(hint('the corpus \\(JSONL, one transcript per line\\)'));
    expect(r.out).toMatch(/\r\nscored 0, rejected 0 in /);
    expect(r.code).toBe(0);
  });

  it('detect - and fit --data - say so too', () => {
    const detect = runCliOnTty(['detect', '-']);
    expect(detect.out).toMatch(hint('the transcript \\(JSON\\)'));
    const fit = runCliOnTty([
      'fit',
      '--data',
      '-',
      '--out',
      join(dir, 'fitted.json'),
      '--detectors',
      'heuristic',
    ]);
    expect(fit.out).toMatch(hint('--data \\(JSONL, one labelled transcript per line\\)'));
  });

  it('not when standard input is a pipe', async () => {
    const r = await runCli(['detect', '-'], { input: '{}' });
    expect(r.stderr).not.toContain('from the terminal');
  });
});
