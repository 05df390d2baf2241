import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

const ERRORS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'errors');

/** Every class declared under src/errors/, by name. */
function errorClassNames(): string[] {
  return readdirSync(ERRORS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [...readFileSync(join(ERRORS_DIR, f), 'utf8').matchAll(/^export class (\w+)/gm)].map((m) => m[1]!),
    );
}

/** One instance of each error class, built with representative arguments. */
const samples: Record<string, () => root.BotlensError> = {
  AbortedError: () => new root.AbortedError('detection'),
  AdapterError: () => new root.AdapterError('ADAPTER_INVALID', 'bad adapter'),
  BotlensError: () => new root.BotlensError('READ_FAILED', 'cannot read'),
  HubError: () => new root.HubError('not-found', 'no such repo'),
  ImageLoadError: () => new root.ImageLoadError('avatar.png', 'cannot decode the image'),
  InvalidOptionsError: () => new root.InvalidOptionsError('dtype', 'unknown'),
  InvalidTranscriptError: () => new root.InvalidTranscriptError([{ path: 'target', message: 'missing' }]),
  MissingDependencyError: () => new root.MissingDependencyError('fastify', 'The HTTP service'),
  ModelLoadError: () => new root.ModelLoadError('m', 'cannot load'),
  NotFittedError: () => new root.NotFittedError('Ensemble', 'call fit() first'),
  QueueFullError: () => new root.QueueFullError('8 requests already waiting'),
  DeadlineExceededError: () => new root.DeadlineExceededError(100),
  IntegrityError: () => new root.IntegrityError('onnx/model.onnx', 'aa', 'bb', 'digest mismatch'),
  ServiceStartError: () => new root.ServiceStartError('cannot start'),
};

describe('error classes', () => {
  it('exports every class of src/errors from the root entry point', () => {
    const names = errorClassNames();
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const name of names) expect(Object.keys(root), name).toContain(name);
  });

  it('gives every error a code from BOTLENS_ERROR_CODES, recognised by its own isInstance', () => {
    expect(Object.keys(samples).sort()).toEqual(errorClassNames().sort());
    for (const [name, make] of Object.entries(samples)) {
      const err = make();
      expect(root.BOTLENS_ERROR_CODES, name).toContain(err.code);
      expect(root.BotlensError.isInstance(err), name).toBe(true);
      const cls = (root as unknown as Record<string, { isInstance(v: unknown): boolean }>)[name]!;
      expect(cls.isInstance(err), name).toBe(true);
      expect(err.message.length, name).toBeGreaterThan(0);
    }
  });

  it('lists each code once', () => {
    expect(new Set(root.BOTLENS_ERROR_CODES).size).toBe(root.BOTLENS_ERROR_CODES.length);
  });
});
