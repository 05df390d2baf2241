import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { describeValue } from '../core/describe-value.js';
import { numberInRange, OPEN_SHARE, PROBABILITY } from '../core/number-range.js';
import { refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { withoutBom } from '../core/without-bom.js';
import { descriptorForType, registeredDetectorTypes } from '../detectors/detector-registry.js';
import { detectorSpecSchema, type EnsembleSpec, ensembleSpecSchema } from '../detectors/detector-spec.js';
import { describeUnfitted, unfittedPartsOnLoad } from '../detectors/needs-fit.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ServiceStartError } from '../errors/service-start-error.js';
import { howToFit } from '../flags/fit-command.js';
import { expandHome } from '../hub/cache-dir.js';

const serverSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  bodyLimit: z.number().int().positive().optional(),
  maxBatch: z.number().int().positive().max(10_000).optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxConcurrent: z.number().int().positive().optional(),
  maxQueued: z.number().int().min(0).optional(),
  maxBytesInFlight: z.number().int().positive().optional(),
  maxMessages: z.number().int().positive().max(100_000).optional(),
  truncate: z.boolean().optional(),
  requestTimeoutMs: z.number().int().positive().optional(),
  headersTimeoutMs: z.number().int().positive().optional(),
  keepAliveTimeoutMs: z.number().int().positive().optional(),
  apiKeyEnv: z.string().min(1).optional(),
  auth: z.enum(['bearer', 'none'], { error: 'auth must be "bearer" or "none"' }).optional(),
  optionalMembers: z.array(z.string().min(1)).optional(),
  workers: z.number().int().min(0).max(256).optional(),
  listenBacklog: z.number().int().min(1).max(65535).optional(),
});

/**
 * The schema of `botlens.config.json`; parses to {@link ServiceConfig}. Unknown keys are errors, so a typo
 * never passes silently.
 * @internal
 */
export const serviceConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    ensemble: ensembleSpecSchema.optional(),
    fitted: z.string().min(1).optional(),
    prior: numberInRange(OPEN_SHARE).optional(),
    threshold: numberInRange(PROBABILITY).optional(),
    modelDir: z.string({ error: 'modelDir must be a folder path' }).min(1).optional(),
    server: serverSchema.optional(),
  })
  .refine((c) => !(c.ensemble && c.fitted), {
    message: 'give either "ensemble" or "fitted", not both',
    path: ['fitted'],
  })
  .refine((c) => c.prior === undefined || c.fitted !== undefined, {
    message:
      'applies to a "fitted" stacking ensemble (a file written by botlens fit): give "fitted" with it, or leave "prior" out',
    path: ['prior'],
  })
  .refine((c) => c.threshold === undefined || c.fitted !== undefined, {
    message: 'applies to a "fitted" file; for an ensemble built from the config, set "ensemble.threshold"',
    path: ['threshold'],
  })
  .refine((c) => c.modelDir === undefined || c.fitted !== undefined, {
    message:
      'applies to a "fitted" file; for an ensemble built from the config, set "modelDir" on each detector in "ensemble.detectors"',
    path: ['modelDir'],
  });

