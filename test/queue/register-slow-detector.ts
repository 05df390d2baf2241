/**
 * Registers a detector type `slow` that takes `BOTLENS_TEST_SLOW_MS` ms (3000 when unset) over each transcript, so
 * that a queue worker holds its job long enough for a test to stop Redis under it.
 */
import { z } from 'zod';
import { defineDetector, nowMs, registerDetector, scored } from '../../src/index.js';

const ms = Number(process.env['BOTLENS_TEST_SLOW_MS'] ?? '3000');

const slow = defineDetector({
  type: 'slow',
  stateVersion: 1,
  description: `scores every transcript 0.5, after ${ms} ms`,
  optionsSchema: z.strictObject({ name: z.string().min(1).default('slow') }),
  specificationVersion: 'v1',
  create: (o) => ({
    specificationVersion: 'v1' as const,
    name: o.name,
    detect: async () => {
      await new Promise((r) => setTimeout(r, ms));
      return scored(o.name, 0.5, 0.5, [], nowMs());
    },
  }),
  restore: () => {
    throw new Error('not saved');
  },
});

registerDetector(slow);
