import { z } from 'zod';
import { resolveValidationLimits } from '../core/validation-limits.js';
import { ERROR_STATUS, type ServiceErrorCode } from './error-table.js';
import { requestSchemas, type TranscriptPolicy } from './request.js';

/**
 * JSON Schemas of the HTTP API, published in `/openapi.json` under these names. The request schemas are
 * generated from the library's zod transcript schema, so the document says exactly what the service accepts;
 * they document, they do not validate (validation is `validateTranscript`, in the handler, with no coercion).
 */
type JsonSchema = Record<string, unknown>;

function fromZod(id: string, schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return { $id: id, ...json };
}

const detectionSchema: JsonSchema = {
  $id: 'Detection',
  type: 'object',
  required: ['detector', 'score', 'label', 'evidence', 'elapsedMs'],
  properties: {
    detector: { type: 'string' },
    score: { type: ['number', 'null'] },
    label: { type: ['string', 'null'], enum: ['human', 'bot', null] },
    evidence: { type: 'array', items: { type: 'object', additionalProperties: true } },
    elapsedMs: { type: 'number' },
    truncatedFrom: {
      type: 'integer',
      description:
        'Only when the service is configured to truncate and this transcript was longer: its original message count (the verdict rests on the last maxMessages messages).',
    },
    timeline: {
      type: 'array',
      description:
        'Only when the request asked for "timeline": the verdict after each target message (messageIndex counts from the original transcript, truncated or not).',
      items: {
        type: 'object',
        properties: {
          messageIndex: { type: 'integer' },
          targetMessages: { type: 'integer' },
          score: { type: ['number', 'null'] },
          label: { type: ['string', 'null'], enum: ['human', 'bot', null] },
          failedMembers: {
            type: 'array',
            items: { type: 'string' },
            description:
              'Ensemble members that failed at this point (absent when every member ran; a member that failed is replayed at the next point and named again only if it still fails).',
          },
        },
      },
    },
  },
  additionalProperties: true,
};

const errorCodes = Object.keys(ERROR_STATUS) as ServiceErrorCode[];

const errorSchema: JsonSchema = {
  $id: 'Error',
  type: 'object',
  description: 'The body of every error answer, from the service and from the HTTP layer alike.',
  required: ['code', 'error', 'message'],
  properties: {
    code: { type: 'string', enum: errorCodes, description: 'Stable machine-readable code.' },
    error: { type: 'string', enum: errorCodes, description: 'The same as code (kept for older clients).' },
    message: {
      type: 'string',
      description: 'What went wrong and what to do. Never a path or a stack trace.',
    },
    requestId: {
      type: 'string',
      description: 'The request id, as in the X-Request-Id header of the answer and the server log.',
    },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/**
 * With `truncate`, a transcript of any length is accepted (its last `maxMessages` messages are judged): every
 * `messages` array of `schema` loses its `maxItems` and says so, so the document advertises what the service
 * accepts. Changes `schema` in place (a copy made by `fromZod`).
 */
function truncating(schema: unknown, maxMessages: number): void {
  if (typeof schema !== 'object' || schema === null) return;
  if (Array.isArray(schema)) {
    for (const s of schema) truncating(s, maxMessages);
    return;
  }
  const messages = (schema as { properties?: Record<string, JsonSchema> }).properties?.['messages'];
  if (messages?.['type'] === 'array' && messages['maxItems'] !== undefined) {
    delete messages['maxItems'];
    messages['description'] =
      `Any number of messages (the body limit aside): this server truncates, so a transcript longer than ${maxMessages} messages is judged on its last ${maxMessages} and the answer says truncatedFrom.`;
  }
  for (const v of Object.values(schema)) truncating(v, maxMessages);
}

/** Every named schema, to register with `app.addSchema`. */
export function apiSchemas(policy: TranscriptPolicy, maxBatch: number): JsonSchema[] {
  const r = requestSchemas(policy, maxBatch);
  const requests = [
    fromZod('Transcript', r.Transcript),
    fromZod('DetectRequest', r.DetectRequest),
    fromZod('BatchRequest', r.BatchRequest),
  ];
  if (policy.truncate) truncating(requests, resolveValidationLimits(policy.limits).maxMessages);
  return [
    ...requests,
    detectionSchema,
    {
      $id: 'BatchResult',
      type: 'object',
      properties: { results: { type: 'array', items: { $ref: 'Detection#' } } },
    },
    errorSchema,
  ];
}

const ref = (id: string) => ({ $ref: `${id}#` });

/** The error answers every route may give, by status, each with the shared error body. */
export function errorResponses(statuses: readonly number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, { ...ref('Error'), description: describeStatus(s) }]));
}

function describeStatus(status: number): string {
  const codes = errorCodes.filter((c) => ERROR_STATUS[c] === status);
  return `Error (${codes.join(', ')})`;
}

/** The statuses a detection route can answer besides 200. */
export const DETECTION_ERRORS = [400, 401, 404, 405, 413, 415, 429, 500, 503] as const;

export { ref as schemaRef };
