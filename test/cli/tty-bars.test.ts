/**
 * The CLI's progress bars on a terminal. A bar saves the cursor in the terminal's one save slot (ESC 7) and goes
 * back to it when it stops (ESC 8): a model-loading bar drawn while the `fit` bar ran used to nest inside it (the
 * fit bar's last line stayed on screen and its stop jumped the cursor back a line). Bars also used to turn line
 * wrapping off (ESC[?7l) and `score`'s hid the cursor (ESC[?25l) until they stopped: Ctrl-C, which runs no stop,
 * left the terminal that way.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { HAS_SCRIPT, interruptCliOnTty, resizeCliOnTty, runCliOnTty } from '../helpers/on-tty.js';
import { runCli } from '../helpers/run-cli.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';
import { chat } from '../helpers/transcripts.js';

/** The terminal modes the output switches, in order: `7l` wrap off, `7h` on, `25l` cursor hidden, `25h` shown. */
function modes(out: string, mode: '7' | '25'): string[] {
  return [...out.matchAll(new RegExp(`\\x1b\\[\\?${mode}([lh])`, 'g'))].map((m) => m[1] ?? '');
}

const ESC = String.fromCharCode(27);

/** The cursor saves (`7`) and restores (`8`) in order. */
function saves(out: string): string[] {
  return [...out.matchAll(new RegExp(`${ESC}([78])`, 'g'))].map((m) => m[1] ?? '');
}

/** True when every save is followed by its restore before the next save (no bar drawn inside another). */
function takesTurns(switches: readonly string[]): boolean {
  return switches.every((s, i) => s === (i % 2 === 0 ? '7' : '8')) && switches.length % 2 === 0;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'botlens-tty-bars-'));
  await writeFile(join(dir, 'train.jsonl'), labelledJsonl(12));
  await writeFile(join(dir, 'big.jsonl'), labelledJsonl(20_000));
  await writeFile(join(dir, 'one.json'), JSON.stringify(chat('b', ['a: hi!', 'b: hello, how can I help?'])));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeWithShared('on a terminal, a model loaded while `fit` runs', () => {
  it.skipIf(!HAS_SCRIPT)(
    'draws its bar in turn with the fit bar, and the fit bar leaves nothing behind',
    () => {
      const r = runCliOnTty([
        'fit',
        '--detectors',
        'heuristic,nli',
        '--model',
        `nli=${join(HF_TINY, 'tiny-bert-nli')}`,
        '--member-prefix-cuts',
        'none',
        '--data',
        join(dir, 'train.jsonl'),
        '--out',
        join(dir, 'fitted.json'),
      ]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/tiny-bert-nli \[.*\] 100%/);
      expect(r.out).toMatch(/fit: fitting ensemble/);
      expect(saves(r.out).length).toBeGreaterThanOrEqual(4);
      expect(takesTurns(saves(r.out))).toBe(true);
      // The fit bar clears its own line and the summary is written there, not a line above it.
      expect(r.out).toContain(`${ESC}[2Kbotlens: fitted ensemble on 12 transcripts`);
    },
  );
});

/** The lines a bar drew (each redraw goes to the line's start, `ESC[1G`, and clears what is left, `ESC[0K`). */
function barFrames(out: string): string[] {
  return out
    .split(`${ESC}[1G`)
    .slice(1)
    .map((f) => f.split(`${ESC}[0K`)[0] ?? '');
}

describeWithShared('on a terminal, an ensemble of several model-backed members', () => {
  /**
   * Runs `detect` with an NLI and a perplexity member on a terminal `columns` wide, and checks that it succeeds
   * and that every frame of the loading bars fits, its percentage and byte counts whole.
   */
  const detectOnTty = (columns: number): string[] => {
    const r = runCliOnTty(
      [
        'detect',
        join(dir, 'one.json'),
        '--detectors',
        'nli,perplexity',
        '--model',
        `nli=${join(HF_TINY, 'tiny-bert-nli')}`,
        '--model',
        `perplexity=${join(HF_TINY, 'tiny-gpt2')}`,
      ],
      { columns },
    );
    expect(r.code).toBe(0);
    const frames = barFrames(r.out);
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      expect(f.length).toBeLessThanOrEqual(columns - 1);
      expect(f).toMatch(/\d+% \| [\d.]+\/[\d.]+ (B|kB|MB)/);
    }
    return frames;
  };

  it.skipIf(!HAS_SCRIPT)(
    'at 80 columns, the loading bar takes both models to 100%, named by folder, its numbers whole',
    () => {
      const frames = detectOnTty(80);
      // The bar used to stop at the first model's `ready`, labelled with that model's full path. Now the bar that
      // finishes names both (the members load together); were one to finish first, each would get a bar.
      const finished = frames.filter((f) => / 100% \|.* ready$/.test(f));
      expect(finished.at(-1)).toMatch(/^[\w +-]+ \[.+\] 100% \| [\d.]+\/[\d.]+ [kM]?B \| .*ready$/);
      expect(finished.join('\n')).toContain('tiny-bert-nli');
      expect(finished.join('\n')).toContain('tiny-gpt2');
      expect(frames.join('\n')).not.toContain(HF_TINY);
    },
  );

  it.skipIf(!HAS_SCRIPT)('at 40 columns, every frame keeps the percentage and byte counts', () => {
    expect(detectOnTty(40).at(-1)).toMatch(/ 100% \| /);
  });
});

