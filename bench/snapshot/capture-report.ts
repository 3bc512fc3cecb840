import type { SeenUpload } from '../../support/stand-in-collector';
import { median } from '../common/stats';
import type { HeapShape, PlainDone, ProbeDone } from './capture-child';

/**
 * The table of the capture benchmark (capture-main.ts): per heap size, V8's own figures from the
 * plain rounds, the probe's pause and memory against plain paired per round, and the verdict
 * against the budgets.
 */

const MB = 1024 * 1024;
/** Budgets: probe pause <= 1.1x plain pause; probe peak RSS <= plain peak + 32 MB. */
const PAUSE_BUDGET_RATIO = 1.1;
const RSS_BUDGET_BYTES = 32 * MB;

export interface Round {
  plain: PlainDone & { parentPeak: number };
  probe: ProbeDone & { parentPeak: number; uploadRssGrowth: number; upload: SeenUpload };
}

export interface Row {
  heapMb: number;
  rounds: Round[];
}

function peakOf(m: { peakRss: number; peakReset: boolean; parentPeak: number }): number {
  return m.peakReset ? m.peakRss : m.parentPeak;
}

export function formatCaptureTable(rows: readonly Row[], shape: HeapShape): string {
  const header = [
    'heap MB', 'heap used', 'file MB', 'file/heap', 'V8 extra RSS (1st)', 'per file B', 'per heap B',
    'plain pause', 'probe pause', 'ratio (range)', 'V8 CPU ratio', 'probe/own V8', 'probe extra RSS', 'upload RSS', 'upload', 'verdict',
  ];
  const lines: string[][] = [header];
  const verdicts: string[] = [];
  for (const row of rows) {
    const plains = row.rounds.map((r) => r.plain);
    const heapUsed = median(plains.map((p) => p.heapUsed));
    const size = median(plains.map((p) => p.size));
    // The process's first snapshot (round 1 runs plain first): later ones reuse the native memory
    // the first left in the allocator (RSS stays up after it), so only the first shows V8's full need.
    const first = row.rounds[0]!.plain;
    const v8Extra = peakOf(first) - first.rssBefore;
    const plainPause = median(plains.map((p) => p.maxGapMs));
    const probePause = median(row.rounds.map((r) => r.probe.maxGapMs));
    // Paired per round (the two operations ran back to back): machine drift cancels out.
    const ratios = row.rounds.map((r) => r.probe.maxGapMs / r.plain.maxGapMs);
    const ratio = median(ratios);
    // Within one probe operation: its pause over V8's own write time, i.e. what the probe adds.
    const own = median(row.rounds.map((r) => r.probe.maxGapMs / r.probe.captureMs));
    // The V8 write's CPU time, probe path over plain: near 1 when a pause ratio away from 1 is the
    // machine (other processes taking the CPU) rather than the write itself.
    const cpuRatio = median(row.rounds.map((r) => r.probe.captureCpuMs / r.plain.cpuMs));
    const probeExtra = median(row.rounds.map((r) => peakOf(r.probe) - peakOf(r.plain)));
    const uploadGrowth = Math.max(...row.rounds.map((r) => r.probe.uploadRssGrowth));
    const uploadMBs = median(row.rounds.map((r) => r.probe.upload.bytes / MB / (r.probe.upload.uploadMs / 1000)));
    const pass = ratio <= PAUSE_BUDGET_RATIO && probeExtra <= RSS_BUDGET_BYTES;
    verdicts.push(
      `heap ${row.heapMb} MB: pause ratio ${ratio.toFixed(3)} (budget ${PAUSE_BUDGET_RATIO}), probe extra peak RSS ${(probeExtra / MB).toFixed(1)} MB (budget ${RSS_BUDGET_BYTES / MB} MB): ${pass ? 'PASS' : 'FAIL'}`,
    );
    if (ratio > PAUSE_BUDGET_RATIO && cpuRatio <= PAUSE_BUDGET_RATIO && own <= PAUSE_BUDGET_RATIO) {
      verdicts.push(
        `  the V8 write used the same CPU time on both paths (ratio ${cpuRatio.toFixed(3)}) and the probe added nothing to its own pause (${own.toFixed(3)}): other processes took the CPU during the probe rounds; rerun with more --rounds on a quieter machine`,
      );
    }
    lines.push([
      String(row.heapMb),
      `${(heapUsed / MB).toFixed(0)} MB`,
      (size / MB).toFixed(0),
      (size / heapUsed).toFixed(2),
      `${(v8Extra / MB).toFixed(0)} MB`,
      (v8Extra / size).toFixed(1),
      (v8Extra / heapUsed).toFixed(1),
      `${plainPause.toFixed(0)} ms`,
      `${probePause.toFixed(0)} ms`,
      `${ratio.toFixed(3)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
      cpuRatio.toFixed(3),
      own.toFixed(3),
      `${(probeExtra / MB).toFixed(1)} MB`,
      `+${(uploadGrowth / MB).toFixed(1)} MB`,
      `${uploadMBs.toFixed(0)} MB/s`,
      pass ? 'PASS' : 'FAIL',
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const table = lines.map((l) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const rounds = rows[0]?.rounds.length ?? 0;
  const peakSource = rows.every((r) => r.rounds.every((x) => x.plain.peakReset && x.probe.peakReset)) ? 'VmHWM reset per operation' : 'VmRSS sampled every 2 ms';
  return [
    `Heap snapshot capture, heap of ${shape}: plain v8.writeHeapSnapshot() vs the probe's path (median of ${rounds} round(s); peak RSS from ${peakSource})`,
    ...table,
    '',
    'pause = longest event-loop gap the app saw; ratio = probe pause / plain pause, paired per round, median;',
    'V8 CPU ratio = CPU time of the V8 write, probe path / plain, paired, median (far less sensitive to other processes than the pause);',
    'probe/own V8 = probe pause / the V8 write inside that same probe operation (what the probe itself adds);',
    'V8 extra RSS (1st) = peak - RSS before of the process\'s first snapshot, plain (per file B, per heap B: per byte of file / of heap used);',
    'probe extra RSS = probe peak - plain peak, paired per round, median;',
    'upload RSS = largest RSS growth from the upload connection opening to snapshot-stored (2 ms samples), worst round',
    ...verdicts,
  ].join('\n');
}
