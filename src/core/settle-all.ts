/**
 * `Promise.all` that settles only once every promise has: the values in order, or the first rejection (in input
 * order) after the others finished too. For work whose caller must know nothing still runs when it settles (a
 * detector is disposed after it, a slot is given back).
 *
 * @param work - the promises
 * @internal
 */
export async function settleAll<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  return settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}
