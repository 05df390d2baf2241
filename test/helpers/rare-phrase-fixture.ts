import type { LabelledTranscript } from '../../src/core/transcript.js';
import { seededRandom } from '../../src/numeric/random.js';

/** A phrase that only the bot of conversation 0 says (its character n-grams occur nowhere else). */
export const RARE_PHRASE = 'ǂǂǂ ǁǁǁ';

const BOT = [
  'Hello ! How are you today ?',
  'I love to read books . What is your favorite book ?',
  "i 'm a teacher . do you have any pets ?",
  'What is your favorite color ? Mine is blue .',
  "i 'm not sure what you mean . do you like music ?",
];
const HUMAN = ['hey whats up', 'lol yeah', 'wait what do you mean', 'ok', 'nah not really, you?', 'omg same'];

/**
 * `n` seeded human-bot conversations, each giving a bot and a human example; conversation 0's bot also says
 * {@link RARE_PHRASE}.
 */
export function rarePhraseConversations(n: number): LabelledTranscript[] {
  const r = seededRandom(42);
  const pick = (xs: readonly string[]) => xs[Math.floor(r() * xs.length)]!;
  const out: LabelledTranscript[] = [];
  for (let c = 0; c < n; c++) {
    const messages: LabelledTranscript['messages'] = [];
    for (let t = 0; t < 3; t++) {
      messages.push({ speaker: 'human', text: pick(HUMAN) });
      messages.push({ speaker: 'bot', text: c === 0 && t === 1 ? `${pick(BOT)} ${RARE_PHRASE}` : pick(BOT) });
    }
    out.push({ messages, target: 'bot', label: 'bot' }, { messages, target: 'human', label: 'human' });
  }
  return out;
}
