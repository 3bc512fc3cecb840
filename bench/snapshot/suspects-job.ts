import fs from 'node:fs';
import { analyzeSnapshotFileSync } from '../../src/snapshot/analyze-file';
import { loadSnapshotFile } from '../../src/snapshot/load-snapshot';
import { readNodeIndex } from '../../src/snapshot/node-index';
import { findSurvivingTypes } from '../../src/snapshot/surviving-types';
import { decodeDigest, digestContainers, encodeDigest, suspectsOfFile } from '../../src/snapshot/suspects';

/**
 * Child entry of the suspects step of `npm run bench:snapshot` (suspects-bench.ts), one job per
 * fresh process so its wall time and peak RSS are its own:
 *
 *   node suspects-job.js analyze <snapshot>
 *       our analysis of the file alone, as the collector's worker does (the baseline)
 *   node suspects-job.js digest <snapshot> <takenAt> <out.digest>
 *       what the suspects step of an earlier snapshot leaves behind: its stored digest
 *   node suspects-job.js suspects <snapshot> <takenAt> <earlier.digest>... [--nodes <file>@<takenAt>...]
 *       what the collector's worker does after the last snapshot: join the window's node indexes
 *       into the surviving types, read the stored digests, load the file with all strings, digest
 *       it, rank the suspects with their paths
 *
 * Prints one JSON line (SuspectsJobResult).
 */
export interface SuspectsJobResult {
  wallMs: number;
  peakRssBytes: number;
  nodeCount?: number;
  containers?: number;
  suspects?: number;
  top?: { label: string; growth: number; path: string | null };
  /** The top surviving type of the window, when node indexes were given. */
  surviving?: { type: string; count: number; selfSize: number } | null;
}

function main(): void {
  const [job, file, ...args] = process.argv.slice(2);
  const started = performance.now();
  const result: Partial<SuspectsJobResult> = {};
  if (job === 'analyze') {
    result.nodeCount = analyzeSnapshotFileSync(file!, {}).nodeCount;
  } else if (job === 'digest') {
    const digest = digestContainers(loadSnapshotFile(file!, { keepStrings: 'all' }), { takenAt: Number(args[0]) });
    fs.writeFileSync(args[1]!, encodeDigest(digest));
    result.containers = digest.count;
  } else if (job === 'suspects') {
    const at = args.indexOf('--nodes');
    const [takenAt, ...digestFiles] = at < 0 ? args : args.slice(0, at);
    if (at >= 0) {
      // As the worker does: the indexes are joined and dropped before the graph is loaded.
      const window = args.slice(at + 1).map((spec) => {
        const [nodes, t] = spec.split('@');
        const bytes = fs.readFileSync(nodes!);
        return { index: readNodeIndex(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), takenAt: Number(t) };
      });
      const top = findSurvivingTypes(window)[0];
      result.surviving = top ? { type: top.type, count: top.count, selfSize: top.selfSize } : null;
    }
    const earlier = digestFiles.map((f) => decodeDigest(fs.readFileSync(f)));
    const { digest, suspects } = suspectsOfFile(file!, earlier, { takenAt: Number(takenAt) });
    result.containers = digest.count;
    result.suspects = suspects.length;
    if (suspects[0]) result.top = { label: suspects[0].label, growth: suspects[0].growth, path: suspects[0].paths.members[0]?.path ?? suspects[0].paths.container };
  } else {
    throw new Error('usage: suspects-job analyze <snapshot> | digest <snapshot> <takenAt> <out> | suspects <snapshot> <takenAt> <digest>...');
  }
  const out: SuspectsJobResult = { ...result, wallMs: performance.now() - started, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`bench/snapshot/suspects-job: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
