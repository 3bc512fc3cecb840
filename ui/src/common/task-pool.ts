/**
 * Runs queued async tasks at most `limit` at a time, so a page with many rows does not fire all
 * its requests at a collector that answers each from ClickHouse.
 */
export function createTaskPool(limit: number) {
  const queue: (() => Promise<void>)[] = [];
  let running = 0;

  function next(): void {
    while (running < limit && queue.length > 0) {
      const task = queue.shift()!;
      running++;
      task()
        .catch(() => undefined)
        .finally(() => {
          running--;
          next();
        });
    }
  }

  return {
    /** Queues `task`; its own errors are its business (the pool only swallows them to keep going). */
    add(task: () => Promise<void>): void {
      queue.push(task);
      next();
    },
  };
}
