import type { AllocFrame } from '../../src/protocol/alloc-messages';

export const MINUTE = 60_000;
export const KB = 1024;
export const MB = 1024 * 1024;
export const INTERVAL = 512 * KB;

/** A site as a test describes it: its stack (allocating frame first) and its live bytes at profile `i`. */
export interface ProfileSite {
  stack: AllocFrame[];
  liveAt: (i: number) => number;
}

export const frame = (fn: string, url: string, line: number, col = 1): AllocFrame => ({ fn, url, line, col });

/** A leak: +`perMinute` bytes a minute from `base`. */
export const rising = (base: number, perMinute: number) => (i: number) => base + i * perMinute;
/** Steady at `level`, with a sawtooth of garbage awaiting GC of up to `saw` bytes. */
export const flat = (level: number, saw: number) => (i: number) => level + (i % 3) * saw;
/** A cache: rises `perMinute` until `cap`, then holds there. */
export const capped = (perMinute: number, cap: number) => (i: number) => Math.min(cap, (i + 1) * perMinute);

/**
 * The body of an `alloc-profile` message (without the envelope, which the raw probe adds) for
 * profile `i`: the sites with live bytes, frames deduplicated into the table, largest first.
 */
export function allocProfileBody(at: number, startedAt: number, sites: readonly ProfileSite[], i: number, other = { sites: 0, liveBytes: 0, samples: 0 }): Record<string, unknown> {
  const frames: AllocFrame[] = [];
  const index = new Map<string, number>();
  const indexOf = (f: AllocFrame): number => {
    const key = `${f.fn} ${f.url}:${f.line}:${f.col}`;
    let at = index.get(key);
    if (at === undefined) {
      at = frames.length;
      frames.push(f);
      index.set(key, at);
    }
    return at;
  };
  const body = sites
    .map((s) => ({ stack: s.stack.map(indexOf), liveBytes: Math.round(s.liveAt(i)), samples: Math.max(1, Math.round(s.liveAt(i) / INTERVAL)) }))
    .filter((s) => s.liveBytes > 0)
    .sort((a, b) => b.liveBytes - a.liveBytes);
  return { type: 'alloc-profile', at, startedAt, intervalBytes: INTERVAL, stackDepth: 64, frames, sites: body, other };
}
