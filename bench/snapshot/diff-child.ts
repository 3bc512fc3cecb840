import fs from 'node:fs';
import { analyzeSnapshotFileSync } from '../../src/snapshot/analyze-file';
import { diffTypeRows } from '../../src/snapshot/diff-types';
import { readNodeIndex } from '../../src/snapshot/node-index';
import { diffNodeIndexes } from '../../src/snapshot/node-index-diff';
import type { SnapshotTypeRow } from '../../src/shared/snapshot-data';

/**
 * Child entry of the diff benchmark (diff-main.ts), one job per fresh process so its wall time
 * and peak RSS are its own:
 *
 *   node diff-child.js analyze <snapshot> <rows.json> [<index.nodes>]
 *       our analysis of one file; with an index path also the node index (as the collector's
 *       worker does), so the two runs show what the index costs
 *   node diff-child.js diff <rowsA.json> <a.nodes> <rowsB.json> <b.nodes>
 *       what the collector's diff route does once the type rows are read: read both indexes,
 *       merge them and build the diff rows
 *
 * Prints one JSON line (DiffChildResult).
 */

export interface DiffChildResult {
  wallMs: number;
  peakRssBytes: number;
  nodeCount?: number;
  indexBytes?: number;
  rows?: number;
  /** The type with the most new objects, and how many. */
  topNew?: { type: string; newCount: number };
}

function main(): void {
  const [job, ...args] = process.argv.slice(2);
  const started = performance.now();
  const result: Partial<DiffChildResult> = {};
  if (job === 'analyze') {
    const [file, rowsFile, indexFile] = args;
    const analysis = analyzeSnapshotFileSync(file!, { nodeIndex: indexFile !== undefined });
    fs.writeFileSync(rowsFile!, JSON.stringify(analysis.types));
    if (indexFile && analysis.nodeIndex) {
      fs.writeFileSync(indexFile, analysis.nodeIndex);
      result.indexBytes = analysis.nodeIndex.length;
    }
    result.nodeCount = analysis.nodeCount;
  } else if (job === 'diff') {
    const [rowsA, indexA, rowsB, indexB] = args;
    // The type rows come from the store in the collector; here from a file, outside the timing.
    const typesA = JSON.parse(fs.readFileSync(rowsA!, 'utf8')) as SnapshotTypeRow[];
    const typesB = JSON.parse(fs.readFileSync(rowsB!, 'utf8')) as SnapshotTypeRow[];
    const t0 = performance.now();
    const byId = diffNodeIndexes(readNodeIndex(fs.readFileSync(indexA!)), readNodeIndex(fs.readFileSync(indexB!)));
    const rows = diffTypeRows(typesA, typesB, byId);
    result.wallMs = performance.now() - t0;
    result.rows = rows.length;
    const top = rows.reduce((best, r) => ((r.newCount ?? 0) > (best.newCount ?? 0) ? r : best), rows[0]!);
    result.topNew = { type: top.type, newCount: top.newCount ?? 0 };
  } else {
    throw new Error('usage: diff-child analyze <snapshot> <rows.json> [<index.nodes>] | diff <rowsA.json> <a.nodes> <rowsB.json> <b.nodes>');
  }
  const out: DiffChildResult = { ...result, wallMs: result.wallMs ?? performance.now() - started, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`bench/snapshot/diff-child: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
