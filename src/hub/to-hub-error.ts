import { BotlensError } from '../errors/botlens-error.js';
import { HubError } from '../errors/hub-error.js';
import type { HubSetting } from './hub-fetch.js';

/** Where a hub failure happened, for {@link toHubError}'s message. */
export interface HubErrorContext {
  /** The repo id asked for. */
  model: string;
  /** What was being done, e.g. `reading the model info`. */
  what: string;
  /**
   * The setting that chose the hub's address, for "check ... points at a Hugging Face Hub"
   * (`ResolvedHubAccess.hubSetting`).
   * @defaultValue 'hubUrl'
   */
  hubSetting?: HubSetting;
}

/** What to check when the answer is not the hub API's, by the setting that chose the address (whole, for cli-wording). */
const NOT_A_HUB: Record<HubSetting, string> = {
  hubUrl: 'check hubUrl points at a Hugging Face Hub',
  HF_ENDPOINT: 'check HF_ENDPOINT points at a Hugging Face Hub',
};

/**
 * What to check when an answer is not the hub API's ("check HF_ENDPOINT points at a Hugging Face Hub"), naming the
 * setting that chose the hub's address, so no message names an option its reader did not set.
 *
 * @param setting - `ResolvedHubAccess.hubSetting`
 * @internal
 */
export function notAHubCheck(setting: HubSetting = 'hubUrl'): string {
  return NOT_A_HUB[setting];
}

interface ApiErrorLike {
  statusCode: number;
  url?: unknown;
  message: string;
  data?: unknown;
}

function isApiError(err: unknown): err is ApiErrorLike {
  return err instanceof Error && typeof (err as Partial<ApiErrorLike>).statusCode === 'number';
}

/**
 * Turns whatever a `@huggingface/hub` call threw into a botlens error with a message that says what to do.
 * botlens errors (a {@link HubError} from the retrying fetch, an `AbortedError`) pass through unchanged. The
 * client's `HubApiError` becomes a `HubError` whose `kind` follows the HTTP status (401/403 with the hub's
 * "restricted" message: `gated`; 401 "Repository not found" and 404: `not-found`; 429: `rate-limited`; 5xx:
 * `server`); JSON and response-format errors become `malformed`; anything else `network`. The original error is
 * kept as `cause`.
 *
 * @param err - what was thrown
 * @param context - the repo id and the operation, for the message
 * @returns the error to throw
 * @example
 * ```ts
 * try {
 *   await modelInfo({ name: id, hubUrl });
 * } catch (err) {
 *   throw toHubError(err, { model: id, what: 'reading the model info' });
 * }
 * ```
 */
export function toHubError(err: unknown, context: HubErrorContext): Error {
  if (BotlensError.isInstance(err)) return err;
  const { model, what } = context;
  if (isApiError(err)) {
    const status = err.statusCode;
    const url = typeof err.url === 'string' ? err.url : undefined;
    const details = { status, url, model, cause: err };
    const said = err.message.replace(/\.\s*URL:.*$/s, '');
    // Match on the hub's own words only: the URL in the message may contain `expand=gated`.
    if ((status === 401 || status === 403) && /restricted|gated repo|authorized list/i.test(said)) {
      return new HubError(
        'gated',
        `${model} is a gated repo (HTTP ${status} while ${what}): accept its terms on the hub page, then pass an accessToken (or set HF_TOKEN) of an account that was granted access. The hub said: ${said}`,
        details,
      );
    }
    if (status === 404 || (status === 401 && /not found/i.test(said))) {
      return new HubError(
        'not-found',
        `${model} was not found on the hub (HTTP ${status} while ${what}): check the id and revision; a private repo also needs an accessToken.`,
        details,
      );
    }
    if (status === 401 || status === 403) {
      return new HubError(
        'unauthorized',
        `The hub refused access to ${model} (HTTP ${status} while ${what}): check that the accessToken is valid and has read access. The hub said: ${said}`,
        details,
      );
    }
    if (status === 429) {
      return new HubError(
        'rate-limited',
        `The hub is rate limiting requests (HTTP 429 while ${what} for ${model}) even after retrying: wait a few minutes, or pass an accessToken (logged-in accounts get higher limits).`,
        details,
      );
    }
    if (status >= 500) {
      return new HubError(
        'server',
        `The hub failed with HTTP ${status} while ${what} for ${model}, even after retrying: try again later.`,
        details,
      );
    }
    return new HubError(
      'http',
      `The hub answered HTTP ${status} while ${what} for ${model}: ${said}`,
      details,
    );
  }
  const name = err instanceof Error ? err.constructor.name : '';
  if (
    err instanceof SyntaxError ||
    err instanceof TypeError ||
    name === 'InvalidApiResponseFormatError' ||
    name === 'SafetensorParseError'
  ) {
    return new HubError(
      'malformed',
      `The hub's answer while ${what} for ${model} was not what the hub API returns (${(err as Error).message}): ${notAHubCheck(context.hubSetting)}.`,
      { model, cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new HubError('network', `Talking to the hub failed while ${what} for ${model}: ${message}`, {
    model,
    cause: err,
  });
}
