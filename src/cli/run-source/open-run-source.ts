import { collectorToAsk, type DataDirOwner } from '../data-dir-owner';
import { createApiRunSource } from './api-run-source';
import type { CollectorRunSource, RunSource } from './run-source';

/**
 * The one choice of where a command reaches its runs: the collector's API when `--collector` names
 * one or a live collector owns the data directory (`onOwner` is told, for the command's note to
 * the user), else `openLocal()`: the store itself, or `run`'s embedded collector. `openLocal` is
 * only called then, so its flags (e.g. --retention-days) are not read with --collector.
 */
export async function openRunSource<Local extends RunSource>(
  flags: { collector?: string; clickhouse?: string; data: string },
  openLocal: () => Promise<Local>,
  onOwner?: (owner: DataDirOwner) => void,
): Promise<Local | CollectorRunSource> {
  const collectorUrl = collectorToAsk(flags, onOwner);
  return collectorUrl ? createApiRunSource(collectorUrl) : openLocal();
}