describeWithShared('on a terminal, a model that fails to load', () => {
  it.skipIf(!HAS_SCRIPT)(
    'ends its loading bar, saying failed, before the error: no frame is drawn after it',
    async () => {
      const broken = join(dir, 'broken-nli');
      await cp(join(HF_TINY, 'tiny-bert-nli'), broken, { recursive: true });
      await writeFile(join(broken, 'onnx', 'model.onnx'), 'not an onnx file');
      const r = runCliOnTty(
        ['detect', join(dir, 'one.json'), '--detectors', 'heuristic,nli', '--model', `nli=${broken}`],
        { columns: 100 },
      );
      expect(r.code).toBe(3);
      const error = r.out.indexOf('botlens: detector "nli" failed: ModelLoadError');
      expect(error).toBeGreaterThan(0);
      // Before: the bar ran on under the error (written on the bar's own line), and stopping it at the end drew a
      // stale frame ("broken-nli [...] 100% | ... | onnx/model.onnx") after the command's output.
      const before = r.out.slice(0, error);
      expect(barFrames(before).at(-1)).toMatch(/^broken-nli \[.*\] \d+% \| [\d.]+\/[\d.]+ kB \| failed$/);
      expect(before).toMatch(new RegExp(`${ESC}8\\r?\\n$`));
      expect(r.out.slice(error)).not.toContain(`${ESC}[1G`);
      expect(r.out.slice(error)).not.toContain('broken-nli [');
      expect(takesTurns(saves(r.out))).toBe(true);
    },
  );
});

describe.skipIf(!HAS_SCRIPT)('on a terminal, the eval bar', () => {
  /** `eval` on a terminal `columns` wide: its bar's frames (the counted ones, with a percentage). */
  const evalFrames = (columns: number): string[] => {
    const r = runCliOnTty(['eval', '--data', join(dir, 'train.jsonl')], { columns });
    expect(r.code).toBe(0);
    return barFrames(r.out).filter((f) => /%/.test(f));
  };

  it.each([80, 40, 24])('at %i columns, fits the line and keeps its counts and percentage', (columns) => {
    const frames = evalFrames(columns);
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      expect(f.length).toBeLessThanOrEqual(columns - 1);
      expect(f).toMatch(/\d+\/12 \| \d+%/);
    }
  });

  it('at 80 columns, draws the bar and names the task', () => {
    expect(evalFrames(80).at(-1)).toMatch(/^eval \[.+\] 12\/12 \| 100% \| ETA/);
  });
});

describe.skipIf(!HAS_SCRIPT)('on a terminal, the score bar', () => {
  it.each([80, 40, 24])('at %i columns, fits the line and keeps its percentage and lines done', (columns) => {
    const out = join(dir, `fit-scores-${columns}.jsonl`);
    const r = runCliOnTty(['score', join(dir, 'big.jsonl'), '--out', out, '--workers', '0'], { columns });
    expect(r.code).toBe(0);
    const frames = barFrames(r.out).filter((f) => /%/.test(f));
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      expect(f.length).toBeLessThanOrEqual(columns - 1);
      expect(f).toMatch(/\d+% \| \d+ lines/);
    }
    if (columns === 80)
      expect(frames.at(-1)).toMatch(/^scoring \|.+\| \d+% \| \d+ lines \| \d+ lines\/s \| ETA/);
  });
});

