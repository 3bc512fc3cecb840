import type { WatchReportMessage } from '../../protocol/alloc-messages';
import type { SiteFrame, WatchedCaller } from '../../shared/alloc-data';
import type { LocationResolver } from '../source-maps/location-resolver';

/**
 * A report's caller stacks with every frame source-mapped: the frame table goes through the
 * resolver in one call (it loads each script's map once), and each stack is rebuilt from it.
 * The probe already sorted them most frequent first.
 */
export async function watchedCallers(resolver: LocationResolver, run: string, report: Pick<WatchReportMessage, 'frames' | 'stacks'>): Promise<WatchedCaller[]> {
  const sources = await resolver.resolve(run, report.frames);
  const frames: SiteFrame[] = report.frames.map((f, i) => ({ fn: f.fn, url: f.url, line: f.line, col: f.col, source: sources[i] }));
  return report.stacks.map((s) => ({ method: s.method, count: s.count, frames: s.stack.map((i) => frames[i]) }));
}
