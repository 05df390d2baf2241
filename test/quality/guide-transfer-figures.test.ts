/**
 * docs/guide.md §3 names, beside each figure of the `transfer` preset, the `botlens fit` command it came from:
 * each row is fitted and evaluated here with the CLI (`botlens eval --model FITTED.json --data ...`), and the
 * figures must be what that command prints (rounded to 3 places).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fitWithCli } from '../helpers/fit-with-cli.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { CONVAI_DIR, describeWithShared } from '../helpers/shared.js';
import { useWorkDir } from '../helpers/work-dir.js';

/** The rows of the guide's table: the fit command, what it is scored on, F1 / AUROC / ECE. */
function guideRows(): { fit: string; on: string; figures: string }[] {
  const guide = readFileSync(join(ROOT, 'docs/guide.md'), 'utf8');
  const section = guide.slice(guide.indexOf('## 3. Ensembles'), guide.indexOf('## 4. '));
  return [
    ...section.matchAll(/^\| `botlens fit ([^`]+)`[^|]*\| ([^|]+) \| ([0-9.]+ \/ [0-9.]+ \/ [0-9.]+)/gm),
  ].map((m) => ({ fit: m[1]!, on: m[2]!.trim(), figures: m[3]! }));
}

const round = (v: number): string => v.toFixed(3);

describeWithShared("the guide's transfer-preset figures are what their commands print", () => {
  const work = useWorkDir('botlens-guide-figures-');

  it('every row of the table, fitted on train.jsonl (or its split) and scored on dev.jsonl (or its split)', async () => {
    const rows = guideRows();
    expect(rows.length).toBeGreaterThanOrEqual(6);
    // The splits by source, as the guide makes them with grep.
    const lines = (name: string) =>
      readFileSync(join(CONVAI_DIR, name), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
    const files: Record<string, string> = {
      'train.jsonl': join(CONVAI_DIR, 'train.jsonl'),
      'dev.jsonl': join(CONVAI_DIR, 'dev.jsonl'),
    };
    for (const split of ['train', 'dev']) {
      const all = lines(`${split}.jsonl`);
      const is2017 = (l: string) => l.includes('"source": "convai1-2017"');
      files[`${split}-2017.jsonl`] = work.path(`${split}-2017.jsonl`);
      files[`${split}-convai2.jsonl`] = work.path(`${split}-convai2.jsonl`);
      await writeFile(files[`${split}-2017.jsonl`]!, `${all.filter(is2017).join('\n')}\n`);
      await writeFile(files[`${split}-convai2.jsonl`]!, `${all.filter((l) => !is2017(l)).join('\n')}\n`);
    }
    const scoredOn = (on: string): string =>
      on.startsWith('the ConvAI2 lines')
        ? files['dev-convai2.jsonl']!
        : on.startsWith('the `convai1-2017` lines')
          ? files['dev-2017.jsonl']!
          : files['dev.jsonl']!;
    for (const [i, row] of rows.entries()) {
      const args = row.fit.split(' ');
      const at = args.indexOf('--data');
      const data = files[args[at + 1]!]!;
      args.splice(at, 2);
      const fitted = work.path(`fitted-${i}.json`);
      await fitWithCli(data, [...args, '--quiet'], fitted);
      const r = await runCli(['eval', '--model', fitted, '--data', scoredOn(row.on), '--json', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { f1: number; auroc: number; ece: number };
      expect(`${round(report.f1)} / ${round(report.auroc)} / ${round(report.ece)}`, row.fit).toBe(
        row.figures,
      );
    }
  }, 900_000);
});
