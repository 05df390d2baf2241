import { fstatSync, type Stats, statSync } from 'node:fs';
import { type FileHandle, lstat, open, rm, stat } from 'node:fs/promises';
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

/** The `out` that means standard output. */
export const STDOUT = '-';

/**
 * True when `path` is written as a stream rather than a file: `-` (standard output), or an existing device, pipe or
 * socket (`/dev/stdout`, a FIFO). A stream is written as it goes, never synced (`fsync` fails on a pipe or a
 * terminal), truncated nor resumed, and no file is created beside it.
 *
 * @param path - an output path
 * @internal
 */
export function isStreamOutput(path: string): boolean {
  if (path === STDOUT) return true;
  const s = statSync(path, { throwIfNoEntry: false });
  return s !== undefined && !s.isFile() && !s.isDirectory();
}

/**
 * How long a line queued by {@link OrderedAppender.push} may wait before it is written, in ms: lines are gathered
 * into writes of up to 64 KiB, but a slow run's finished lines reach the file within this.
 */
const FLUSH_DELAY = 1000;

/** One JSONL output of {@link OrderedAppender}: a file, or a stream. */
interface LineSink {
  write(text: string): Promise<void>;
  /** Syncs a regular file to disk (a stream is not synced). */
  sync(): Promise<void>;
  /** Closes a file; leaves standard output open. */
  close(): Promise<void>;
}

/**
 * The standard stream (1: standard output, 2: standard error) of this process that `path` is: `-` is standard
 * output, and a device, pipe or socket path (`/dev/stdout`, `/proc/self/fd/2`) is the stream it names when both
 * are the same file. Such an output is written through the process's own stream: opening the path again fails
 * where the stream is a socket (ENXIO), as a parent process's pipe often is.
 *
 * @param path - an output path
 * @internal
 */
export function standardStreamOf(path: string): 1 | 2 | undefined {
  if (path === STDOUT) return 1;
  return standardStreamOfStat(statSync(path, { throwIfNoEntry: false }));
}

/** {@link standardStreamOf} for a path whose `stat` is known (undefined: no such file). */
function standardStreamOfStat(s: Stats | undefined): 1 | 2 | undefined {
  if (s === undefined || s.isFile() || s.isDirectory()) return undefined;
  for (const fd of [1, 2] as const) {
    try {
      const f = fstatSync(fd);
      if (f.dev === s.dev && f.ino === s.ino) return fd;
    } catch {
      // that stream is closed
    }
  }
  return undefined;
}

/** Standard output or standard error as a {@link LineSink}: each write waits for the stream to take it. */
function standardSink(fd: 1 | 2): LineSink {
  const stream = fd === 1 ? process.stdout : process.stderr;
  return {
    write: (text) =>
      new Promise((ok, fail) => {
        stream.write(text, (err) => (err ? fail(err) : ok()));
      }),
    sync: async () => undefined,
    close: async () => undefined,
  };
}

/** `stat` of `path` (following links), or undefined when it cannot be read (no such file). */
function statOrUndefined(path: string): Promise<Stats | undefined> {
  return stat(path).catch(() => undefined);
}

/**
 * The error for a file whose size is not what this run wrote to it: another process wrote to it (a second run
 * with the same output), or cut it, while this run had it open.
 */
function otherWriterError(path: string, size: number, expected: number, wrote: number): BotlensError {
  return new BotlensError(
    'WRITE_FAILED',
    wrote === 0
      ? `${path} was written by another process while this run had it open (it holds ${size} bytes; this run wrote none): another run with the same output? This run stops without writing to it: give it another output file, or let the other run end.`
      : `${path} was changed by another process while this run wrote it (it holds ${size} bytes where this run left ${expected}): another run with the same output? Its lines and this run's may be mixed: remove it and score again, one run per output file.`,
  );
}

/**
 * A file (or device, pipe, socket) opened with `flag` as a {@link LineSink}; only a regular file is synced.
 * `known` is the path's `stat` when the caller has it (undefined: no such file), so the path is stat'ed once.
 *
 * A regular file is checked to hold exactly what this run expects before each write and when it is synced: its
 * size at opening (0 when `fresh`: a file this run starts, or `'w'`/`'wx'`), plus what this run wrote. A second
 * run that appends to the same file (every run since this check appends) is found at its next write or at the end,
 * so two runs never both end well with their lines mixed: the one that finds the other's lines stops loudly
 * (`WRITE_FAILED`), before writing any itself when it had written none. An `fstat` per write (of up to 64 KiB).
 */