describe.skipIf(!HAS_SCRIPT)('on a terminal that is resized while a bar runs', () => {
  it('score: the bar lays its line out again for the new width', async () => {
    const out = join(dir, 'resized-scores.jsonl');
    const r = await resizeCliOnTty(
      ['score', join(dir, 'big.jsonl'), '--out', out, '--workers', '0'],
      /scoring \|.+\| \d+% \| \d+ lines/,
      40,
      { columns: 100 },
    );
    expect(r.resized).toBe(true);
    expect(r.code).toBe(0);
    const frames = barFrames(r.out).filter((f) => /%/.test(f));
    // Drawn with its bar at 100 columns first, then within 39 columns once the terminal narrowed.
    expect(frames[0]).toMatch(/^scoring \|.+\| \d+% \| \d+ lines \| \d+ lines\/s/);
    expect(frames.at(-1)!.length).toBeLessThanOrEqual(39);
    expect(frames.at(-1)).toMatch(/\d+% \| \d+ lines/);
  });
});

describe.skipIf(!HAS_SCRIPT)('on a terminal, Ctrl-C during a progress bar', () => {
  it('score: leaves line wrapping on and the cursor shown, and ends by SIGINT', async () => {
    const r = await interruptCliOnTty(
      ['score', join(dir, 'big.jsonl'), '--out', join(dir, 'scores.jsonl'), '--workers', '0'],
      /scoring \|/,
    );
    expect(r.interrupted).toBe(true);
    expect(r.code).toBe(130);
    expect(modes(r.out, '7').at(-1) ?? 'h').toBe('h');
    expect(modes(r.out, '25').at(-1) ?? 'h').toBe('h');
  });

  it('eval: leaves line wrapping on, and ends by SIGINT', async () => {
    const r = await interruptCliOnTty(['eval', '--data', join(dir, 'big.jsonl'), '--ci'], /eval \[/);
    expect(r.interrupted).toBe(true);
    expect(r.code).toBe(130);
    expect(modes(r.out, '7').at(-1) ?? 'h').toBe('h');
  });
});

describe.skipIf(!HAS_SCRIPT)('on a terminal, score on an input it cannot read', () => {
  it('fails with the same message as piped, and as detect, without drawing a bar first', async () => {
    const missing = join(dir, 'missing.jsonl');
    const args = ['score', missing, '--out', join(dir, 'missing-scores.jsonl')];
    const piped = await runCli(args);
    const tty = runCliOnTty(args);
    expect(piped.code).toBe(1);
    expect(tty.code).toBe(1);
    expect(tty.out).not.toMatch(/scoring \|/);
    expect(tty.out.replace(/\r\n/g, '\n')).toBe(piped.stderr);
    // Before: a bare "ENOENT: no such file or directory, open ...".
    const said = `botlens: Cannot read ${missing} (ENOENT): check the path and permissions.\n`;
    expect(piped.stderr).toBe(said);
    expect((await runCli(['detect', missing])).stderr).toBe(said);
  });
});

describe.skipIf(!HAS_SCRIPT)('on a terminal, score into an --out that exists', () => {
  it('refuses it without drawing a bar first, and leaves the file as it was', async () => {
    const out = join(dir, 'taken.jsonl');
    await writeFile(out, 'kept\n');
    const tty = runCliOnTty(['score', join(dir, 'train.jsonl'), '--out', out, '--workers', '0']);
    expect(tty.code).toBe(1);
    expect(tty.out).toMatch(/taken\.jsonl already exists: continue it with --resume/);
    // Before: a 0% scoring bar, then the error.
    expect(tty.out).not.toMatch(/scoring \|/);
    expect(await readFile(out, 'utf8')).toBe('kept\n');
  });
});

describeWithShared("on a terminal, score's start-up check", () => {
  it.skipIf(!HAS_SCRIPT)('draws the loading bar of the model it loads, then the scoring bar', () => {
    const lora = ['--detectors', 'heuristic,lora', '--model', `lora=${join(HF_TINY, 'tiny-bert-cls')}`];
    const out = join(dir, 'lora-scores.jsonl');
    const r = runCliOnTty(['score', join(dir, 'train.jsonl'), '--out', out, '--workers', '0', ...lora]);
    expect(r.code, r.out).toBe(0);
    // Before: the check loaded the lora model with no bar (detect and eval drew one).
    expect(r.out).toMatch(/tiny-bert-cls \[.*\] 100%/);
    expect(r.out).toMatch(/scoring \|/);
    expect(takesTurns(saves(r.out))).toBe(true);
  });
});
