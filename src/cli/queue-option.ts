import { InvalidArgumentError, Option } from 'commander';
import { checkQueueName, DEFAULT_QUEUE } from '../corpus/queue/queue-settings.js';
import { BotlensError } from '../errors/botlens-error.js';

/**
 * The `--queue <name>` option of `score` and `worker`: a name BullMQ cannot use (empty, with `:`...) is a usage
 * error (exit 2) saying what is allowed, before anything connects.
 *
 * @param description - the option's help text
 */
export function queueOption(description: string): Option {
  return new Option('--queue <name>', description).default(DEFAULT_QUEUE).argParser((value: string) => {
    try {
      return checkQueueName(value, '--queue');
    } catch (err) {
      if (BotlensError.isInstance(err)) throw new InvalidArgumentError(err.message);
      throw err;
    }
  });
}
