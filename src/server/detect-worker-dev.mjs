// Source checkouts only (tests, tsx): loads the TypeScript worker entry through tsx's ESM hooks, which a
// worker thread does not inherit. Built packages use dist/server/detect-worker.js instead.
import { register } from 'tsx/esm/api';

register();
const entry = await import(new URL('./detect-worker.ts', import.meta.url).href);
export default entry.default;
