export { AbortedError } from './aborted-error.js';
export { BotlensError } from './botlens-error.js';
export { InvalidOptionsError } from './invalid-options-error.js';
export { InvalidTranscriptError, type TranscriptIssue } from './invalid-transcript-error.js';
export { ModelLoadError } from './model-load-error.js';
export { NotFittedError } from './not-fitted-error.js';
export { HubError, type HubErrorDetails, type HubErrorKind } from './hub-error.js';
