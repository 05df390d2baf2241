import { type JsonlRecord, type ReadJsonlOptions, readTranscriptsJsonl } from '../data/read-transcripts.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * Reads labelled JSONL for `eval` and `fit`, refusing a file without a single transcript: metrics of n = 0 or a
 * model fitted on nothing are never a result.
 *
 * @param path - the JSONL file
 * @param option - the flag that named it, for the message
 * @throws InvalidOptionsError when the file holds no transcript
 */
export async function readLabelledData(
  path: string,
  option: string,
  readOptions: ReadJsonlOptions = {},
): Promise<JsonlRecord[]> {
  const rows = await readTranscriptsJsonl(path, readOptions);
  if (rows.length === 0) {
    throw new InvalidOptionsError(
      option,
      `${path} holds no transcript: give a JSONL file with one labelled transcript per line`,
    );
  }
  return rows;
}
