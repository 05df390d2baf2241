import { createRequire } from 'node:module';
import { Command } from 'commander';
import { BotlensError } from '../errors/botlens-error.js';
import { registerCheckModelCommand } from './commands/check-model.js';
import { registerDetectCommand } from './commands/detect.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerFitCommand } from './commands/fit.js';
import { registerLoraCommand } from './commands/lora.js';
import { registerModelsCommand } from './commands/models.js';
import { registerPullCommand } from './commands/pull.js';
import { registerQuantizeCommand } from './commands/quantize.js';
import { registerScoreCommand } from './commands/score.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWorkerCommand } from './commands/worker.js';

// dist/cli/main.js and src/cli/main.ts both sit two folders below package.json.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('botlens')
  .description('Tell bots from humans in chat transcripts.')
  .version(version)
  .showHelpAfterError();

registerDetectCommand(program);
registerEvalCommand(program);
registerFitCommand(program);
registerServeCommand(program);
registerModelsCommand(program);
registerPullCommand(program);
registerCheckModelCommand(program);
registerQuantizeCommand(program);
registerLoraCommand(program);
registerScoreCommand(program);
registerWorkerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (BotlensError.isInstance(err)) {
    process.stderr.write(`botlens: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    throw err;
  }
}
