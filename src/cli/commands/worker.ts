import type { Command } from 'commander';
import { parseCount } from '../../flags/parse-number.js';
import { countArg } from '../flag-parsers.js';
import { queueOption, redisOption } from '../queue-option.js';
import { reportError } from '../report-error.js';

interface WorkerFlags {
  redis: string;
  queue: string;
  concurrency?: string;
  lockDuration?: string;
  stalledInterval?: string;
  maxStalled?: string;
}

/**
 * `botlens worker --redis URL`: scores queued batches until SIGINT or SIGTERM, then finishes the active job and
 * exits 0; when Redis stops answering while it stops, it says so in one line (the jobs it held go to another worker
 * once their lock expires) and exits 1 within seconds instead of waiting for Redis.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'score corpus batches from a BullMQ queue on Redis (queued by `botlens score --redis`) until stopped',
    )
    .addOption(redisOption('Redis URL, e.g. redis://host:6379', true))
    .addOption(queueOption('queue name'))
    .option(
      '--concurrency <n>',
      'jobs at once in this process (run one process per core instead)',
      countArg(1),
      '1',
    )
    .option(
      '--lock-duration <ms>',
      'a dead worker’s job returns to the queue after this (default 30000)',
      countArg(100),
    )
    .option('--stalled-interval <ms>', 'how often to look for stalled jobs (default 30000)', countArg(100))
    .option(
      '--max-stalled <n>',
      'stalls (dead workers) a job survives before it is failed and reported (default 1)',
      countArg(0),
    )
    .action(async (flags: WorkerFlags) => {
      const { checkCommandPackages } = await import('../check-packages.js');
      const { OPTIONAL_NEEDS } = await import('../../core/optional-needs.js');
      await checkCommandPackages({ needs: [OPTIONAL_NEEDS.queue] });
      const { startQueueWorker } = await import('../../corpus/queue/queue-worker.js');
      const settings = {
        concurrency: parseCount('--concurrency', flags.concurrency, 1),
        lockDuration: parseCount('--lock-duration', flags.lockDuration, 100),
        stalledInterval: parseCount('--stalled-interval', flags.stalledInterval, 100),
        maxStalledCount: parseCount('--max-stalled', flags.maxStalled, 0),
      };
      const worker = await startQueueWorker({
        redis: flags.redis,
        queue: flags.queue,
        ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)),
        onFailed: (id, reason) =>
          process.stderr.write(`botlens worker: job ${id ?? '?'} failed: ${reason}\n`),
        onError: (err) => process.stderr.write(`botlens worker: ${err.message}\n`),
      });
      await worker.ready();
      process.stderr.write(`botlens worker: ready on queue ${flags.queue}\n`);
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolveStop();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write('botlens worker: finishing the active job and stopping\n');
      try {
        await worker.close();
      } catch (err) {
        // Redis stopped answering: one line saying what becomes of the jobs, then exit 1 at once (the Redis client
        // may hold a timer for a while, and there is nothing left to wait for).
        process.exit(reportError(err, (s) => process.stderr.write(s)));
      }
    });
}
