/**
 * A Redis URL naming a database Redis does not have (`redis://host:port/99`) is refused at start, by the producer,
 * the worker and the CLI, with what to give instead: not scored in database 0, nor waited on. Real redis-server.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startQueueWorker } from '../../src/corpus/queue/queue-worker.js';
import { scoreCorpusOnQueue } from '../../src/corpus/queue/score-on-queue.js';
import type { ScoreOutcome } from '../../src/corpus/types.js';
import { HEURISTIC, syntheticCorpus } from '../corpus/corpus-fixture.js';
import { runCli } from '../helpers/run-cli.js';
import { describeWithRedis, TEST_REDIS } from '../helpers/worker-process.js';

const REDIS = TEST_REDIS;

/** Drains a run, bounded: undefined when it neither ended nor failed within `ms`. */
async function endOf(run: AsyncIterable<ScoreOutcome>, ms: number): Promise<unknown> {
  const drained = (async () => {
    for await (const _ of run) {
      // drained
    }
    return 'scored';
  })().catch((e: unknown) => e);
  return Promise.race([drained, new Promise((ok) => setTimeout(() => ok(undefined), ms))]);
}

describeWithRedis('a Redis URL naming a database Redis does not have', () => {
  const url = `${REDIS!.replace(/\/\d*$/, '')}/99`;

  it('fails the producer and the worker at start with REDIS_UNREACHABLE naming the database', async () => {
    const refusal = {
      code: 'REDIS_UNREACHABLE',
      message: expect.stringMatching(
        /has no database "99" \(ERR DB index is out of range\).*0-15 by default/,
      ),
    };
    expect(
      await endOf(scoreCorpusOnQueue(syntheticCorpus(2), { redis: url, detector: HEURISTIC }), 15_000),
    ).toMatchObject(refusal);
    const worker = await Promise.race([
      startQueueWorker({ redis: url, connectTimeout: 1000 }).catch((e: unknown) => e),
      new Promise((ok) => setTimeout(() => ok(undefined), 15_000)),
    ]);
    if (worker && typeof (worker as { close?: unknown }).close === 'function')
      await (worker as { close(): Promise<void> }).close();
    expect(worker).toMatchObject(refusal);
  }, 60_000);

  it('botlens score --redis exits 1 with one line saying so, and writes no scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-q-db-'));
    const corpus = join(dir, 'corpus.jsonl');
    writeFileSync(corpus, `${syntheticCorpus(3).join('\n')}\n`);
    const r = await runCli(
      ['score', corpus, '--out', join(dir, 'scores.jsonl'), '--redis', url, '--no-progress'],
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.stderr).toMatch(/^botlens: Redis at redis:\/\/127\.0\.0\.1:\d+\/99 has no database "99"/m);
    expect(r.stderr).not.toMatch(/\n\s+at |unexpected error/);
    expect(r.code).toBe(1);
    const scores = join(dir, 'scores.jsonl');
    expect(existsSync(scores) ? readFileSync(scores, 'utf8') : '').toBe('');
  }, 60_000);
});