/** The `server` section of `botlens.config.json`: where and how the service listens. */
export interface ServerSettings {
  /**
   * Interface to bind.
   * @defaultValue '127.0.0.1'
   */
  host?: string | undefined;
  /**
   * Port to listen on.
   * @defaultValue 8080
   */
  port?: number | undefined;
  /**
   * Largest request body in bytes (413 beyond it).
   * @defaultValue 1048576 (1 MiB)
   */
  bodyLimit?: number | undefined;
  /**
   * Most transcripts in one `POST /v1/detect/batch`.
   * @defaultValue 32
   */
  maxBatch?: number | undefined;
  /**
   * Per-request time limit in milliseconds (503 with Retry-After beyond it).
   * @defaultValue 10000
   */
  timeoutMs?: number | undefined;
  /**
   * Requests detected at the same time.
   * @defaultValue 4
   */
  maxConcurrent?: number | undefined;
  /**
   * Requests waiting for a slot before new ones get 429.
   * @defaultValue 64
   */
  maxQueued?: number | undefined;
  /**
   * Request-body bytes admitted at once; past it new requests get 429 at once (see `ServerOptions`).
   * @defaultValue 8 × bodyLimit
   */
  maxBytesInFlight?: number | undefined;
  /**
   * Most messages in one transcript (400 beyond it, unless `truncate`).
   * @defaultValue 200
   */
  maxMessages?: number | undefined;
  /**
   * Keep the last `maxMessages` messages of a longer transcript instead of answering 400.
   * @defaultValue false
   */
  truncate?: boolean | undefined;
  /**
   * Time for a client to send a whole request; a client that stalls gets 408 and is disconnected.
   * @defaultValue 20000
   */
  requestTimeoutMs?: number | undefined;
  /**
   * Time for a client to send the request headers.
   * @defaultValue 10000
   */
  headersTimeoutMs?: number | undefined;
  /**
   * How long an idle keep-alive connection stays open.
   * @defaultValue 5000
   */
  keepAliveTimeoutMs?: number | undefined;
  /**
   * Environment variable that holds the API key (`Authorization: Bearer <key>`). When given, the variable must
   * be set and non-empty or the service refuses to start.
   * @defaultValue 'BOTLENS_API_KEY' (no key required when it is unset)
   */
  apiKeyEnv?: string | undefined;
  /**
   * `"bearer"` requires a key (start-up fails without one); `"none"` serves without a key and is the explicit
   * opt-in needed to bind a non-loopback host without a key (a warning is logged).
   * @defaultValue "bearer" when a key is found, else none on loopback hosts only
   */
  auth?: 'bearer' | 'none' | undefined;
  /**
   * Ensemble members (by name) allowed to fail to load; any other member that fails stops start-up.
   * @defaultValue [] (every member is required)
   */
  optionalMembers?: string[] | undefined;
  /**
   * Worker threads that run the detectors (each loads its own models), so CPU-bound detection never holds the
   * event loop that answers probes and admits requests. 0 runs detection on the main thread.
   * @defaultValue 0
   */
  workers?: number | undefined;
  /**
   * Connections the kernel holds for the service before it accepts them (the `listen` backlog). Past it, new
   * connections wait for the client's retry. Kept short so that, after a burst, the service is not left reading
   * hundreds of queued requests whose clients have gone (the host's `net.core.somaxconn` caps it).
   * @defaultValue 32
   */
  listenBacklog?: number | undefined;
}

/**
 * A parsed `botlens.config.json`: an ensemble to build, or a fitted ensemble file, plus server settings.
 *
 * @example
 * ```json
 * { "ensemble": { "strategy": "weighted-mean", "detectors": [{ "type": "heuristic" }] }, "server": { "port": 8080 } }
 * ```
 */
export interface ServiceConfig {
  /** A JSON-schema reference, ignored. */
  $schema?: string | undefined;
  /** The ensemble to build (give this or `fitted`). */
  ensemble?: EnsembleSpec | undefined;
  /** A file written by `botlens fit` (give this or `ensemble`); relative to the config file, `~` the home. */
  fitted?: string | undefined;
  /**
   * With `fitted` (a stacking ensemble): the share of bots expected where the service is used, in (0, 1),
   * replacing the fitted file's (see `EnsembleOptions.prior`), without a refit. Refused without `fitted` (an
   * ensemble built from the config takes `ensemble.prior`) and, at start-up, for a fitted file that cannot honour
   * it.
   * @defaultValue the fitted file's prior, if any (else its training share)
   */
  prior?: number | undefined;
  /**
   * With `fitted`: P(bot) at or above which the fitted detector says bot, in [0, 1], replacing the saved
   * threshold (as `botlens detect --model fitted.json --threshold` does). Refused without `fitted` (an ensemble
   * built from the config takes `ensemble.threshold`).
   * @defaultValue the fitted file's threshold
   */
  threshold?: number | undefined;
  /**
   * With `fitted`: the folder that holds the fitted file's models, relative to the config file, `~` the home (as
   * `botlens detect --model fitted.json --model-dir` does; see `DetectorLoadOptions.modelDir`). Implies offline.
   * Refused without `fitted` (an ensemble built from the config sets `modelDir` per detector); a path that is not
   * a folder stops start-up.
   * @defaultValue undefined (the model locations saved in the file)
   */
  modelDir?: string | undefined;
  /** Where and how the service listens. */
  server?: ServerSettings | undefined;
}

