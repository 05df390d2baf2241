import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { checkReadable } from './check-readable.js';
import { invalidUtf8At } from './decode-utf8.js';
import { TRANSCRIPT_CAP_RULE as LINE_CAP_RULE, MAX_INPUT_BYTES } from './input-byte-cap.js';

/** One input line handed to a scorer: its 1-based line number and its text. */
export interface CorpusLine {
  /** 1-based line number in the input. */
  line: number;
  /** The raw line (one JSON transcript). */
  text: string;
  /** Why the line cannot be read at all (its bytes are not valid UTF-8): it is rejected with this reason. */
  invalid?: string;
}

/** Where a corpus comes from: a file path, a readable stream, or any (async) iterable of lines. */
export type CorpusSource = string | Readable | Iterable<string> | AsyncIterable<string>;

/**
 * The lines of a byte stream as their bytes, split as `readline` splits text: at `\n`, at `\r\n` and at a `\r`
 * that no `\n` follows (a line keeps its `\r`, which the caller trims). Written out because `readline` decodes
 * as it splits and would replace invalid UTF-8 before it could be reported. A line longer than a chunk is kept
 * as a list of its pieces and joined once, so a huge line costs time linear in its length. A line that grows past
 * `maxLineBytes` is handed out at once as an {@link Overlong} (a reader that stops there reads no further), and the
 * rest of it is dropped unread into memory up to its end, where the next line starts.
 */
async function* byteLines(stream: Readable, maxLineBytes: number): AsyncGenerator<Buffer | Overlong> {
  const parts: Buffer[] = []; // the current line's bytes from earlier chunks
  let held = 0; // bytes in `parts`
  let skipping = false; // the current line went past maxLineBytes: it was handed out, its rest is dropped
  /** What a piece that ends the line hands out: the line, its Overlong, or nothing when it was handed out already. */
  const end = (piece: Buffer): Buffer | Overlong | undefined => {
    if (skipping) {
      skipping = false;
      return undefined;
    }
    if (held + piece.length > maxLineBytes) {
      const overlong = { overlong: held + piece.length };
      parts.length = 0;
      held = 0;
      return overlong;
    }
    held = 0;
    if (parts.length === 0) return piece;
    parts.push(piece);
    return Buffer.concat(parts.splice(0));
  };
  /** Keeps the rest of a chunk for the next line; once that takes the line past the cap, its Overlong. */
  const hold = (piece: Buffer): Overlong | undefined => {
    if (skipping) return undefined;
    if (held + piece.length > maxLineBytes) {
      const overlong = { overlong: held + piece.length };
      parts.length = 0;
      held = 0;
      skipping = true;
      return overlong;
    }
    parts.push(piece);
    held += piece.length;
    return undefined;
  };
  let pendingCr = false; // the last chunk ended in a `\r`: whether it ends a line depends on the next byte
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (chunk.length === 0) continue;
    if (pendingCr) {
      pendingCr = false;
      if (chunk[0] !== 0x0a) {
        const out = end(Buffer.alloc(0)); // a lone `\r` ended the line held in `parts`
        if (out !== undefined) yield out;
      }
    }
    let start = 0;
    let nl = chunk.indexOf(0x0a);
    let cr = chunk.indexOf(0x0d);
    while (nl !== -1 || cr !== -1) {
      if (cr !== -1 && (nl === -1 || cr < nl)) {
        if (cr + 1 === chunk.length) {
          pendingCr = true;
          break;
        }
        if (chunk[cr + 1] !== 0x0a) {
          const out = end(chunk.subarray(start, cr + 1));
          if (out !== undefined) yield out;
          start = cr + 1;
        }
        cr = chunk.indexOf(0x0d, cr + 1);
        continue;
      }
      const out = end(chunk.subarray(start, nl));
      if (out !== undefined) yield out;
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) {
      const out = hold(chunk.subarray(start));
      if (out !== undefined) yield out;
    }
  }
  if (parts.length > 0) {
    const out = end(Buffer.alloc(0));
    if (out !== undefined) yield out;
  }
}

