/**
 * `n` labelled chats as JSONL text (bots and humans alternating, human first), for CLI runs on a data file: the
 * bot writes ConvAI-style persona lines, the human casual ones.
 *
 * @param n - how many rows
 */
export function labelledJsonl(n: number): string {
  const row = (label: 'bot' | 'human', i: number) =>
    JSON.stringify({
      target: 'x',
      label,
      messages: [
        { speaker: 'u', text: `hello there ${i}` },
        {
          speaker: 'x',
          text: label === 'bot' ? `Hello ! I like ${i} too . What do you do ?` : `lol yeah ${i} is fun, you?`,
        },
        { speaker: 'u', text: 'cool' },
        { speaker: 'x', text: label === 'bot' ? 'That is great ! Tell me more .' : 'haha ok 😂' },
      ],
    });
  return `${Array.from({ length: n }, (_, i) => row(i % 2 ? 'bot' : 'human', i)).join('\n')}\n`;
}