async function openSink(
  path: string,
  flag: 'w' | 'wx' | 'a',
  known?: { stat: Stats | undefined },
  fresh = flag !== 'a',
): Promise<LineSink> {
  if (path === STDOUT) return standardSink(1);
  const s = known ? known.stat : await statOrUndefined(path);
  const fd = standardStreamOfStat(s);
  if (fd !== undefined) return standardSink(fd);
  const fh = await open(path, flag);
  // A path that was not there is created by the open: a regular file.
  const regular = s === undefined || s.isFile();
  const opened = fresh ? 0 : (s?.size ?? 0);
  let expected = opened;
  const check = (): void => {
    const { size } = fstatSync(fh.fd);
    if (size !== expected) throw otherWriterError(path, size, expected, expected - opened);
  };
  return {
    write: async (text) => {
      if (regular) check();
      const { bytesWritten } = await fh.write(text);
      expected += bytesWritten;
    },
    sync: async () => {
      if (!regular) return;
      check();
      await fh.sync();
    },
    close: () => fh.close(),
  };
}

/**
 * Two append-only JSONL files (scores and rejects) written strictly in input order: one file's pending lines
 * are written (and awaited) before a line goes to the other, so after a crash each file holds a prefix of
 * the run and the larger of their last line numbers is where to resume. The scores may go to standard output
 * (`-`), and there may be no rejects file (a run that stops at the first invalid line writes none). A rejects
 * file that is a regular file is created only when the first reject is written: a run without an invalid line
 * leaves none.
 */
export class OrderedAppender {
  private pending: { file: 0 | 1; chunks: string[]; bytes: number } = { file: 0, chunks: [], bytes: 0 };
  /** The timed flush of the lines queued, set at the first of them. */
  private timer: NodeJS.Timeout | undefined;
  /** The writes under way, in order. */
  private writing: Promise<void> = Promise.resolve();
  /** Why a write failed (the next push or flush throws it), and whether it was thrown to the caller yet. */
  private failure: { err: unknown; thrown: boolean } | undefined;
  private readonly sinks: [LineSink, LineSink | undefined];
  /** Set by {@link halt}: nothing more is written. */
  private halted = false;
  /** Lines (scores and rejects) whose write has completed. */
  private linesWritten = 0;

  private constructor(
    scores: LineSink,
    private readonly rejectsPath: string | undefined,
    /** A run that starts its outputs empty: a rejects file it opens must be empty then (another run's otherwise). */
    private readonly fresh: boolean,
  ) {
    this.sinks = [scores, undefined];
  }

  /**
   * Opens the scores output for appending (`truncate`: start it empty, and remove a rejects file left by an
   * earlier run, which this run would otherwise have emptied); `out` may be `-` (standard output) and `rejects`
   * undefined (none). The rejects file is opened for appending at the first reject. When the leftover rejects
   * file cannot be removed, a scores file this call created is removed again, so a failed start leaves no empty
   * output behind.
   */
  static async open(out: string, rejects: string | undefined, truncate: boolean): Promise<OrderedAppender> {
    // One stat of `out` says whether it existed, whether it is a standard stream and whether it is a regular file.
    const known = out === STDOUT ? undefined : { stat: await statOrUndefined(out) };
    const existed = known === undefined || known.stat !== undefined;
    // A new file is created exclusively: a second run that started meanwhile with the same output (both saw no
    // file) fails here instead of emptying the first run's scores. An existing regular file is appended to, never
    // emptied (the caller refuses one that holds lines unless resuming): a run started with it empty that finds
    // another run's lines in it stops at its next write (see openSink). A device or pipe is opened 'w'. A dangling
    // symlink (no target to stat) is written through, as before ('w').
    const regular = known?.stat?.isFile() === true;
    const flag = truncate && !existed ? 'wx' : truncate && !regular ? 'w' : 'a';
    const a = await openSink(out, flag, known, truncate).catch(async (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if ((await lstat(out).catch(() => undefined))?.isSymbolicLink()) return openSink(out, 'w', known);
      throw new BotlensError(
        'WRITE_FAILED',
        `${out} was created by another run after this one started, so this run stops rather than overwrite that run's scores: give this run another output file, or let that run end (if it stops early, continue it with resume: true or remove it).`,
        { cause: err },
      );
    });
    const appender = new OrderedAppender(a, rejects, truncate);
    try {
      if (truncate && rejects !== undefined) {
        // Only a regular file is removed (and created again at the first reject). A symlink (`/dev/stderr` is one),
        // device or pipe is written through, emptied now as a file would be: removing it would remove the link.
        const kind = await lstat(rejects).catch(() => undefined);
        if (kind?.isFile()) await rm(rejects, { force: true });
        // A link's target is stat'ed on opening; anything else is what the lstat saw.
        else if (kind !== undefined)
          appender.sinks[1] = await openSink(
            rejects,
            'w',
            kind.isSymbolicLink() ? undefined : { stat: kind },
          );
      }
    } catch (err) {
      await a.close();
      if (!existed) await rm(out, { force: true });
      throw err;
    }
    return appender;
  }

