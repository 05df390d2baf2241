import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { checkReadable } from '../data/check-readable.js';
import type { CorpusLine } from './types.js';

/** Where a corpus comes from: a file path, a readable stream, or any (async) iterable of lines. */
export type CorpusSource = string | Readable | Iterable<string> | AsyncIterable<string>;

/**
 * The non-blank lines of a corpus with their 1-based line numbers, read as a stream (constant memory: node's
 * readline pauses the file while lines wait to be consumed). Lines at or before `afterLine` are skipped.
 *
 * @param source - a JSONL file path, a stream, or lines
 * @param afterLine - skip lines numbered up to and including this
 * @param onBytes - called with the bytes of the lines read so far, for progress
 * @throws BotlensError `READ_FAILED` for a file path that cannot be read
 */
export async function* readCorpusLines(
  source: CorpusSource,
  afterLine = 0,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<CorpusLine> {
  let lines: Iterable<string> | AsyncIterable<string>;
  let stream: Readable | undefined;
  if (typeof source === 'string') {
    await checkReadable(source); // the message every command gives for a file it cannot read, not a bare ENOENT
    stream = createReadStream(source);
  } else if (isReadable(source)) stream = source;
  if (stream) {
    lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  } else {
    lines = source as Iterable<string> | AsyncIterable<string>;
  }
  let n = 0;
  let consumed = 0;
  try {
    for await (const raw of lines) {
      n++;
      // Bytes of the lines handed out so far (not of the read-ahead buffer), assuming one-byte line ends.
      if (onBytes) {
        consumed += Buffer.byteLength(raw) + 1;
        onBytes(consumed);
      }
      if (n <= afterLine) continue;
      const text = raw.trim();
      if (text !== '') yield { line: n, text };
    }
  } finally {
    stream?.destroy();
  }
}

function isReadable(x: unknown): x is Readable {
  return typeof x === 'object' && x !== null && typeof (x as Readable).pipe === 'function';
}
