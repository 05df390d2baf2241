import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerCheckModelCommand } from './commands/check-model.js';
import { registerDetectCommand } from './commands/detect.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerFitCommand } from './commands/fit.js';
import { registerLoraCommand } from './commands/lora.js';
import { registerModelsCommand } from './commands/models.js';
import { registerOptimizeCommand } from './commands/optimize.js';
import { registerPullCommand } from './commands/pull.js';
import { registerQuantizeCommand } from './commands/quantize.js';
import { registerScoreCommand } from './commands/score.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWorkerCommand } from './commands/worker.js';
import { configureProgram, runProgram } from './configure-program.js';
import { exitQuietlyWhenStdoutCloses } from './stdout-closed.js';

// dist/cli/main.js and src/cli/main.ts both sit two folders below package.json.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('botlens')
  .description(
    'Tell bots from humans in chat transcripts.\n\nExit codes: 0 ok, 1 error, 2 usage error, 3 partial result (a detector failed; see --allow-partial), 130 interrupted, 141 standard output closed early, 143 terminated (score --redis).',
  )
  .version(version, '-V, --version', 'print the botlens version');

registerDetectCommand(program);
registerEvalCommand(program);
registerFitCommand(program);
registerServeCommand(program);
registerModelsCommand(program);
registerPullCommand(program);
registerCheckModelCommand(program);
registerQuantizeCommand(program);
registerOptimizeCommand(program);
registerLoraCommand(program);
registerScoreCommand(program);
registerWorkerCommand(program);

exitQuietlyWhenStdoutCloses();

// Program-wide settings (usage errors, exit codes): applied last, to every command registered above.
configureProgram(program);
await runProgram(program, process.argv);
