import { type FileHandle, open, rm } from 'node:fs/promises';
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
 * the run and the larger of their last line numbers is where to resume. The rejects file is created only when
 * the first reject is written: a run without an invalid line leaves none.
 */
export class OrderedAppender {
  private pending: { file: 0 | 1; chunks: string[]; bytes: number } = { file: 0, chunks: [], bytes: 0 };
  private readonly handles: [FileHandle, FileHandle | undefined];

  private constructor(
    scores: FileHandle,
    private readonly rejectsPath: string,
  ) {
    this.handles = [scores, undefined];
  }

  /**
   * Opens the scores file for appending (`truncate`: start it empty, and remove a rejects file left by an earlier
   * run, which this run would otherwise have emptied); the rejects file is opened for appending at the first reject.
   */
  static async open(out: string, rejects: string, truncate: boolean): Promise<OrderedAppender> {
    const a = await open(out, truncate ? 'w' : 'a');
    try {
      if (truncate) await rm(rejects, { force: true });
    } catch (err) {
      await a.close();
      throw err;
    }
    return new OrderedAppender(a, rejects);
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
    this.handles[1] ??= file === 1 ? await open(this.rejectsPath, 'a') : undefined;
    await this.handles[file]!.write(chunks.join(''));
  }

  /** Flushes, syncs to disk and closes the files. */
  async close(): Promise<void> {
    const opened = (): FileHandle[] => this.handles.filter((h) => h !== undefined);
    try {
      await this.flush();
      await Promise.all(opened().map((h) => h.sync()));
    } finally {
      await Promise.all(opened().map((h) => h.close()));
    }
  }
}
