import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { detectorSpecSchema, ensembleSpecSchema } from '../detectors/detector-spec.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

const serverSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  bodyLimit: z.number().int().positive().optional(),
  maxBatch: z.number().int().positive().max(10_000).optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxConcurrent: z.number().int().positive().optional(),
  maxQueued: z.number().int().min(0).optional(),
  apiKeyEnv: z.string().min(1).optional(),
});

/** The schema of `botlens.config.json`. Unknown keys are errors, so a typo never passes silently. */
export const serviceConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    ensemble: ensembleSpecSchema.optional(),
    fitted: z.string().min(1).optional(),
    server: serverSchema.optional(),
  })
  .refine((c) => !(c.ensemble && c.fitted), {
    message: 'give either "ensemble" or "fitted", not both',
    path: ['fitted'],
  });

/** A parsed `botlens.config.json`. */
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;
export { detectorSpecSchema };

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
    raw = JSON.parse(text);
  } catch (cause) {
    throw new InvalidOptionsError('config', `${path} is not valid JSON`, { cause });
  }
  return parseServiceConfig(raw, dirname(resolve(path)));
}

/**
 * Validates a config object; see {@link loadServiceConfig}.
 *
 * @param raw - the parsed JSON
 * @param baseDir - folder that relative paths resolve against
 */
export function parseServiceConfig(raw: unknown, baseDir = process.cwd()): ServiceConfig {
  const r = serviceConfigSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const key = first.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    const all = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidOptionsError(key || 'config', all);
  }
  const c = r.data;
  if (c.fitted) c.fitted = resolve(baseDir, c.fitted);
  for (const d of c.ensemble?.detectors ?? []) if (d.modelDir) d.modelDir = resolve(baseDir, d.modelDir);
  return c;
}
