import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Admission } from '../../src/server/limits.js';

const LIMITS = {
  timeoutMs: 10_000,
  maxConcurrent: 16,
  maxQueued: 64,
  maxBytesInFlight: 1 << 20,
  bodyLimit: 1 << 16,
};

/** A request as `Admission.run` sees one without the admission hook: no budget, a connected client. */
function request(): FastifyRequest {
  return {
    botlensBudget: null,
    raw: { socket: { destroyed: false, readableEnded: false } },
  } as FastifyRequest;
}

/**
 * Runs `n` detections through one `Admission`, all submitted at once, each holding the thread `holdMs`; returns
 * the turn each one started in (a turn ends at the next microtask checkpoint, which Node reaches after each
 * event-loop callback).
 */
async function startTurns(n: number, holdMs: number): Promise<number[]> {
  const admission = new Admission(LIMITS);
  const turns: number[] = [];
  let turn = 0;
  let open = false;
  const work = async () => {
    if (!open) {
      open = true;
      turn++;
      queueMicrotask(() => {
        open = false;
      });
    }
    turns.push(turn);
    const end = performance.now() + holdMs;
    while (performance.now() < end) {}
    return turn;
  };
  await Promise.all(Array.from({ length: n }, () => admission.run(request(), work)));
  return turns;
}

describe('Admission turns', () => {
  it('starts short detections together, in one event-loop turn', async () => {
    const turns = await startTurns(6, 0);
    expect(turns).toHaveLength(6);
    // before: one detection per turn ([1, 2, 3, 4, 5, 6]), an event-loop pass each
    expect(new Set(turns).size).toBeLessThanOrEqual(3);
  });

  it('still gives each detection that holds the thread 1 ms or more a turn of its own', async () => {
    const turns = await startTurns(4, 2);
    expect(turns).toEqual([1, 2, 3, 4]);
  });
});
