/** A malformed input the conformance suite feeds a detector. */
export interface MalformedTranscript {
  /** What is wrong with it, e.g. `an empty speaker`. */
  why: string;
  /** The input itself. */
  value: unknown;
}

/**
 * The malformed inputs every detector must reject with `InvalidTranscriptError` (after calling
 * `validateTranscript`): each with a note saying what is wrong.
 */
export const MALFORMED_TRANSCRIPTS: readonly MalformedTranscript[] = Object.freeze([
  { why: 'null', value: null },
  { why: 'a string', value: 'hello' },
  { why: 'no messages', value: {} },
  { why: 'an empty messages array', value: { messages: [] } },
  { why: 'an empty speaker', value: { messages: [{ speaker: '', text: 'hi' }] } },
  { why: 'a numeric text', value: { messages: [{ speaker: 'a', text: 42 }] } },
  {
    why: 'two speakers and no target',
    value: {
      messages: [
        { speaker: 'a', text: 'hi' },
        { speaker: 'b', text: 'hello' },
      ],
    },
  },
  {
    why: 'a target that sent nothing',
    value: { target: 'nobody', messages: [{ speaker: 'a', text: 'hi' }] },
  },
  {
    why: 'timestamps going backwards',
    value: {
      messages: [
        { speaker: 'a', text: 'hi', timestamp: 2000 },
        { speaker: 'a', text: 'again', timestamp: 1000 },
      ],
    },
  },
  { why: 'a non-ISO timestamp', value: { messages: [{ speaker: 'a', text: 'hi', timestamp: 'yesterday' }] } },
  {
    why: 'a timestamp in epoch seconds',
    value: { messages: [{ speaker: 'a', text: 'hi', timestamp: 1_700_000_000 }] },
  },
  {
    why: 'a timestamp past the Date range',
    value: { messages: [{ speaker: 'a', text: 'hi', timestamp: 1e300 }] },
  },
  {
    why: 'more than 200 messages',
    value: { messages: Array.from({ length: 201 }, (_, i) => ({ speaker: 'a', text: `m${i}` })) },
  },
]);
