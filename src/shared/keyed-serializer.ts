/**
 * Runs tasks with the same key one after another, for read-modify-write records whose writes
 * must not interleave: the store's run rows (a hello must keep an end, an end must keep the
 * hello) and the collector's snapshot records (a status message and an upload may touch one
 * snapshot at the same moment).
 */
export type KeyedSerializer = <T>(key: string, task: () => Promise<T>) => Promise<T>;

export function createKeyedSerializer(): KeyedSerializer {
  const tails = new Map<string, Promise<void>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    // The next task runs whether or not the previous one failed; each caller sees its own result.
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}
