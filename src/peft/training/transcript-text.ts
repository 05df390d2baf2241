import type { ValidTranscript } from '../../core/transcript.js';

/**
 * The text a sequence classifier reads for a transcript: the target speaker's messages, in order, joined with
 * single spaces (as the reference LoRA recipe trained it). Empty when the target wrote nothing but whitespace.
 * The LoRA classifier, its trainer and the probing head all use this, so training and inference see the same input.
 *
 * @param t - a validated transcript
 *
 * @example
 * ```ts
 * transcriptText(validateTranscript({ target: 'b', messages: [{ speaker: 'b', text: 'hi' }, { speaker: 'b', text: 'there' }] }));
 * // 'hi there'
 * ```
 */
export function transcriptText(t: ValidTranscript): string {
  const parts: string[] = [];
  for (const m of t.messages) {
    if (m.speaker !== t.target) continue;
    const s = m.text.trim();
    if (s) parts.push(s);
  }
  return parts.join(' ');
}
