import { Command } from 'commander';
import { LeakwatchError } from '../shared/errors';
import type { SnapshotRecord } from '../shared/snapshot-data';
import { parseInteger } from '../shared/units';
import { callCollector } from './api-client';
import { collectorToAsk } from './data-dir-owner';
import { DEFAULT_DATA_DIR } from './store-flags';
import { formatBytes, formatBytesDelta } from './text-format';
import { formatDiffTable } from './type-tables';

interface DiffFlags {
  collector?: string;
  data: string;
  json?: boolean;
  top: string;
}

function headLine(a: SnapshotRecord, b: SnapshotRecord, matchedById: boolean): string {
  const grew = b.reachableSize - a.reachableSize;
  const ids = matchedById ? '' : '; #new / #deleted unknown (a snapshot without a node index, or two different processes)';
  return `run ${a.run}: snapshot ${a.id} → ${b.id}: reachable ${formatBytes(a.reachableSize)} → ${formatBytes(b.reachableSize)} (${formatBytesDelta(grew)}), ${a.nodeCount} → ${b.nodeCount} nodes${ids}\n`;
}

/**
 * `leakwatch diff <run> <a> <b>`: the per-type diff `b - a` of two analysed snapshots of a run,
 * with #new / #deleted by object id, as the collector's API computes it from the stored type rows
 * and node indexes (no graph is loaded, so it answers in about a second even for large heaps).
 */
export function diffCommand(): Command {
  return new Command('diff')
    .description('compare two analysed snapshots of a run: per-type growth, #new and #deleted objects')
    .argument('<run>', 'run id (see leakwatch runs)')
    .argument('<snapA>', 'the earlier snapshot id (see the UI or leakwatch snapshot)')
    .argument('<snapB>', 'the later snapshot id')
    .option('--collector <url>', 'the collector that holds the run (http://host:port)')
    .option('--data <dir>', 'find the collector that owns this data directory', DEFAULT_DATA_DIR)
    .option('--top <n>', 'rows to print, largest retained growth first (0: all)', '25')
    .option('--json', 'print the API\'s answer (all rows) as JSON')
    .action(async (runId: string, snapA: string, snapB: string, flags: DiffFlags) => {
      const top = parseInteger(flags.top, '--top', 0, 1_000_000);
      if (snapA === snapB) throw new LeakwatchError('LW_ERR_USAGE', 'give two different snapshot ids to diff');
      const baseUrl = collectorToAsk(flags);
      if (!baseUrl) {
        throw new LeakwatchError(
          'LW_ERR_COLLECTOR_UNREACHABLE',
          `no collector is running on ${flags.data}: snapshots are diffed by the collector that stores them (start one with leakwatch collect, or pass --collector <url>)`,
        );
      }
      const query = new URLSearchParams({ a: snapA, b: snapB });
      const diff = await callCollector<'GET /api/runs/:id/diff'>(baseUrl, `api/runs/${encodeURIComponent(runId)}/diff?${query}`);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
        return;
      }
      process.stdout.write(headLine(diff.a, diff.b, diff.matchedById));
      process.stdout.write(formatDiffTable(diff.rows, top));
    });
}
