import { expect } from 'vitest';
import { InvalidTranscriptError, type TranscriptIssue } from '../../src/errors/invalid-transcript-error.js';

/**
 * The issues of the InvalidTranscriptError `f` throws (fails the test when it throws none, or throws something
 * else).
 *
 * @param f - the call expected to refuse a transcript
 */
export function thrownTranscriptIssues(f: () => unknown): readonly TranscriptIssue[] {
  try {
    f();
  } catch (err) {
    expect(InvalidTranscriptError.isInstance(err)).toBe(true);
    return (err as InvalidTranscriptError).issues;
  }
  throw new Error('expected an InvalidTranscriptError');
}
