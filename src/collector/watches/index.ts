/**
 * The collector's suspect watching: asking a probe to watch one suspect container for the line
 * that adds to it, and keeping what it reports (docs: README "exact growing line").
 */
export { createWatchService, DEFAULT_WATCH_MS, DEFAULT_WATCH_STACKS, HOOKABLE_KINDS, type WatchService, type WatchServiceOptions } from './watch-service';
export { handleWatchesApi } from './watch-routes';
export { readWatchesIn } from './watch-file';
