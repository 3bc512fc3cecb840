import { MAX_ALLOC_FRAMES, MAX_ALLOC_SITES, type AllocFrame, type WatchReportMessage } from '../protocol/alloc-messages';

/** Frames kept per sampled call, after the runtime's own frames at the top are dropped. */
export const CALLER_FRAMES = 8;
/**
 * Frames V8 is asked for: the kept ones plus room for Node's own frames above the user's code
 * (a listener list is pushed to by lib/events.js's `_addListener`, called by `addListener`).
 */
const CAPTURE_FRAMES = CALLER_FRAMES + 8;

type CallSite = NodeJS.CallSite;

/**
 * The caller frames of the current call as V8's structured stack trace API gives them
 * (https://v8.dev/docs/stack-trace-api): `Error.captureStackTrace(holder, fn)` leaves out `fn`
 * and everything above it, and a `prepareStackTrace` that returns its CallSites hands them over
 * unformatted. The host's own `prepareStackTrace` and `stackTraceLimit` are put back before this
 * returns; V8 calls `prepareStackTrace` only when `.stack` is first read, which happens here.
 */
export function captureCallSites(skip: (...args: never[]) => unknown, limit = CAPTURE_FRAMES): CallSite[] {
  const holder: { stack?: unknown } = {};
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.stackTraceLimit = limit;
    Error.captureStackTrace(holder, skip);
    const sites = holder.stack;
    return Array.isArray(sites) ? (sites as CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
}

/** Node's own code (`node:events`, `node:internal/…`) and native frames are not where the user adds. */
function isRuntimeFrame(site: CallSite): boolean {
  const file = site.getFileName() ?? site.getScriptNameOrSourceURL();
  return !file || file.startsWith('node:');
}

/** A CallSite as the wire names a frame: 1-based line and column of the call itself. */
function frameOf(site: CallSite): AllocFrame {
  const fn = site.getFunctionName() ?? site.getMethodName() ?? '';
  const url = site.getFileName() ?? site.getScriptNameOrSourceURL() ?? '';
  return { fn: fn.slice(0, 1024), url: url.slice(0, 4096), line: site.getLineNumber() ?? 0, col: site.getColumnNumber() ?? 0 };
}

/** What the report says about the calls: everything of a `watch-report` but its envelope and outcome. */
export type CallerReport = Pick<WatchReportMessage, 'calls' | 'sampled' | 'frames' | 'stacks'>;

/**
 * The calls of one watch: every call is counted; the first `maxStacks` have their caller stack
 * sampled, deduplicated into a frame table and distinct stacks (bounded by the wire's limits:
 * a call whose stack does not fit is counted and sampled, but its stack is not kept).
 */
export function createCallerStacks(maxStacks: number) {
  const frames: AllocFrame[] = [];
  const frameIndex = new Map<string, number>();
  const stacks: WatchReportMessage['stacks'] = [];
  const stackIndex = new Map<string, number>();
  let calls = 0;
  let sampled = 0;

  function indexOf(frame: AllocFrame): number {
    const key = `${frame.fn}\0${frame.url}\0${frame.line}\0${frame.col}`;
    let index = frameIndex.get(key);
    if (index === undefined) {
      if (frames.length >= MAX_ALLOC_FRAMES) return -1;
      index = frames.length;
      frames.push(frame);
      frameIndex.set(key, index);
    }
    return index;
  }

  return {
    /** True while calls still have their stack sampled. */
    get sampling(): boolean {
      return sampled < maxStacks;
    },

    /** Counts a call, and samples its stack while the budget lasts. `skip` is the hook that was called. */
    record(method: string, skip: (...args: never[]) => unknown): void {
      calls++;
      if (sampled >= maxStacks) return;
      sampled++;
      const sites = captureCallSites(skip);
      let first = 0;
      while (first < sites.length && isRuntimeFrame(sites[first])) first++;
      // All runtime frames (a call from Node itself): keep them rather than report nothing.
      const kept = (first < sites.length ? sites.slice(first) : sites).slice(0, CALLER_FRAMES);
      if (kept.length === 0) return;
      const stack: number[] = [];
      for (const site of kept) {
        const index = indexOf(frameOf(site));
        if (index < 0) return;
        stack.push(index);
      }
      const key = `${method}\0${stack.join(',')}`;
      const known = stackIndex.get(key);
      if (known !== undefined) {
        stacks[known].count++;
      } else if (stacks.length < MAX_ALLOC_SITES) {
        stackIndex.set(key, stacks.length);
        stacks.push({ stack, method, count: 1 });
      }
    },

    /** Most frequent stack first; frames are referenced by index, so their table is sent whole. */
    report(): CallerReport {
      return { calls, sampled, frames: frames.slice(), stacks: stacks.map((s) => ({ ...s, stack: s.stack.slice() })).sort((a, b) => b.count - a.count) };
    },
  };
}

export type CallerStacks = ReturnType<typeof createCallerStacks>;
