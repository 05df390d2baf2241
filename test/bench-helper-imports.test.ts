import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runProcess } from './helpers/run-cli.js';

// Benches run under plain tsx, not vitest: a test helper they import must not import vitest (its `expect` throws
// "Vitest failed to access its internal state" outside a vitest run; bench/serve-load.ts broke that way once).
describe('test helpers that benches import', () => {
  it('load in a plain Node process (no vitest)', async () => {
    const helpers = ['built-package.ts', 'run-cli.ts'].map((f) => join(ROOT, 'test/helpers', f));
    const script = `Promise.all(${JSON.stringify(helpers)}.map((f) => import(f))).then(() => console.log('loaded'))`;
    const r = await runProcess(join(ROOT, 'node_modules/.bin/tsx'), ['--eval', script]);
    expect(r.stderr).not.toMatch(/vitest/i);
    expect(r.stdout.trim()).toBe('loaded');
    expect(r.code).toBe(0);
  }, 60_000);
});
