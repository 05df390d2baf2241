import { isUtf8 } from 'node:buffer';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';

/**
 * The offset of the first byte of `bytes` that does not start (or continue) a well-formed UTF-8 sequence, or -1
 * when all are well formed. Overlong forms, surrogates and code points past U+10FFFF count as malformed, as in
 * a fatal `TextDecoder`.
 *
 * @param bytes - the bytes
 * @internal
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // [extra bytes, lowest and highest allowed second byte]
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (c === undefined || c < min || c > max) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Where the first malformed UTF-8 byte is: see {@link invalidUtf8At}. */
export interface InvalidUtf8Place {
  /** Its offset in the bytes (0-based). */
  offset: number;
  /** Its line (1-based; lines end with `\n`). */
  line: number;
  /** Its byte in that line (1-based). */
  column: number;
  /** The byte, as two hex digits. */
  hex: string;
}

/**
 * Where the first malformed UTF-8 byte of `bytes` is; undefined when the bytes are valid UTF-8 (checked first
 * with node's fast `isUtf8`, so valid text costs one pass).
 *
 * @param bytes - the bytes
 * @internal
 */
export function invalidUtf8At(bytes: Uint8Array): InvalidUtf8Place | undefined {
  if (isUtf8(bytes)) return undefined;
  const offset = firstInvalidUtf8(bytes);
  if (offset < 0) return undefined;
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { offset, line, column: offset - lineStart + 1, hex: bytes[offset]!.toString(16).padStart(2, '0') };
}

/**
 * Decodes UTF-8 strictly: malformed bytes are an error naming the file, the line and the byte, never replaced
 * silently with U+FFFD (which would score or train on text that is not what the file holds).
 *
 * @param bytes - the file's bytes
 * @param source - the file, for the message
 * @throws InvalidTranscriptError naming `source:line` and the byte offset
 * @internal
 */
export function decodeUtf8(bytes: Buffer, source: string): string {
  const bad = invalidUtf8At(bytes);
  if (bad === undefined) return bytes.toString('utf8');
  throw new InvalidTranscriptError([
    {
      path: `${source}:${bad.line}`,
      message: `not valid UTF-8 at byte ${bad.column} of the line (0x${bad.hex}, byte ${bad.offset + 1} of the file, counting from 1): save the file as UTF-8`,
    },
  ]);
}
