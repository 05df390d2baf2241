/**
 * `botlens eval --truncate --prefix K` judges each chat after its target's K-th message counted from the chat's
 * start, then cuts what is left to its last --max-messages: the same verdicts as reading the chats whole
 * (`--max-messages` large enough), not the first K target messages of the last 200.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-eval-prefix-truncate-');

/**
 * A chat of 250 messages, the user first: the bot (the target) repeats one canned line in its first 20 messages,
 * then writes varied ones, so its first 3 messages and the first 3 of the last 200 read differently.
 */
function longChat(label: 'bot' | 'human'): string {
  const messages = Array.from({ length: 250 }, (_, i) => {
    if (i % 2 === 0) return { speaker: 'user', text: `question ${i}: what do you think about topic ${i}?` };
    const text =
      i < 40 ? 'I like movies. 😄' : `well, about topic ${i - 1} I would say it depends on the day ${i}`;
    return { speaker: 'bot', text };
  });
  return JSON.stringify({ target: 'bot', label, messages });
}

/** The JSON report of `botlens eval` with these flags. */
async function evalJson(data: string, flags: string[]): Promise<{ ece: number; n: number; stderr: string }> {
  const r = await runCli(['eval', '--data', data, '--json', '--quiet', ...flags]);
  expect(r.code, r.stderr).toBe(0);
  return { ...(JSON.parse(r.stdout) as { ece: number; n: number }), stderr: r.stderr };
}

describe('eval --truncate --prefix K: the prefix counts from the chat start', () => {
  it('gives the verdicts of the whole chats cut after K (--max-messages large enough), not of the last 200', async () => {
    const data = work.path('long.jsonl');
    await writeFile(data, `${longChat('bot')}\n${longChat('human')}\n`);
    const truncated = await evalJson(data, ['--truncate', '--prefix', '3']);
    const whole = await evalJson(data, ['--max-messages', '300', '--prefix', '3']);
    expect(truncated.ece).toBe(whole.ece);
    // The prefix cuts hold 6 messages: --truncate had nothing left to cut, and says nothing.
    expect(truncated.stderr).not.toContain('--truncate cut');
  });

  it('a prefix longer than --max-messages is cut after the prefix, and the note says so', async () => {
    const data = work.path('late.jsonl');
    await writeFile(data, `${longChat('bot')}\n`);
    // The 100th target message is message 199: the cut holds messages 0-199, truncated to 150-199.
    const late = await evalJson(data, ['--truncate', '--max-messages', '50', '--prefix', '100']);
    expect(late.stderr).toContain(
      'botlens: note: --truncate cut 1 of 1 transcripts (--data ' +
        data +
        ", after the target's message 100) to their last 50 messages",
    );
    const chat = JSON.parse(longChat('bot')) as { messages: unknown[] };
    const cut = work.path('cut.jsonl');
    await writeFile(cut, `${JSON.stringify({ ...chat, messages: chat.messages.slice(150, 200) })}\n`);
    expect(late.ece).toBe((await evalJson(cut, [])).ece);
  });
});
