import type { Detection, DetectionStream, DetectOptions, Detector, StreamOptions } from './detector.js';
import type { Message } from './transcript.js';

/**
 * Opens a {@link DetectionStream} on any detector: its own `stream()` when it has one, otherwise a stream that
 * re-runs `detect()` on every message pushed so far (cost grows with the transcript; detectors that care
 * implement `stream()` to update incrementally).
 *
 * @param detector - the detector to run
 * @param opts - the target speaker and profile
 * @example
 * ```ts
 * const live = openStream(new HeuristicDetector(), { target: 'helperbot' });
 * const d = await live.push({ speaker: 'helperbot', text: 'Hello !' });
 * ```
 */
export function openStream(detector: Detector, opts: StreamOptions): DetectionStream {
  if (detector.stream) return detector.stream(opts);
  return recomputingStream(detector, opts);
}

/**
 * The fallback stream: keeps the messages pushed so far and runs `detect()` on all of them at each push.
 * Pushes are serialized, so detections arrive in message order.
 */
export function recomputingStream(detector: Detector, opts: StreamOptions): DetectionStream {
  const messages: Message[] = [];
  let latest: Detection | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  return {
    push(message: Message, detectOpts?: DetectOptions): Promise<Detection> {
      const run = chain.then(async () => {
        messages.push(message);
        latest = await detector.detect(
          {
            target: opts.target,
            messages: messages.slice(),
            ...(opts.profile !== undefined && { profile: opts.profile }),
          },
          detectOpts,
        );
        return latest;
      });
      chain = run.catch(() => undefined);
      return run;
    },
    detection: () => latest,
  };
}
