// Runs the score worker from TypeScript source (tests, `node --import tsx`): worker threads do not inherit
// tsx's ESM hooks, so this entry registers them in the thread first. The built package uses
// dist/corpus/score-worker.js directly and never loads this file.
import { register } from 'tsx/esm/api';

register();
const { default: scoreTask } = await import('./score-worker.ts');
export default scoreTask;
