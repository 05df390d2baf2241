import { describeValue } from '../../core/describe-value.js';
import type { Label, ValidTranscript } from '../../core/transcript.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';

/** Options for `dialogueLines`. */
export interface DialogueFormatOptions {
  /**
   * Replace speaker names by `Target` (the judged speaker) and `Other`, `Other 2`, ... (the rest, in order of
   * first appearance), so a name such as `helperbot` cannot give the answer away.
   * @defaultValue true
   */
  anonymize?: boolean;
  /**
   * Longest message text kept, in characters; longer texts keep their start and end with `…` in between.
   * @defaultValue 500
   */
  maxMessageChars?: number;
}

/** The name the judged speaker gets in an anonymized dialogue. */
export const TARGET_NAME = 'Target';

/**
 * Renders a transcript as one `Speaker: text` line per message (line breaks inside a message become spaces).
 *
 * @param t - a validated transcript
 * @param options - see {@link DialogueFormatOptions}
 * @returns one line per message, in order
 *
 * @example
 * ```ts
 * dialogueLines(validateTranscript({ target: 'b', messages: [{ speaker: 'a', text: 'hi' }, { speaker: 'b', text: 'Hello !' }] }));
 * // ['Other: hi', 'Target: Hello !']
 * ```
 */
export function dialogueLines(t: ValidTranscript, options: DialogueFormatOptions = {}): string[] {
  const anonymize = options.anonymize ?? true;
  const maxChars = options.maxMessageChars ?? 500;
  if (!Number.isInteger(maxChars) || maxChars < 1) {
    throw new InvalidOptionsError(
      'maxMessageChars',
      `expected a positive integer, got ${describeValue(maxChars)}`,
    );
  }
  const names = new Map<string, string>([[t.target, anonymize ? TARGET_NAME : t.target]]);
  for (const m of t.messages) {
    if (!names.has(m.speaker))
      names.set(m.speaker, anonymize ? (names.size === 1 ? 'Other' : `Other ${names.size}`) : m.speaker);
  }
  return t.messages.map(
    (m) => `${names.get(m.speaker)!}: ${clip(m.text.replace(/\s*\n\s*/g, ' ').trim(), maxChars)}`,
  );
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/** One labelled example in a few-shot prompt. */
export interface PromptExample {
  /** Its dialogue lines (`dialogueLines`). */
  lines: string[];
  /** Its label. */
  label: Label;
}

/** What a few-shot prompt is made of; `fitPromptToBudget` shortens it. */
export interface PromptParts {
  /** The task statement that opens the prompt. */
  instruction: string;
  /** The labelled examples, least relevant first (the last one sits next to the target). */
  examples: PromptExample[];
  /** The target transcript's dialogue lines. */
  target: string[];
}

/** The words that answer the question, as they follow the prompt. */
export interface AnswerWords {
  /** The bot answer, e.g. `' bot'`. */
  bot: string;
  /** The human answer, e.g. `' human'`. */
  human: string;
}

/** The task statement used when none is given. */
export const DEFAULT_INSTRUCTION =
  'Each conversation below is followed by whether the speaker called "Target" is a human or a bot.';

/** The question asked after each conversation in a chat-template prompt. */
export const CHAT_QUESTION =
  'Is "Target" in this conversation a bot or a human? Answer with one word: bot or human.';

/**
 * Renders a plain-text few-shot prompt: the instruction, then each example as `Conversation:` + its lines +
 * `Answer:<word>`, then the target the same way, ending with `Answer:` so that the next token is the answer.
 *
 * @param parts - instruction, examples and target
 * @param words - the answer words; they are appended to `Answer:` as given, so include the leading space
 *
 * @example
 * ```ts
 * renderPlainPrompt({ instruction: 'Bot or human?', examples: [{ lines: ['Target: hi'], label: 'human' }], target: ['Target: Hello !'] },
 *   { bot: ' bot', human: ' human' });
 * // 'Bot or human?\n\nConversation:\nTarget: hi\nAnswer: human\n\nConversation:\nTarget: Hello !\nAnswer:'
 * ```
 */
export function renderPlainPrompt(parts: PromptParts, words: AnswerWords): string {
  const blocks = [parts.instruction];
  for (const ex of parts.examples)
    blocks.push(`Conversation:\n${ex.lines.join('\n')}\nAnswer:${words[ex.label]}`);
  blocks.push(`Conversation:\n${parts.target.join('\n')}\nAnswer:`);
  return blocks.join('\n\n');
}

/** One chat message in the `{ role, content }` shape chat templates take. */
export interface ChatMessage {
  /** `system`, `user` or `assistant`. */
  role: 'system' | 'user' | 'assistant';
  /** The text. */
  content: string;
}

/**
 * Turns the prompt parts into chat messages for an instruct model's chat template: the instruction as the
 * system message, each example as a user turn (conversation + {@link CHAT_QUESTION}) answered by an assistant
 * turn holding the answer word (trimmed), and the target as the last user turn.
 *
 * @param parts - instruction, examples and target
 * @param words - the answer words (trimmed before use)
 *
 * @example
 * ```ts
 * const msgs = chatMessages(parts, { bot: 'bot', human: 'human' });
 * tokenizer.apply_chat_template(msgs, { tokenize: false, add_generation_prompt: true });
 * ```
 */
export function chatMessages(parts: PromptParts, words: AnswerWords): ChatMessage[] {
  const user = (lines: string[]) => `Conversation:\n${lines.join('\n')}\n\n${CHAT_QUESTION}`;
  const out: ChatMessage[] = [{ role: 'system', content: parts.instruction }];
  for (const ex of parts.examples) {
    out.push(
      { role: 'user', content: user(ex.lines) },
      { role: 'assistant', content: words[ex.label].trim() },
    );
  }
  out.push({ role: 'user', content: user(parts.target) });
  return out;
}

/** What `fitPromptToBudget` kept. */
export interface FittedPrompt {
  /** The rendered prompt. */
  text: string;
  /** Its length in tokens. */
  tokens: number;
  /** The parts that were rendered (examples shortened or dropped, target turns dropped). */
  parts: PromptParts;
  /** True when anything was shortened or dropped. */
  truncated: boolean;
}

/** Options for `fitPromptToBudget`. */
export interface FitPromptOptions {
  /** Renders parts into the prompt text. */
  render: (parts: PromptParts) => string;
  /** Counts the tokens of a rendered prompt. */
  countTokens: (text: string) => number;
  /** Most tokens the prompt may have. */
  budget: number;
  /**
   * Fewest lines an example is shortened to before examples are dropped.
   * @defaultValue 2
   */
  minExampleLines?: number;
}

/**
 * Shortens a few-shot prompt until it fits a token budget, giving up the examples before the target, and
 * never the target's last turns:
 * 1. keep only the last L lines of each example, with the largest L (down to `minExampleLines`) that fits;
 * 2. drop examples, least relevant (first) first, then let the remaining ones grow back as in step 1;
 * 3. with no example left, drop the target's earliest lines (the last lines stay);
 * 4. with one target line left, cut that line's text from the start, keeping its end.
 *
 * @param parts - the full prompt parts
 * @param options - renderer, token counter and budget
 * @throws InvalidOptionsError when even the instruction with a few characters of the last turn does not fit
 *
 * @example
 * ```ts
 * const fitted = fitPromptToBudget(parts, { render: (p) => renderPlainPrompt(p, words), countTokens: (s) => tok.encode(s).length, budget: 1000 });
 * fitted.parts.examples.length; // how many examples survived
 * ```
 */
export function fitPromptToBudget(parts: PromptParts, options: FitPromptOptions): FittedPrompt {
  const { render, countTokens, budget } = options;
  const minLines = options.minExampleLines ?? 2;
  const attempt = (p: PromptParts): { text: string; tokens: number } | null => {
    const text = render(p);
    const tokens = countTokens(text);
    return tokens <= budget ? { text, tokens } : null;
  };
  const full = attempt(parts);
  if (full) return { ...full, parts, truncated: false };

  // Steps 1-2: shorten, then drop, examples.
  let examples = parts.examples;
  while (examples.length > 0) {
    const longest = Math.max(...examples.map((e) => e.lines.length));
    const withCap = (cap: number): PromptParts => ({
      ...parts,
      examples: examples.map((e) => ({
        label: e.label,
        lines: e.lines.slice(Math.max(0, e.lines.length - cap)),
      })),
    });
    const lo = Math.min(minLines, longest);
    if (attempt(withCap(lo))) {
      const cap = largestFitting(lo, longest, (c) => attempt(withCap(c)) !== null);
      const p = withCap(cap);
      return { ...attempt(p)!, parts: p, truncated: true };
    }
    examples = examples.slice(1);
  }

  // Step 3: no examples; drop the target's earliest lines.
  const lines = parts.target;
  const tail = (k: number): PromptParts => ({
    ...parts,
    examples: [],
    target: lines.slice(lines.length - k),
  });
  if (lines.length > 0 && attempt(tail(1))) {
    const k = largestFitting(1, lines.length, (c) => attempt(tail(c)) !== null);
    const p = tail(k);
    return { ...attempt(p)!, parts: p, truncated: true };
  }

  // Step 4: cut the last line's text from the start, keeping the speaker name and the end of the text.
  const last = lines[lines.length - 1] ?? '';
  const colon = last.indexOf(': ');
  const speaker = colon >= 0 ? last.slice(0, colon + 2) : '';
  const text = colon >= 0 ? last.slice(colon + 2) : last;
  const cut = (keep: number): PromptParts => ({
    ...parts,
    examples: [],
    target: [`${speaker}…${text.slice(text.length - keep)}`],
  });
  if (text.length > 0 && attempt(cut(1))) {
    const keep = largestFitting(1, text.length, (c) => attempt(cut(c)) !== null);
    const p = cut(keep);
    return { ...attempt(p)!, parts: p, truncated: true };
  }
  throw new InvalidOptionsError(
    'contextTokens',
    `a prompt of ${budget} tokens cannot hold the instruction and the target's last turn: raise contextTokens or shorten the instruction`,
  );
}

/** The largest c in [lo, hi] with ok(c), given ok(lo) is true and ok is monotone (true then false). */
function largestFitting(lo: number, hi: number, ok: (c: number) => boolean): number {
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
