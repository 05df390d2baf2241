/**
 * A flag value outside what the flag takes is a usage error, as docs/guide.md ("Exit codes") says: exit 2, one
 * line naming the option and the value, and the `--help` hint, refused while the command line is parsed (before any
 * file is read, port bound or queue reached). Real child processes running the CLI from source.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

/** Command lines with one bad value each; every file they name is missing, so only parsing can answer first. */
const BAD: readonly (readonly string[])[] = [
  ['detect', 'missing.json', '--threshold', '2'],
  ['detect', 'missing.json', '--threads', '0'],
  ['detect', 'missing.json', '--max-messages', '0'],
  ['detect', 'missing.json', '--detectors', 'heuristic,foo'],
  ['detect', 'missing.json', '--detectors', ','],
  ['detect', 'missing.json', '--strategy', 'foo'],
  ['detect', 'missing.json', '--prior', '1'],
  ['eval', '--data', 'missing.jsonl', '--prefix', '0'],
  ['fit', '--data', 'missing.jsonl', '--out', 'x.json', '--member-prefix-cut-share', '0'],
  ['fit', '--data', 'missing.jsonl', '--out', 'x.json', '--rare-buckets', '1'],
  ['fit', '--data', 'missing.jsonl', '--out', 'x.json', '--member-prefix-cuts', 'a'],
  ['fit', '--data', 'missing.jsonl', '--out', 'x.json', '--knn-stop-share', '2'],
  ['serve', '--port', '99999'],
  ['score', 'missing.jsonl', '--out', 'x.jsonl', '--workers', '-1'],
  ['score', 'missing.jsonl', '--out', 'x.jsonl', '--batch-size', '0'],
  ['worker', '--redis', 'redis://127.0.0.1:1', '--concurrency', '0'],
  ['worker', '--redis', 'redis://127.0.0.1:1', '--queue', 'a:b'],
  ['score', 'missing.jsonl', '--out', 'x.jsonl', '--redis', 'http://someone:s3cretpw@nohost'],
  ['quantize', 'missing-dir', '--bits', '3'],
  ['quantize', 'missing-dir', '--bits', '8', '--block-size', '7'],
  ['optimize', 'missing-dir', '--out', 'o', '--tolerance', '0'],
  ['check-model', 'x/y', '--budget', '1GB', '--min-likes', '-1'],
  ['lora', 'train', '--model', 'm', '--data', 'd', '--out', 'o', '--epochs', 'ten'],
  // Refused by the library once the command ran (exit 1, naming memoryBudget, dtypes), or as a folder (--out '').
  ['check-model', 'x/y', '--task', 'nli', '--budget', '2XB'],
  ['pull', 'a/b', '--dtype', 'q3'],
  ['fit', '--data', 'missing.jsonl', '--out', 'x.json', '--member-prefix-cuts', '3,1,1'],
  ['fit', '--data', 'missing.jsonl', '--out', ''],
  ['score', 'missing.jsonl', '--out', ''],
];

describe('flag values outside what the flag takes', () => {
  it.each(BAD.map((args) => [args.join(' '), args] as const))(
    '%s: exit 2 with a usage hint',
    async (_, args) => {
      const r = await runCli(args);
      const flag = args.find((a, i) => a.startsWith('--') && i === args.length - 2)!;
      expect(r.stderr).toMatch(
        new RegExp(`^botlens: error: option '${flag} <[^>]+>' argument '.*' is invalid`),
      );
      // The option is named once, by commander: the reason does not repeat it (every flag's reason reads alike).
      expect(r.stderr).not.toMatch(/Invalid option "/);
      // Commander quotes the value as typed: a URL's password must not reach the terminal (or a CI log).
      expect(r.stderr).not.toContain('s3cretpw');
      expect(r.stderr).toMatch(/Run botlens .+ --help for usage\.\n$/);
      expect(r.stderr).not.toMatch(/ENOENT|no such file|\n\s+at /);
      expect(r.code).toBe(2);
    },
  );
});

describe('a --redis that is not a Redis URL', () => {
  it('shows the hint as written: only a real URL loses its password', async () => {
    const r = await runCli(['score', 'missing.jsonl', '--out', 'x.jsonl', '--redis', 'http://x']);
    expect(r.code).toBe(2);
    // Before: "redis://***@]host[:port][/db]", the hint itself taken for a URL with a password.
    expect(r.stderr).toContain('give a Redis URL, redis://[:password@]host[:port][/db] (rediss:// for TLS)');
    const secret = await runCli(['worker', '--redis', 'http://u:s3cretpw@x']);
    expect(secret.code).toBe(2);
    expect(secret.stderr).not.toContain('s3cretpw');
    expect(secret.stderr).toContain("argument 'http://***@x' is invalid");
    expect(secret.stderr).toContain('redis://[:password@]host');
  });
});

describe('a flag value the library refuses once the command runs', () => {
  it('detect --model on a file that is no saved detector: exit 2, naming --model, not "path"', async () => {
    const r = await runCli(['detect', 'examples/casual-chat.json', '--model', 'examples/casual-chat.json']);
    expect(r.stderr).toBe(
      'botlens: Invalid option "--model": examples/casual-chat.json is not a saved detector state (it has no "kind")\n',
    );
    expect(r.code).toBe(2);
  });

  it('check-model --help says --budget is required', async () => {
    const r = await runCli(['check-model', '--help']);
    expect(r.stdout).toMatch(/--budget <size> +memory budget, e\.g\. 2GB, 512MB, 4GiB \(required\)/);
  });
});
