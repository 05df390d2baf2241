import { abstained, nowMs } from '../../core/detection.js';
import type { Detection, DetectOptions } from '../../core/detector.js';
import type { Transcript, ValidTranscript } from '../../core/transcript.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { isHashingEmbedder } from '../../runtime/hashing-embedder.js';
import { NO_TEXT, supportOf } from './evidence.js';
import type { StreamHost } from './stream.js';

/** What {@link detectPrefixes} needs from the detector. @internal */
export interface PrefixHost extends Pick<StreamHost, 'name' | 'streamParts' | 'hashedQuery' | 'verdict'> {
  detectBatch(ts: Transcript[], opts?: DetectOptions): Promise<Detection[]>;
}

/**
 * The embedding detector's detections of groups of growing prefixes of one conversation (an ensemble's
 * out-of-fold fitting scores each held-out transcript and its cuts after the 1st, 2nd, 3rd, 5th and 8th target
 * message): with a `HashingEmbedder` and exact search, each group is read once, message by message, as the
 * detector's stream reads it (a {@link HashedQuery} fed by an incremental accumulator), and the features are read
 * at each prefix's end, so the text is hashed and the labelled vectors' dot products are updated once per group
 * instead of once per prefix. Each detection equals `detect()` on its prefix up to the order of the sums (as the
 * stream's does: within 1e-12). Otherwise, or for a group whose transcripts are not prefixes of one another, the
 * prefixes are scored by `detectBatch` as they are.
 *
 * @param det - the detector
 * @param groups - per group, transcripts that are prefixes of its longest one (same target, same messages)
 * @param opts - `signal` to cancel
 * @returns per group, one detection per transcript, in the given order
 *
 * @internal
 */
export async function detectPrefixes(
  det: PrefixHost,
  groups: readonly (readonly ValidTranscript[])[],
  opts: DetectOptions = {},
): Promise<Detection[][]> {
  const started = nowMs();
  const what = `${det.name} detect`;
  AbortedError.throwIfAborted(opts.signal, what);
  const { m, embedder, index } = await det.streamParts();
  const make = det.hashedQuery(m, embedder, index);
  const out: Detection[][] = groups.map(() => []);
  const rest: number[] = [];
  let scored = 0;
  // One accumulator for every group (emptied between them): its tables, grown to the longest group, are kept.
  const acc = isHashingEmbedder(embedder) ? embedder.accumulator(true) : undefined;
  groups.forEach((g, at) => {
    const longest = make ? longestIfPrefixes(g) : undefined;
    if (!make || !longest || !acc) {
      rest.push(at);
      return;
    }
    if ((at & 63) === 0) AbortedError.throwIfAborted(opts.signal, what);
    const q = make();
    acc.reset();
    const order = g.map((_, i) => i).sort((a, b) => g[a]!.messages.length - g[b]!.messages.length);
    let pos = 0;
    let withText = false;
    const got = new Array<Detection>(g.length);
    for (const i of order) {
      const v = g[i]!;
      for (; pos < v.messages.length; pos++) {
        const msg = longest.messages[pos]!;
        if (msg.speaker !== longest.target || msg.text.trim() === '') continue;
        acc.add(msg.text, q.apply);
        withText = true;
      }
      const d = withText ? det.verdict(m, q.features(), started) : abstained(det.name, NO_TEXT, started);
      d.support = supportOf(v);
      got[i] = d;
    }
    out[at] = got;
    scored += g.length;
  });
  const elapsed = nowMs() - started;
  for (const got of out) for (const d of got) d.elapsedMs = elapsed / Math.max(1, scored);
  if (rest.length > 0) {
    const flat = rest.flatMap((at) => groups[at]!);
    const dets = await det.detectBatch(flat, opts);
    let k = 0;
    for (const at of rest) out[at] = groups[at]!.map(() => dets[k++]!);
  }
  return out;
}

/** The group's longest transcript when every other one is a prefix of it (same target and messages), else undefined. */
function longestIfPrefixes(g: readonly ValidTranscript[]): ValidTranscript | undefined {
  let longest = g[0];
  for (const v of g) if (v.messages.length > longest!.messages.length) longest = v;
  if (!longest) return undefined;
  for (const v of g) {
    if (v === longest) continue;
    if (v.target !== longest.target) return undefined;
    for (let j = 0; j < v.messages.length; j++) {
      const a = v.messages[j]!;
      const b = longest.messages[j]!;
      if (a !== b && (a.speaker !== b.speaker || a.text !== b.text)) return undefined;
    }
  }
  return longest;
}