/** A line longer than the cap: only the bytes read of it before it was refused were counted. */
interface Overlong {
  overlong: number;
}

/** One line's text, and why it is invalid when its bytes are not UTF-8. */
function decodeLine(
  raw: Buffer | string | Overlong,
  maxLineBytes: number,
): { text: string; invalid?: string } {
  if (typeof raw === 'string') return { text: raw };
  if (!Buffer.isBuffer(raw))
    return {
      text: '',
      invalid: `line is more than the ${maxLineBytes} bytes a transcript can take under the limits (${LINE_CAP_RULE}), so it was not read on: split it, or raise the limits (--max-messages) if it is one transcript`,
    };
  if (isUtf8(raw)) return { text: raw.toString('utf8') };
  const bad = invalidUtf8At(raw);
  const where = bad === undefined ? '' : ` at byte ${bad.column} of the line (0x${bad.hex})`;
  return { text: raw.toString('utf8'), invalid: `line is not valid UTF-8${where}: save the file as UTF-8` };
}

/**
 * The non-blank lines of a corpus with their 1-based line numbers, read as a stream (constant memory: the file is
 * paused while lines wait to be consumed). Lines at or before `afterLine` are skipped. A file's lines are split on
 * `\n` and decoded strictly: a line whose bytes are not valid UTF-8 comes with `invalid` (the reason, with the
 * byte offset in the line), never with replacement characters in its place.
 *
 * @param source - a JSONL file path, a stream, or lines
 * @param afterLine - skip lines numbered up to and including this
 * @param onBytes - called with the bytes of the lines read so far, for progress
 * @param maxLineBytes - a longer line of a file or byte stream is not held: it comes with `invalid` (the cap) and an
 *   empty text as soon as it passes the cap, so a huge line costs no more memory than the cap; readers of
 *   transcripts pass `transcriptByteCap` of their limits
 * @defaultValue maxLineBytes: {@link MAX_INPUT_BYTES} (256 MiB)
 * @throws BotlensError `READ_FAILED` for a file path that cannot be read
 */
export async function* readCorpusLines(
  source: CorpusSource,
  afterLine = 0,
  onBytes?: (bytes: number) => void,
  maxLineBytes: number = MAX_INPUT_BYTES,
): AsyncGenerator<CorpusLine> {
  let lines: Iterable<Buffer | string | Overlong> | AsyncIterable<Buffer | string | Overlong>;
  let stream: Readable | undefined;
  if (typeof source === 'string') {
    await checkReadable(source); // the message every command gives for a file it cannot read, not a bare ENOENT
    stream = createReadStream(source);
  } else if (isReadable(source)) stream = source;
  // A stream with an encoding set yields text its owner decoded: it is only split.
  if (stream?.readableEncoding)
    lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  else if (stream) lines = byteLines(stream, maxLineBytes);
  else lines = source as Iterable<string> | AsyncIterable<string>;
  let n = 0;
  let consumed = 0;
  try {
    for await (const raw of lines) {
      n++;
      // Bytes of the lines handed out so far (not of the read-ahead buffer).
      if (onBytes) {
        const size =
          typeof raw === 'string' ? Buffer.byteLength(raw) : Buffer.isBuffer(raw) ? raw.length : raw.overlong;
        consumed += size + 1;
        onBytes(consumed);
      }
      if (n <= afterLine) continue;
      const { text: decoded, invalid } = decodeLine(raw, maxLineBytes);
      const text = decoded.trim();
      if (text !== '' || invalid !== undefined)
        yield { line: n, text, ...(invalid !== undefined && { invalid }) };
    }
  } finally {
    stream?.destroy();
  }
}

function isReadable(x: unknown): x is Readable {
  return typeof x === 'object' && x !== null && typeof (x as Readable).pipe === 'function';
}
