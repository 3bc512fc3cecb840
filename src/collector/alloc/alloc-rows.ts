import type { AllocProfileMessage } from '../../protocol/alloc-messages';
import type { AllocSiteRow } from '../../store/store-interface';
import { siteIdOf } from './site-id';

/**
 * An `alloc-profile` message as rows: one per site, and one for the remainder (site id '', no
 * frames), which every profile has, so the store knows the profile's time even when no site fits.
 * Two sites of one message with the same stack (V8 keeps distinct nodes per script id, and two
 * scripts may share a URL) are merged: one key per (site, profile), or the store would keep one.
 */
export function allocRowsOf(msg: AllocProfileMessage): AllocSiteRow[] {
  const common = { run: msg.run, boot: msg.boot, seq: msg.seq, at: msg.at, startedAt: msg.startedAt, intervalBytes: msg.intervalBytes, stackDepth: msg.stackDepth };
  const bySite = new Map<string, AllocSiteRow>();
  for (const site of msg.sites) {
    const frames = site.stack.map((index) => msg.frames[index]);
    const siteId = siteIdOf(frames);
    const seen = bySite.get(siteId);
    if (seen) {
      seen.liveBytes += site.liveBytes;
      seen.samples += site.samples;
      continue;
    }
    bySite.set(siteId, { ...common, siteId, frames, liveBytes: site.liveBytes, samples: site.samples, siteCount: 1 });
  }
  const other: AllocSiteRow = { ...common, siteId: '', frames: [], liveBytes: msg.other.liveBytes, samples: msg.other.samples, siteCount: msg.other.sites };
  return [...bySite.values(), other];
}
