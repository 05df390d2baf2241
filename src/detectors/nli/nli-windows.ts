import type { ValidTranscript } from '../../core/transcript.js';
import type { NliWindow } from './nli-options.js';

/**
 * One target message with its context lines, the unit windows are packed from.
 *
 * @internal
 */
export interface Unit {
  lines: string[];
  messageIndices: number[];
  targetIndices: number[];
  lineTokens: number[];
  targetTokens: number;
}

/**
 * A message as one line: whitespace runs become one space.
 *
 * @internal
 */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The units of a transcript: each of the target's messages that has text, preceded by up to `contextTurns`
 * messages of the others since the target's previous message.
 *
 * @param v - the transcript
 * @param contextTurns - context messages per target message
 * @internal
 */
export function buildUnits(v: ValidTranscript, contextTurns: number): Unit[] {
  const units: Unit[] = [];
  let prevTarget = -1;
  v.messages.forEach((m, i) => {
    if (m.speaker !== v.target || oneLine(m.text) === '') return;
    const context: number[] = [];
    for (let j = i - 1; j > prevTarget && context.length < contextTurns; j--) {
      const c = v.messages[j]!;
      if (c.speaker !== v.target && oneLine(c.text) !== '') context.unshift(j);
    }
    const idx = [...context, i];
    units.push({
      lines: idx.map((j) => `${v.messages[j]!.speaker}: ${oneLine(v.messages[j]!.text)}`),
      messageIndices: idx,
      targetIndices: [i],
      lineTokens: [],
      targetTokens: 0,
    });
    prevTarget = i;
  });
  return units;
}

/**
 * Packs units, in order, into groups of at most `budget` tokens (a unit larger than the budget gets a group of
 * its own).
 *
 * @param units - the units, each already fitted under the budget
 * @param budget - tokens per window
 * @internal
 */
export function packUnits(units: readonly Unit[], budget: number): Unit[][] {
  const windows: Unit[][] = [];
  let cur: Unit[] = [];
  let used = 0;
  for (const u of units) {
    const size = u.lineTokens.reduce((s, x) => s + x, 0);
    if (cur.length > 0 && used + size > budget) {
      windows.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(u);
    used += size;
  }
  if (cur.length > 0) windows.push(cur);
  return windows;
}

/**
 * The window a group of units makes.
 *
 * @param group - the units
 * @param premise - their lines, joined
 * @internal
 */
export function toWindow(group: Unit[], premise: string): NliWindow {
  const messageIndices: number[] = [];
  const targetIndices: number[] = [];
  for (const u of group) {
    for (const i of u.messageIndices)
      if (messageIndices[messageIndices.length - 1] !== i) messageIndices.push(i);
    for (const i of u.targetIndices) if (targetIndices[targetIndices.length - 1] !== i) targetIndices.push(i);
  }
  return {
    premise,
    messageIndices,
    targetIndices,
    targetTokens: group.reduce((s, u) => s + u.targetTokens, 0),
  };
}
