import { describeValue } from '../core/describe-value.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { HubError } from '../errors/hub-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { type HubAccessOptions, type ResolvedHubAccess, resolveHubAccess } from '../hub/hub-options.js';
import { type HubModule, hubRepoParams, listHubFiles } from '../hub/hub-repo.js';
import { notAHubCheck, toHubError } from '../hub/to-hub-error.js';
import { cardLanguages } from './card-languages.js';
import { cardLicenses } from './card-licenses.js';
import type { BaseModelCard, FactProblem, HubFile, ModelFacts, RepoSecurityStatus } from './types.js';

const MODEL_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function authHeaders(hub: ResolvedHubAccess): Record<string, string> {
  return hub.accessToken ? { Authorization: `Bearer ${hub.accessToken}` } : {};
}

async function readInfo(
  lib: HubModule,
  id: string,
  hub: ResolvedHubAccess,
): Promise<Record<string, unknown>> {
  try {
    const info: unknown = await lib.modelInfo({
      name: id,
      hubUrl: hub.hubUrl,
      revision: hub.revision,
      accessToken: hub.accessToken,
      fetch: hub.fetch,
      additionalFields: [
        'cardData',
        'tags',
        'config',
        'library_name',
        'sha',
        'disabled',
        'safetensors',
        'filePaths',
      ],
    });
    if (!isRecord(info) || typeof info['name'] !== 'string') {
      throw new HubError(
        'malformed',
        `The hub's model info for ${id} has no repo id ("id"): ${notAHubCheck(hub.hubSetting)}.`,
        {
          model: id,
        },
      );
    }
    return info;
  } catch (err) {
    throw toHubError(err, { model: id, what: 'reading the model info', hubSetting: hub.hubSetting });
  }
}

async function readTree(lib: HubModule, id: string, hub: ResolvedHubAccess): Promise<HubFile[]> {
  const files: HubFile[] = [];
  for await (const entry of listHubFiles(lib, id, hub)) {
    files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size });
  }
  return files;
}

async function readConfig(
  lib: HubModule,
  id: string,
  hub: ResolvedHubAccess,
): Promise<Record<string, unknown> | undefined> {
  const blob = await lib.downloadFile({ ...hubRepoParams(id, hub), path: 'config.json' });
  if (!blob) return undefined;
  const parsed: unknown = JSON.parse(await blob.text());
  if (!isRecord(parsed)) throw new SyntaxError('config.json is not a JSON object');
  return parsed;
}

async function readSafetensors(
  lib: HubModule,
  id: string,
  hub: ResolvedHubAccess,
  path: string | undefined,
): Promise<Record<string, number>> {
  const meta = await lib.parseSafetensorsMetadata({
    ...hubRepoParams(id, hub),
    // Naming the file skips the client's HEAD probe, whose error answers (no body) it cannot parse.
    path,
    computeParametersCount: true,
  });
  const byDtype: Record<string, number> = {};
  for (const [dtype, n] of Object.entries(meta.parameterCount)) if (typeof n === 'number') byDtype[dtype] = n;
  return byDtype;
}

async function readSecurity(id: string, hub: ResolvedHubAccess): Promise<RepoSecurityStatus | undefined> {
  const url = `${hub.hubUrl}/api/models/${id}?securityStatus=true`;
  const res = await hub.fetch(url, { headers: { accept: 'application/json', ...authHeaders(hub) } });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new HubError('http', `HTTP ${res.status} from ${url}`, { status: res.status, url, model: id });
  }
  const body: unknown = await res.json();
  const s = isRecord(body) ? body['securityRepoStatus'] : undefined;
  if (!isRecord(s)) return undefined;
  const flagged = Array.isArray(s['filesWithIssues']) ? s['filesWithIssues'] : [];
  return {
    scansDone: s['scansDone'] === true,
    filesWithIssues: flagged.filter(isRecord).map((f) => ({
      path: typeof f['path'] === 'string' ? f['path'] : '(unnamed file)',
      level: typeof f['level'] === 'string' ? f['level'] : 'unknown',
    })),
  };
}

async function readBaseCard(lib: HubModule, baseId: string, hub: ResolvedHubAccess): Promise<BaseModelCard> {
  const info: unknown = await lib.modelInfo({
    name: baseId,
    hubUrl: hub.hubUrl,
    accessToken: hub.accessToken,
    fetch: hub.fetch,
    additionalFields: ['cardData', 'tags'],
  });
  const r = isRecord(info) ? info : {};
  const cardData = isRecord(r['cardData']) ? r['cardData'] : {};
  const tags = Array.isArray(r['tags']) ? r['tags'].filter((t): t is string => typeof t === 'string') : [];
  return {
    id: typeof r['name'] === 'string' ? r['name'] : baseId,
    licenses: cardLicenses(cardData, tags),
    licenseName: typeof cardData['license_name'] === 'string' ? cardData['license_name'] : undefined,
    languages: cardLanguages(cardData, tags),
  };
}

function baseModelId(cardData: Record<string, unknown>): string | undefined {
  const b = cardData['base_model'];
  const first = typeof b === 'string' ? b : Array.isArray(b) && b.length === 1 ? b[0] : undefined;
  return typeof first === 'string' && MODEL_ID.test(first) ? first : undefined;
}

function hubSummaryParameters(info: Record<string, unknown>): Record<string, number> | undefined {
  const st = info['safetensors'];
  if (!isRecord(st) || !isRecord(st['parameters'])) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(st['parameters'])) if (typeof v === 'number' && v >= 0) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

