/**
 * `text` without a leading byte-order mark (U+FEFF). Editors on Windows write one at the start of UTF-8 files, and
 * `JSON.parse` refuses it; JSONL lines lose it with `trim()`, a whole JSON file needs this.
 *
 * @param text - a file's decoded contents
 * @internal
 */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
