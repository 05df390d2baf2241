/**
 * `Promise.all` that settles only once every promise has: the values in order, or the first rejection (in input
 * order) after the others finished too. For work whose caller must know nothing still runs when it settles (a
 * detector is disposed after it, a slot is given back).
 *
 * @param work - the promises
 * @internal
 */
export function settleAll<T>(work: readonly Promise<T>[]): Promise<T[]> {
  // One promise (an ensemble stage of one member, on every request of the default service): the same as
  // Promise.all, without allSettled's result objects and the extra async step.
  if (work.length <= 1) return Promise.all(work);
  return Promise.allSettled(work).then((settled) =>
    settled.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    }),
  );
}