function sum(byDtype: Record<string, number>): number {
  return Object.values(byDtype).reduce((a, b) => a + b, 0);
}

/**
 * Reads what the model-selection checks need from the Hugging Face Hub: the model info (pipeline tag, tags,
 * card metadata, gating, downloads, likes, last commit), the file tree with sizes, `config.json`, the parameter
 * counts from the safetensors headers (read with Range requests by `@huggingface/hub`), the security scan
 * (`GET /api/models/{id}?securityStatus=true`), and the base model's card when the card names no license or
 * language of its own.
 *
 * Only the model info is required: when another source fails (a gated file, a missing scan), the failure is
 * recorded in `problems` and the checks that needed it say so. Transient errors are retried with backoff.
 *
 * @param id - hub repo id, e.g. `Xenova/bart-large-mnli`
 * @param options - hub URL, token, revision, fetch, retries, time limit, signal
 * @throws HubError when the model info cannot be read (not found, gated, rate limited, down, malformed)
 * @throws InvalidOptionsError for an id that is not `owner/name`, or a bad option
 * @throws AbortedError when `signal` aborts
 * @example
 * ```ts
 * const facts = await fetchModelFacts('Xenova/bart-large-mnli');
 * facts.pipelineTag; // 'zero-shot-classification'
 * facts.files?.some((f) => f.path === 'onnx/model_quantized.onnx'); // true
 * ```
 */
export async function fetchModelFacts(id: string, options: HubAccessOptions = {}): Promise<ModelFacts> {
  if (typeof id !== 'string' || !MODEL_ID.test(id)) {
    throw new InvalidOptionsError('id', `expected a hub model id "owner/name", got ${describeValue(id)}`);
  }
  const hub = resolveHubAccess(options);
  AbortedError.throwIfAborted(hub.signal, 'Reading the model from the hub');
  const lib: HubModule = await import('@huggingface/hub');

  const info = await readInfo(lib, id, hub);
  const repoId = info['name'] as string;
  const cardData = isRecord(info['cardData']) ? info['cardData'] : {};
  const tags = Array.isArray(info['tags'])
    ? info['tags'].filter((t): t is string => typeof t === 'string')
    : [];
  const siblings = Array.isArray(info['filePaths'])
    ? info['filePaths'].filter((p): p is string => typeof p === 'string')
    : undefined;
  const problems: FactProblem[] = [];
  const note = (source: FactProblem['source'], what: string, err: unknown) => {
    if (AbortedError.isInstance(err)) throw err;
    const e = toHubError(err, { model: repoId, what, hubSetting: hub.hubSetting });
    problems.push({ source, message: BotlensError.isInstance(e) ? e.message : reason(err) });
  };

  const safetensorsPath = ['model.safetensors', 'model.safetensors.index.json'].find((p) =>
    siblings?.includes(p),
  );

  const needsBase = cardLicenses(cardData, tags).length === 0 || cardLanguages(cardData, tags).length === 0;
  const baseId = needsBase ? baseModelId(cardData) : undefined;

  const [files, config, safetensors, security, baseModel] = await Promise.all([
    readTree(lib, repoId, hub).catch((err: unknown) => {
      note('files', 'listing the files', err);
      return siblings?.map((path): HubFile => ({ path, size: undefined }));
    }),
    readConfig(lib, repoId, hub).then(
      (config) => {
        if (!config) problems.push({ source: 'config', message: `${repoId} has no config.json.` });
        return config;
      },
      (err: unknown) => {
        note('config', 'downloading config.json', err);
        return undefined;
      },
    ),
    safetensorsPath !== undefined || siblings === undefined
      ? readSafetensors(lib, repoId, hub, safetensorsPath).catch((err: unknown) => {
          note('safetensors', 'reading the safetensors headers', err);
          return undefined;
        })
      : Promise.resolve(undefined),
    readSecurity(repoId, hub).catch((err: unknown) => {
      note('security', 'reading the security scan', err);
      return undefined;
    }),
    baseId
      ? readBaseCard(lib, baseId, hub).catch((err: unknown) => {
          note('base-model', `reading the card of the base model ${baseId}`, err);
          return undefined;
        })
      : Promise.resolve(undefined),
  ]);
  AbortedError.throwIfAborted(hub.signal, 'Reading the model from the hub');

  const summary = hubSummaryParameters(info);
  let parameters: ModelFacts['parameters'];
  if (safetensors && sum(safetensors) > 0) {
    parameters = { total: sum(safetensors), byDtype: safetensors, source: 'safetensors-header' };
  } else if (summary) {
    parameters = { total: sum(summary), byDtype: summary, source: 'hub-summary' };
  }

  const lastModified =
    info['updatedAt'] instanceof Date && !Number.isNaN(info['updatedAt'].getTime())
      ? info['updatedAt']
      : undefined;
  const gated = info['gated'] === 'auto' || info['gated'] === 'manual' ? info['gated'] : false;
  return {
    id: repoId,
    sha: typeof info['sha'] === 'string' ? info['sha'] : undefined,
    pipelineTag: typeof info['task'] === 'string' ? info['task'] : undefined,
    libraryName: typeof info['library_name'] === 'string' ? info['library_name'] : undefined,
    tags,
    cardData,
    gated,
    private: info['private'] === true,
    disabled: info['disabled'] === true,
    downloads: typeof info['downloads'] === 'number' ? info['downloads'] : 0,
    likes: typeof info['likes'] === 'number' ? info['likes'] : 0,
    lastModified,
    hubConfig: isRecord(info['config']) ? info['config'] : undefined,
    config,
    files,
    parameters,
    security,
    baseModel,
    problems,
  };
}
