import { Option } from 'commander';
import { checkQueueName, checkRedisUrl, DEFAULT_QUEUE } from '../corpus/queue/queue-settings.js';
import { usageChecked } from './flag-parsers.js';

/**
 * The `--queue <name>` option of `score` and `worker`: a name BullMQ cannot use (empty, with `:`...) is a usage
 * error (exit 2) saying what is allowed, before anything connects.
 *
 * @param description - the option's help text
 */
export function queueOption(description: string): Option {
  return new Option('--queue <name>', description)
    .default(DEFAULT_QUEUE)
    .argParser(usageChecked((value) => checkQueueName(value, '--queue')));
}

/**
 * The `--redis <url>` option of `score` and `worker`: a URL that is not `redis://` or `rediss://` is a usage error
 * (exit 2), its password hidden, before any output is opened or anything connects.
 *
 * @param description - the option's help text
 * @param required - whether the command needs it (`worker`)
 */
export function redisOption(description: string, required = false): Option {
  const option = new Option('--redis <url>', description).argParser(
    usageChecked((value) => checkRedisUrl(value, '--redis')),
  );
  return required ? option.makeOptionMandatory() : option;
}
