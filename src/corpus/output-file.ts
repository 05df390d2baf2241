import { type FileHandle, open, rm, stat } from 'node:fs/promises';
import { BotlensError } from '../errors/botlens-error.js';

/**
 * The resume point of an append-only JSONL output: the `line` field of its last complete line, after cutting
 * off a partial last line (what a killed run can leave). A missing file gives 0. Reads the file as a stream.
 *
 * @param path - a scores or rejects file written by this module
 * @throws BotlensError `READ_FAILED` when its last complete line is not a record with a `line` number
 */
export async function lastCompleteLine(path: string): Promise<number> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const buf = Buffer.alloc(1 << 16);
    let pos = 0;
    let completeEnd = 0; // byte offset just after the last '\n'
    let current: Buffer[] = []; // bytes of the line being read
    let last: Buffer | undefined; // the last complete line
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      let start = 0;
      for (let i = 0; i < bytesRead; i++) {
        if (buf[i] !== 10) continue;
        current.push(Buffer.from(buf.subarray(start, i)));
        last = Buffer.concat(current);
        current = [];
        completeEnd = pos + i + 1;
        start = i + 1;
      }
      if (start < bytesRead) current.push(Buffer.from(buf.subarray(start, bytesRead)));
      pos += bytesRead;
    }
    if (pos > completeEnd) await fh.truncate(completeEnd);
    if (!last || last.length === 0) return 0;
    let line: unknown;
    try {
      line = (JSON.parse(last.toString('utf8')) as { line?: unknown } | null)?.line;
    } catch {
      // not JSON: the check below says so
    }
    if (!Number.isInteger(line))
      throw new BotlensError(
        'READ_FAILED',
        `${path}: its last line is not a botlens record with a "line" number, so there is no point to resume from; it was not written by botlens score, or was edited. Remove the file and score the corpus again, or repair that line.`,
      );
    return line as number;
  } finally {
    await fh.close();
  }
}

/**
 * Two append-only JSONL files (scores and rejects) written strictly in input order: one file's pending lines
 * are written (and awaited) before a line goes to the other, so after a crash each file holds a prefix of
 * the run and the larger of their last line numbers is where to resume.
 */
export class OrderedAppender {
  private pending: { file: 0 | 1; chunks: string[]; bytes: number } = { file: 0, chunks: [], bytes: 0 };

  private constructor(private readonly handles: [FileHandle, FileHandle]) {}

  /**
   * Opens both files for appending (`truncate`: start them empty). When the rejects file cannot be opened, a scores
   * file this call created is removed again, so a failed start leaves no empty output behind.
   */
  static async open(out: string, rejects: string, truncate: boolean): Promise<OrderedAppender> {
    const flag = truncate ? 'w' : 'a';
    const existed = await stat(out).then(
      () => true,
      () => false,
    );
    const a = await open(out, flag);
    try {
      return new OrderedAppender([a, await open(rejects, flag)]);
    } catch (err) {
      await a.close();
      if (!existed) await rm(out, { force: true });
      throw err;
    }
  }

  /** Queues one JSON line for file 0 (scores) or 1 (rejects); writes when the other file is next or 64 KiB wait. */
  async push(file: 0 | 1, value: unknown): Promise<void> {
    if (file !== this.pending.file) await this.flush();
    this.pending.file = file;
    const line = `${JSON.stringify(value)}\n`;
    this.pending.chunks.push(line);
    this.pending.bytes += line.length;
    if (this.pending.bytes >= 1 << 16) await this.flush();
  }

  /** Writes what is queued. */
  async flush(): Promise<void> {
    const { file, chunks } = this.pending;
    if (!chunks.length) return;
    this.pending = { file, chunks: [], bytes: 0 };
    await this.handles[file].write(chunks.join(''));
  }

  /** Flushes, syncs to disk and closes both files. */
  async close(): Promise<void> {
    try {
      await this.flush();
      await Promise.all(this.handles.map((h) => h.sync()));
    } finally {
      await Promise.all(this.handles.map((h) => h.close()));
    }
  }
}
