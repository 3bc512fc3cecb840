import type { BatchMessage } from '../protocol/messages';
import type { GapRow, GcRow, RowBatch, SampleRow, SpaceRow } from '../store/store-interface';

/**
 * A batch message as store rows: each sample, heap space and GC event with the message's
 * (run, boot, seq), GC events numbered in the message, and the gap it reports, if any.
 *
 * Built with Object.assign into a fresh object rather than `{ ...item, ...origin }`: in V8 the
 * second spread of that literal goes through the runtime and cost several microseconds per row,
 * the collector's largest ingest-only cost under load (`npm run bench:ingest -- --mode max
 * --cpu-prof <dir>`). The decoded items are not modified: the live push sends them as they are.
 */
export function rowsOfBatch(msg: BatchMessage): RowBatch {
  const origin = { run: msg.run, boot: msg.boot, seq: msg.seq };
  const samples: SampleRow[] = new Array(msg.samples.length);
  for (let i = 0; i < samples.length; i++) samples[i] = Object.assign({}, msg.samples[i]!, origin);
  const spaces: SpaceRow[] = new Array(msg.spaces.length);
  for (let i = 0; i < spaces.length; i++) spaces[i] = Object.assign({}, msg.spaces[i]!, origin);
  const gcs: GcRow[] = new Array(msg.gcs.length);
  for (let i = 0; i < gcs.length; i++) gcs[i] = Object.assign({}, msg.gcs[i]!, origin, { idx: i });
  // A gap is stored with the batch that reports it, so the loss is durable exactly when that batch is acked.
  const gaps: GapRow[] = msg.gap ? [Object.assign({}, msg.gap, origin)] : [];
  return { samples, spaces, gcs, gaps };
}