  /**
   * Queues one JSON line for file 0 (scores) or 1 (rejects); writes when the other file is next, 64 KiB wait, or
   * {@link FLUSH_DELAY} ms after the first line queued (a slow run's finished lines reach the file within a second,
   * so a killed run loses no more than that).
   */
  async push(file: 0 | 1, value: unknown): Promise<void> {
    this.throwFailure();
    if (file === 1 && this.rejectsPath === undefined)
      throw new BotlensError(
        'WRITE_FAILED',
        'A rejected line has no rejects file to go to: give a rejects file (checkScoreOutputs refuses this).',
      );
    if (file !== this.pending.file) await this.flush();
    this.pending.file = file;
    const line = `${JSON.stringify(value)}\n`;
    this.pending.chunks.push(line);
    this.pending.bytes += line.length;
    if (this.pending.bytes >= 1 << 16) await this.flush();
    else this.timer ??= setTimeout(() => void this.writeQueued(), FLUSH_DELAY).unref();
  }

  /** Writes what is queued (whole lines, after any write under way), and waits for it. */
  async flush(): Promise<void> {
    await this.writeQueued();
    this.throwFailure();
  }

  /**
   * Ends the writing early, with whole lines only: queues the lines pending after the writes under way, and
   * writes nothing after them (later pushes are dropped). For a process about to exit (Ctrl-C, SIGTERM): what it
   * returns is exact, and the files end at a line's end.
   *
   * @returns the lines (scores and rejects) written in all, each whole
   */
  async halt(): Promise<number> {
    const last = this.writeQueued();
    this.halted = true;
    await last;
    return this.linesWritten;
  }

  /**
   * Writes what is queued after any write under way (chained: a timed flush and the next push's never interleave,
   * nor reorder the two files' lines), and counts the lines once written. After a failed write, or once
   * {@link halt} was called, nothing more is written: the files stay a prefix.
   */
  private writeQueued(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { file, chunks } = this.pending;
    if (chunks.length) {
      this.pending = { file, chunks: [], bytes: 0 };
      if (this.halted) return this.writing;
      this.writing = this.writing
        .then(async () => {
          if (this.failure) return;
          if (file === 1 && this.rejectsPath !== undefined)
            this.sinks[1] ??= await openSink(this.rejectsPath, 'a', undefined, this.fresh);
          await this.sinks[file]?.write(chunks.join(''));
          this.linesWritten += chunks.length;
        })
        .catch((err: unknown) => {
          this.failure ??= { err, thrown: false };
        });
    }
    return this.writing;
  }

  /** Throws the failure of a write, if one failed. */
  private throwFailure(): void {
    if (!this.failure) return;
    this.failure.thrown = true;
    throw this.failure.err;
  }

  /** Flushes, syncs to disk and closes the files (standard output is left open, and a stream is not synced). */
  async close(): Promise<void> {
    const sinks = this.sinks.filter((s) => s !== undefined);
    try {
      await this.writeQueued();
      // A write failure the caller saw already is not thrown again (the caller is stopping on it).
      if (!this.failure?.thrown) this.throwFailure();
      await Promise.all(sinks.map((s) => s.sync()));
    } finally {
      await Promise.all(sinks.map((s) => s.close()));
    }
  }
}