/**
 * Reads and validates a service config file. Relative paths inside it (`fitted`, `modelDir`) resolve against
 * the file's folder. Errors name the bad key, e.g. `ensemble.detectors[1].type`.
 *
 * @param path - the config file
 * @example
 * ```ts
 * const config = await loadServiceConfig('botlens.config.json');
 * ```
 */
export async function loadServiceConfig(path: string): Promise<ServiceConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new BotlensError('READ_FAILED', `Cannot read config file ${path}: check the --config path.`, {
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(withoutBom(text));
  } catch (cause) {
    throw new InvalidOptionsError('config', `${path} is not valid JSON`, { cause });
  }
  return parseServiceConfig(raw, dirname(resolve(path)));
}

/**
 * Refuses a config whose `ensemble` cannot score unfitted, by the shared rule of `unfittedPartsOnLoad` (a `stacking`
 * strategy, or a member whose type needs a fit: `embedding`, `partner-contrast`, `linear-probe`, a type registered
 * with `registerDetector` that declares it, ..., or a `lora` member whose `model` has no classification head, which
 * it loads the model to tell): a config holds no labelled data, so the service could only fail
 * on its warm-up detection after it had started listening. The message names the key at fault
 * (`ensemble.strategy`, `ensemble.detectors[1]`) and says how to fit the ensemble (the `botlens fit` command that fits
 * the same spec, or the in-code path where no flags can give it) and to serve the file as `"fitted"`; it offers to
 * remove the members that need a fit only when a member that scores unfitted would remain and the strategy needs no
 * fit, and says that `server.optionalMembers` does not cover such a member when it lists one.
 * A `fitted` file is never refused. `startService` calls it before it builds the detector or listens.
 *
 * @param config - a service config
 * @throws ServiceStartError for an ensemble that cannot score unfitted
 * @returns the release of the models the check loaded: call it once the service's detector has loaded its own (it
 *   shares their load)
 * @throws InvalidOptionsError for a member of unknown type or with a bad option
 * @internal
 */
export async function refuseUnfittedEnsemble(
  config: Pick<ServiceConfig, 'ensemble' | 'fitted' | 'server'>,
): Promise<() => Promise<void>> {
  const ensemble = config.ensemble;
  if (config.fitted !== undefined || ensemble === undefined) return async () => undefined;
  const { parts, release } = await unfittedPartsOnLoad(ensemble);
  const first = parts[0];
  if (first === undefined) return release;
  await release();
  const key = first.part === 'strategy' ? 'ensemble.strategy' : `ensemble.detectors[${first.index}]`;
  const members = parts.flatMap((p) => (p.part === 'detector' ? [p.name] : []));
  // Removing the members helps only when one that scores unfitted remains and the strategy needs no fit.
  const drop =
    first.part === 'detector' && members.length < ensemble.detectors.length
      ? `; or remove ${members.map(describeValue).join(', ')} from "ensemble.detectors"`
      : '';
  const optional = config.server?.optionalMembers ?? [];
  const covered = members.filter((m) => optional.includes(m));
  const optionalNote =
    covered.length > 0
      ? ` server.optionalMembers does not cover a member that cannot score until fitted (${covered.map(describeValue).join(', ')}): remove it or give a fitted file.`
      : '';
  throw new ServiceStartError(
    `Cannot serve "${key}": the ensemble cannot score until it is fitted on labelled data (${describeUnfitted(parts)}), which a config cannot hold: fit it first (${howToFit(ensemble)}) and give the file as "fitted": "fitted.json" in place of "ensemble"${drop}.${optionalNote}`,
  );
}

