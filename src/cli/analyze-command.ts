import { Command } from 'commander';
import { LeakwatchError } from '../shared/errors';
import { analyzeSnapshotFile } from '../snapshot/analyze-file';
import { diffTypeRows } from '../snapshot/diff-types';
import { readNodeIndex } from '../snapshot/node-index';
import { diffNodeIndexes } from '../snapshot/node-index-diff';
import type { SnapshotAnalysis } from '../snapshot/analysis-result';
import { formatBytes } from './text-format';
import { createProgressBar } from './progress-bar';
import { formatDiffTable, formatTypeTable } from './type-tables';
import { parseInteger } from '../shared/units';

interface AnalyzeFlags {
  top: string;
  json?: boolean;
  progress?: boolean;
}

const PHASE_LABEL = { load: 'reading', dominators: 'dominators', aggregate: 'types' } as const;

async function analyzeWithProgress(file: string, showProgress: boolean, nodeIndex = false): Promise<SnapshotAnalysis> {
  const bar = showProgress ? createProgressBar({ stream: process.stderr }) : null;
  try {
    return await analyzeSnapshotFile(file, {
      nodeIndex,
      onProgress: (p) => bar?.update(p.done, p.total, `${file}: ${PHASE_LABEL[p.phase]}`),
    });
  } finally {
    bar?.done();
  }
}

function summaryLine(file: string, a: SnapshotAnalysis): string {
  return (
    `${file}: ${a.nodeCount} nodes, ${a.edgeCount} edges, ${formatBytes(a.totalSize)} in all, ` +
    `${formatBytes(a.reachableSize)} reachable; analysed in ${(a.timings.totalMs / 1000).toFixed(1)} s\n`
  );
}

/** An analysis as printed: the node index is an internal encoding, not output. */
function printable(file: string, a: SnapshotAnalysis, types = true): object {
  const { nodeIndex: _index, ...rest } = a;
  return { file, ...rest, types: types ? rest.types : undefined };
}

/**
 * `leakwatch analyze <a> [b]`: offline analysis of one heap snapshot (per-type table) or the
 * per-type diff of two (b - a), with #new / #deleted matched by object id (node-index.ts): both
 * node indexes are built in memory while analysing. Nothing else runs: no collector, no store.
 */
export function analyzeCommand(): Command {
  return new Command('analyze')
    .description('analyse a .heapsnapshot file offline (per-type table), or diff two of them')
    .argument('<snapshot>', 'a .heapsnapshot file (from V8, Chrome DevTools or leakwatch)')
    .argument('[other]', 'a later snapshot of the same process: prints the per-type diff other - snapshot, with #new / #deleted by object id')
    .option('--top <n>', 'rows to print, largest first (0: all)', '25')
    .option('--json', 'print JSON (all types, or all diff rows) instead of a table')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (file: string, other: string | undefined, flags: AnalyzeFlags) => {
      const top = parseInteger(flags.top, '--top', 0, 1_000_000);
      const showProgress = flags.progress !== false;
      const a = await analyzeWithProgress(file, showProgress, other !== undefined);
      if (!other) {
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(printable(file, a), null, 2)}\n`);
          return;
        }
        process.stdout.write(summaryLine(file, a));
        process.stdout.write(formatTypeTable(a.types, top));
        return;
      }
      if (other === file) throw new LeakwatchError('LW_ERR_USAGE', 'give two different snapshot files to diff');
      const b = await analyzeWithProgress(other, showProgress, true);
      // Offline nothing says whether both files come from one process: ids are matched as given.
      const byId = a.nodeIndex && b.nodeIndex ? diffNodeIndexes(readNodeIndex(a.nodeIndex), readNodeIndex(b.nodeIndex)) : null;
      const rows = diffTypeRows(a.types, b.types, byId);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ a: printable(file, a, false), b: printable(other, b, false), matchedById: byId !== null, rows }, null, 2)}\n`);
        return;
      }
      process.stdout.write(summaryLine(file, a));
      process.stdout.write(summaryLine(other, b));
      process.stdout.write(formatDiffTable(rows, top));
    });
}
