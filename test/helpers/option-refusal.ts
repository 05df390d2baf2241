import { expect } from 'vitest';
import { createDetector } from '../../src/detectors/registry.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';

/**
 * Expects a detector's constructor to refuse `{ [key]: value }` with an InvalidOptionsError naming `key`, and the
 * `type` spec (`createDetector`) to refuse it with the same reason; returns the reason (the message after
 * `Invalid option "<key>": `).
 *
 * @param type - the spec type
 * @param construct - builds the detector from options (`(o) => new XDetector(o)`)
 * @param key - the option
 * @param value - the bad value
 */
export async function expectSameRefusal(
  type: string,
  construct: (options: Record<string, unknown>) => unknown,
  key: string,
  value: unknown,
): Promise<string> {
  let refused: unknown;
  try {
    construct({ [key]: value });
  } catch (err) {
    refused = err;
  }
  expect(InvalidOptionsError.isInstance(refused), `${type} ${key}: ${String(value)}`).toBe(true);
  const { option, message } = refused as InvalidOptionsError;
  expect(option).toBe(key);
  const reason = message.slice(`Invalid option "${key}": `.length);
  await expect(createDetector({ type, [key]: value })).rejects.toThrow(
    `Invalid option "${type}": ${key}: ${reason}`,
  );
  return reason;
}

/**
 * The InvalidOptionsError `f` throws (fails the test when it throws none, or throws something else).
 *
 * @param f - the call expected to refuse an option
 */
export function thrownInvalidOptions(f: () => unknown): InvalidOptionsError {
  try {
    f();
  } catch (err) {
    expect(InvalidOptionsError.isInstance(err)).toBe(true);
    return err as InvalidOptionsError;
  }
  throw new Error('expected an InvalidOptionsError');
}

/**
 * The InvalidOptionsError `p` rejects with (fails the test when it resolves, or rejects with something else).
 *
 * @param p - the call expected to refuse an option
 */
export async function rejectedInvalidOptions(p: Promise<unknown>): Promise<InvalidOptionsError> {
  let refused: unknown;
  try {
    await p;
  } catch (err) {
    refused = err;
  }
  expect(InvalidOptionsError.isInstance(refused), 'expected an InvalidOptionsError').toBe(true);
  return refused as InvalidOptionsError;
}