/** A config key as its errors name it: `ensemble.detectors[1].type`. */
function keyOf(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/**
 * The keys the object at `path` of the config takes (through optional values and arrays), if they are known: its
 * schema's keys, or for a detector entry (`ensemble.detectors[0]`) "type" and its type's options (the descriptor's
 * `optionsSchema`, so a type added with `registerDetector` too).
 */
function knownKeysAt(raw: unknown, path: readonly PropertyKey[]): string[] | undefined {
  let at: z.ZodType = serviceConfigSchema;
  let value = raw;
  let extra: string[] = [];
  for (let i = 0; ; ) {
    if (at === detectorSpecSchema) {
      const type = (value as { type?: unknown } | undefined)?.type;
      if (!registeredDetectorTypes().includes(type as string)) return undefined;
      at = descriptorForType(type).optionsSchema;
      extra = ['type'];
    }
    const def = at._zod.def as { type: string; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType };
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') at = def.innerType!;
    else if (def.type === 'pipe') at = def.in!;
    else if (i === path.length) {
      return def.type === 'object' ? [...extra, ...Object.keys((at as z.ZodObject).shape)] : undefined;
    } else if (def.type === 'array' && typeof path[i] === 'number') {
      at = def.element!;
      value = (value as unknown[] | undefined)?.[path[i] as number];
      i++;
    } else if (def.type === 'object') {
      const next = (at as z.ZodObject).shape[String(path[i])];
      if (next === undefined) return undefined;
      at = next;
      value = (value as Record<string, unknown> | undefined)?.[String(path[i])];
      extra = [];
      i++;
    } else return undefined;
  }
}

/**
 * The library's wording of an unknown key of the config (`refuseUnknownKeys`): the key with its place
 * (`server.maxMessage`), the nearest known key ("did you mean"), and the keys its object takes. `undefined` when
 * `issue` is not an unknown key, or its object's keys are not known here.
 */
function unknownKeyProblem(
  raw: unknown,
  path: readonly PropertyKey[],
  issue: { code: string } = { code: 'unrecognized_keys' },
): { option: string; message: string } | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const keys = knownKeysAt(raw, path);
  let value: unknown = raw;
  for (const p of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p];
  if (keys === undefined || typeof value !== 'object' || value === null) return undefined;
  const at = keyOf(path);
  const known = Object.fromEntries(keys.map((k) => [k, true as const]));
  try {
    refuseUnknownKeys(
      value,
      known,
      at === '' ? 'the config' : `"${at}" in the config`,
      at === '' ? {} : { at },
    );
  } catch (err) {
    if (!InvalidOptionsError.isInstance(err)) throw err;
    return { option: err.option, message: err.message.slice(`Invalid option "${err.option}": `.length) };
  }
  return undefined;
}

/** `~` or `~/...`: a path in the user's home. */
const HOME_PATH = /^~(?:[/\\]|$)/;

/**
 * Validates a config object; see {@link loadServiceConfig}. An `ensemble` that cannot score unfitted (a `stacking`
 * one, or one with a member that needs a fit, such as `embedding` or `partner-contrast`) passes here, so that code
 * can build and fit it; `startService` refuses to serve it (fit it with `botlens fit` and give the file as
 * `fitted`).
 *
 * @param raw - the parsed JSON
 * @param baseDir - folder that relative paths resolve against
 */
export function parseServiceConfig(raw: unknown, baseDir = process.cwd()): ServiceConfig {
  const r = serviceConfigSchema.safeParse(raw);
  if (!r.success) {
    // Each issue with its key (`server.maxMessage`) and message. An unknown key is worded as the library's option
    // errors word it (the nearest known key, the keys its object takes), not in zod's words, and comes first:
    // a misspelt key is often why another is missing.
    const unknown = r.error.issues.flatMap((i) => unknownKeyProblem(raw, i.path, i) ?? []);
    const others = r.error.issues
      .filter((i) => unknownKeyProblem(raw, i.path, i) === undefined)
      .map((i) => ({ option: keyOf(i.path), message: i.message }));
    const problems = [...unknown, ...others];
    // The first issue's key is the error's option: its message follows without repeating it.
    const all = problems
      .map((p, n) => (n === 0 ? p.message : `${p.option || '(root)'}: ${p.message}`))
      .map((m, n) => (n < problems.length - 1 ? m.replace(/\.$/, '') : m))
      .join('; ');
    throw new InvalidOptionsError(problems[0]!.option || 'config', all);
  }
  const c = r.data;
  // A leading `~` is the user's home, as on the command line (`expandHome`, which the CLI's paths go through);
  // any other relative path is relative to the config file's folder.
  const at = (p: string) => (HOME_PATH.test(p) ? expandHome(p) : resolve(baseDir, p));
  if (c.fitted) c.fitted = at(c.fitted);
  if (c.modelDir) c.modelDir = at(c.modelDir);
  for (const d of c.ensemble?.detectors ?? []) if (d.modelDir) d.modelDir = at(d.modelDir);
  return c;
}
