/**
 * The CLI fails loudly and never damages files: real child processes running `botlens`, real files.
 * Exit codes: 0 ok, 1 error, 2 usage, 3 partial (docs/guide.md, "Exit codes").
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { HAS_SCRIPT, runCliOnTty } from '../helpers/on-tty.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

let tmp: string;
let data: string;
const STACK = /\n\s+at .+[:(]\d+/;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'botlens-cli-safety-'));
  data = join(tmp, 'train.jsonl');
  await writeFile(data, labelledJsonl(12));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('usage errors and --version', () => {
  it('an unknown option prints one line and a hint, not the whole help, and exits 2', async () => {
    const r = await runCli(['detect', 'examples/transcript.json', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("botlens: error: unknown option '--bogus'\nRun botlens detect --help for usage.\n");
    expect(r.stdout).toBe('');
  });

  it('a missing argument, a bad choice and an unknown command exit 2 with the hint', async () => {
    const missing = await runCli(['detect']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^botlens: error: missing required argument 'file'\nRun botlens detect --help/,
    );
    const choice = await runCli(['detect', 'examples/transcript.json', '--strategy', 'vote']);
    expect(choice.code).toBe(2);
    expect(choice.stderr.split('\n').filter(Boolean)).toHaveLength(2);
    const unknown = await runCli(['detekt']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'detekt'[\s\S]*Run botlens --help for usage\./);
  });

  it('--version prints the package version and --help exits 0', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const h = await runCli(['detect', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--allow-partial/);
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/Exit codes: 0 ok, 1 error, 2 usage error, 3 partial result/);
  });
});

describe('fit checks its output before the work and writes it atomically', () => {
  it('refuses --out in a missing folder at once, with no stack trace', async () => {
    const r = await runCli(['fit', '--data', data, '--out', join(tmp, 'missing', 'dir', 'f.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^botlens: Invalid option "--out": the folder .*missing.dir does not exist/);
    expect(r.stderr).not.toMatch(/fitted/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('refuses to overwrite an existing file without --force, and replaces it with --force', async () => {
    const out = join(tmp, 'existing.json');
    await writeFile(out, 'precious\n');
    const r = await runCli(['fit', '--data', data, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists: pass --force to replace it/);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    const f = await runCli(['fit', '--data', data, '--out', out, '--force', '--json']);
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ kind: 'ensemble' });
    expect(JSON.parse(f.stdout)).toMatchObject({ n: 12, out });
    expect((await readdir(tmp)).some((n) => n.endsWith('.part'))).toBe(false);
  });

  it('refuses --out that is the --data file, through a symlink too', async () => {
    const link = join(tmp, 'data-link.jsonl');
    await symlink(data, link);
    const before = readFileSync(data, 'utf8');
    const r = await runCli(['fit', '--data', data, '--out', link, '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is the input --data/);
    expect(readFileSync(data, 'utf8')).toBe(before);
  });

  it('an empty data file is an error for fit and eval', async () => {
    const empty = join(tmp, 'empty.jsonl');
    await writeFile(empty, '');
    const f = await runCli(['fit', '--data', empty, '--out', join(tmp, 'e.json')]);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/empty\.jsonl holds no transcript/);
    expect(existsSync(join(tmp, 'e.json'))).toBe(false);
    const e = await runCli(['eval', '--data', empty, '--json']);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/holds no transcript/);
    expect(e.stdout).toBe('');
  });
});

describe('lora merge never writes into an input', () => {
  it('refuses --out that is a symlink to --base, even with --force, before reading anything', async () => {
    const base = join(tmp, 'base');
    await mkdir(join(base, 'onnx'), { recursive: true });
    await writeFile(join(base, 'onnx', 'model.onnx'), 'base weights');
    const link = join(tmp, 'out-link');
    await symlink(base, link);
    for (const out of [link, join(link, 'sub'), tmp]) {
      const r = await runCli([
        'lora',
        'merge',
        '--base',
        base,
        '--adapter',
        join(tmp, 'no-adapter'),
        '--out',
        out,
        '--force',
      ]);
      expect(r.code, out).toBe(1);
      expect(r.stderr).toMatch(/Invalid option "--out": .* (is|is inside|contains) the input --base/);
      expect(r.stderr).not.toMatch(STACK);
    }
    expect(readFileSync(join(base, 'onnx', 'model.onnx'), 'utf8')).toBe('base weights');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

describe('detect fails loudly when a member fails', () => {
  const args = [
    'detect',
    'examples/transcript.json',
    '--detectors',
    'heuristic,nli',
    // An existing folder without the NLI model: --model-dir itself is checked up front, the model at load.
    '--model-dir',
    join(ROOT, 'examples'),
  ];

  it('exits 3 and names the member and the reason on stderr, with no verdict on stdout', async () => {
    const r = await runCli(args);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^botlens: detector "nli" failed: ModelLoadError: .+/m);
    expect(r.stderr).toMatch(/--allow-partial/);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('--json prints the full result with the member error; --allow-partial scores from the rest', async () => {
    const j = await runCli([...args, '--json']);
    expect(j.code).toBe(3);
    const res = JSON.parse(j.stdout) as { members: { detector: string; error?: { message: string } }[] };
    expect(res.members.find((m) => m.detector === 'nli')?.error?.message).toMatch(/.+/);
    const p = await runCli([...args, '--allow-partial']);
    expect(p.code).toBe(0);
    expect(p.stderr).toMatch(/detector "nli" failed/);
    expect((JSON.parse(p.stdout) as { label: string }).label).toMatch(/^(bot|human)$/);
  });
});

describe('detect --timeline', () => {
  it("prints the score after each of the target's messages", async () => {
    // The target opens the chat here: detectTimeline over the recomputing stream fallback (src/core/stream.ts)
    // currently rejects a prefix in which the target has not spoken yet.
    const t = {
      target: 'bot',
      messages: [
        { speaker: 'bot', text: 'Hello ! I am happy to help you . What do you like ?', timestamp: 0 },
        { speaker: 'u', text: 'uh, ramen? like i said lol', timestamp: 20_000 },
        { speaker: 'bot', text: 'That is great ! I like food too . What do you do ?', timestamp: 21_000 },
        { speaker: 'u', text: 'ok you are definitely a bot', timestamp: 45_000 },
        { speaker: 'bot', text: 'I am not sure what you mean . What do you do ?', timestamp: 46_000 },
      ],
    };
    const file = join(tmp, 'timeline.json');
    await writeFile(file, JSON.stringify(t));
    const targetAt = t.messages.flatMap((m, i) => (m.speaker === t.target ? [i] : []));
    const r = await runCli(['detect', file, '--timeline']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      score: number;
      timeline: { messageIndex: number; targetMessages: number; score: number }[];
    };
    expect(out.timeline.map((p) => p.messageIndex)).toEqual(targetAt);
    expect(out.timeline.map((p) => p.targetMessages)).toEqual([1, 2, 3]);
    expect(out.timeline.at(-1)!.score).toBeCloseTo(out.score, 9);
    const pretty = await runCli(['detect', file, '--timeline', '--pretty']);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/message\s+target msgs\s+P\(bot\)\s+label\n[-\s]+\n0\s+1\s+[01]\.\d{3}/);
  });
});

describe.skipIf(!HAS_SCRIPT)('progress is drawn on a terminal only', () => {
  it('eval draws a bar on a TTY, not with --quiet, and never when piped', async () => {
    const tty = runCliOnTty(['eval', '--data', data, '--json']);
    expect(tty.code).toBe(0);
    expect(tty.out).toMatch(/eval \[.*\] 12\/12 \| 100%/);
    const quiet = runCliOnTty(['eval', '--data', data, '--json', '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.out).not.toMatch(/eval \[/);
    const piped = await runCli(['eval', '--data', data, '--json']);
    expect(piped.stderr).toBe('');
  });
});

describe('ordinary errors print no stack trace', () => {
  it('serve on a busy port says so in one line and exits 1', async () => {
    const busy = createNetServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
    try {
      const { port } = busy.address() as AddressInfo;
      const r = await runCli(['serve', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`^botlens: Port ${port} on 127\\.0\\.0\\.1 is already in use[^\\n]*\\n$`),
      );
      expect(r.stderr).not.toMatch(STACK);
    } finally {
      await new Promise((ok) => busy.close(ok));
    }
  });
});
