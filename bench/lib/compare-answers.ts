/**
 * Sends the same requests to two services and compares their answers byte for byte (status, content type and
 * body), with every `elapsedMs` value masked and error answers compared by their code and issue paths (their
 * messages are wording; evidence sentences reworded on purpose are listed in REWORDINGS): the check that a faster
 * service still writes the same answers.
 */
import type { FastifyInstance } from 'fastify';

/** One request: a POST of `body` (sent as it is, JSON or not) to `url`. */
export interface AnswerRequest {
  url: string;
  body: string;
}

/** The outcome: a one-line summary and one line per request whose answers differ. */
export interface AnswerComparison {
  summary: string;
  differences: string[];
}

/** Anything with a Fastify app and a readiness promise (a `BotlensServer` of either checkout). */
interface Service {
  app: FastifyInstance;
  ready: Promise<void>;
}

/** Each `"elapsedMs":<number>` of a JSON text as `"elapsedMs":0`: the one field that is a time. */
export function maskElapsed(text: string): string {
  return text.replace(/"elapsedMs":-?[\d.]+(?:e[+-]?\d+)?/g, '"elapsedMs":0');
}

/**
 * Evidence sentences reworded on purpose since a baseline the benches compare with, as `[before, after]` in the
 * JSON text of an answer: the baseline's answer is read with each rewording applied, so the comparison still
 * catches every other change. Each entry names the commit that made it.
 */
const REWORDINGS: readonly (readonly [string, string])[] = [
  // 9b4be77: the tokenizer-spacing sentence quotes no example the transcript may not hold.
  [
    'spaced like tokenizer output (\\"i \'m\\", \\"fine .\\")',
    'spaced like tokenizer output (a space before punctuation or inside a contraction)',
  ],
];

/** `text` with the {@link REWORDINGS} applied (for the baseline's answers). */
function reworded(text: string): string {
  return REWORDINGS.reduce((t, [from, to]) => t.replaceAll(from, to), text);
}

async function answer(s: Service, r: AnswerRequest): Promise<string> {
  const res = await s.app.inject({
    method: 'POST',
    url: r.url,
    headers: { 'content-type': 'application/json' },
    payload: r.body,
  });
  return `${res.statusCode} ${String(res.headers['content-type'])} ${res.statusCode >= 400 ? errorShape(res.body) : maskElapsed(res.body)}`;
}

/**
 * An error answer as compared: its `code` and the paths of its `issues`. Its message is wording meant for people,
 * which a release may improve (a refusal that says what to do) without changing the answer.
 */
function errorShape(body: string): string {
  try {
    const e = JSON.parse(body) as { code?: unknown; issues?: { path?: unknown }[] };
    return JSON.stringify({ code: e.code, issues: e.issues?.map((i) => i.path) });
  } catch {
    return body;
  }
}

/**
 * Starts both services, sends every request to each, closes them, and reports which answers differ.
 *
 * @param requests - what to send
 * @param before - starts the reference service
 * @param after - starts the service under test
 */
export async function compareAnswers(
  requests: readonly AnswerRequest[],
  before: () => Promise<Service>,
  after: () => Promise<Service>,
): Promise<AnswerComparison> {
  const [a, b] = [await before(), await after()];
  try {
    await Promise.all([a.ready, b.ready]);
    const differences: string[] = [];
    let bytes = 0;
    for (const [i, r] of requests.entries()) {
      const [x, y] = [reworded(await answer(a, r)), await answer(b, r)];
      bytes += y.length;
      if (x !== y) {
        let at = 0;
        while (x[at] === y[at]) at++;
        differences.push(
          `request ${i} (${r.url}) differs at byte ${at}: before ...${x.slice(at, at + 60)}... after ...${y.slice(at, at + 60)}...`,
        );
      }
    }
    const same = requests.length - differences.length;
    return {
      summary: `Answers (status, content type, body; elapsedMs masked, error answers by code and issue paths): ${same} of ${requests.length} identical to the baseline's (${bytes} bytes).`,
      differences,
    };
  } finally {
    await Promise.all([a.app.close(), b.app.close()]);
  }
}
