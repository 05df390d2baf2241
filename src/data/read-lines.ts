import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { checkReadable } from './check-readable.js';
import { invalidUtf8At } from './decode-utf8.js';
import { MAX_INPUT_BYTES } from './input-byte-cap.js';

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
 * as a list of its pieces and joined once, so a huge line costs time linear in its length.
 */
async function* byteLines(stream: Readable, maxLineBytes: number): AsyncGenerator<Buffer | Overlong> {
  const parts: Buffer[] = []; // the current line's bytes from earlier chunks
  let held = 0; // bytes in `parts`
  let dropped = 0; // bytes of the current line dropped past maxLineBytes (0: none)
  const line = (piece: Buffer): Buffer | Overlong => {
    if (dropped > 0 || held + piece.length > maxLineBytes) {
      const bytes = held + dropped + piece.length;
      parts.length = 0;
      held = 0;
      dropped = 0;
      return { overlong: bytes };
    }
    held = 0;
    if (parts.length === 0) return piece;
    parts.push(piece);
    return Buffer.concat(parts.splice(0));
  };
  /** Keeps the rest of a chunk for the next line, or only counts it once the line is past the cap. */
  const hold = (piece: Buffer): void => {
    if (dropped > 0 || held + piece.length > maxLineBytes) {
      dropped += held + piece.length;
      parts.length = 0;
      held = 0;
      return;
    }
    parts.push(piece);
    held += piece.length;
  };
  let pendingCr = false; // the last chunk ended in a `\r`: whether it ends a line depends on the next byte
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (chunk.length === 0) continue;
    if (pendingCr) {
      pendingCr = false;
      if (chunk[0] !== 0x0a) yield line(Buffer.alloc(0)); // a lone `\r` ended the line held in `parts`
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
          yield line(chunk.subarray(start, cr + 1));
          start = cr + 1;
        }
        cr = chunk.indexOf(0x0d, cr + 1);
        continue;
      }
      yield line(chunk.subarray(start, nl));
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) hold(chunk.subarray(start));
  }
  if (parts.length > 0 || dropped > 0) yield line(Buffer.alloc(0));
}

/** A line longer than the cap: only its length was kept. */
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
      invalid: `line is ${raw.overlong} bytes, more than the ${maxLineBytes} a transcript can take under the limits: split it, or raise the limits (--max-messages) if it is one transcript`,
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
 * @param maxLineBytes - a longer line of a file or byte stream is not held: it comes with `invalid` (its length and
 *   the cap) and an empty text, so a huge line costs no memory
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
