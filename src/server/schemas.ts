/**
 * JSON Schemas of the HTTP API. Fastify validates bodies against them (with Ajv) before a handler runs, and
 * @fastify/swagger publishes them in `/openapi.json`. Deeper rules (target among the speakers, timestamps in
 * order) are checked by `validateTranscript`, which answers 400 with the field and the fix.
 */
const messageSchema = {
  type: 'object',
  required: ['speaker', 'text'],
  additionalProperties: false,
  properties: {
    speaker: { type: 'string', minLength: 1, maxLength: 256 },
    text: { type: 'string', maxLength: 10000 },
    timestamp: { anyOf: [{ type: 'number' }, { type: 'string', format: 'date-time' }] },
  },
} as const;

export const transcriptSchema = {
  $id: 'Transcript',
  type: 'object',
  required: ['messages'],
  additionalProperties: false,
  properties: {
    messages: { type: 'array', minItems: 1, maxItems: 200, items: messageSchema },
    target: { type: 'string', minLength: 1 },
    profile: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bio: { type: 'string', maxLength: 5000 },
        avatar: {
          type: 'string',
          pattern: '^data:image/[a-z0-9.+-]+;base64,',
          description:
            'The avatar as a base64 data URL (the service never reads server paths or fetches URLs).',
        },
      },
    },
  },
} as const;

export const detectionSchema = {
  type: 'object',
  required: ['detector', 'score', 'label', 'evidence', 'elapsedMs'],
  properties: {
    detector: { type: 'string' },
    score: { type: ['number', 'null'] },
    label: { type: ['string', 'null'], enum: ['human', 'bot', null] },
    evidence: { type: 'array', items: { type: 'object', additionalProperties: true } },
    elapsedMs: { type: 'number' },
  },
  additionalProperties: true,
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    issues: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;
