import type { Transcript } from '../../src/core/transcript.js';

/**
 * A transcript written as chat lines `speaker: text`, the way logs read (the text may be empty or blank).
 *
 * @param target - the speaker to judge
 * @param lines - one `speaker: text` line a message, in order
 * @example
 * ```ts
 * const t = chat('x', ['u: hi', 'x: Hello ! How are you ?']);
 * ```
 */
export function chat(target: string, lines: readonly string[]): Transcript {
  return {
    target,
    messages: lines.map((line) => {
      const at = line.indexOf(':');
      if (at <= 0) throw new Error(`expected "speaker: text", got ${JSON.stringify(line)}`);
      return { speaker: line.slice(0, at), text: line.slice(at + 2) };
    }),
  };
}
