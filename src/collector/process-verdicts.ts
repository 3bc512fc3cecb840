import type { ProcessEntry, ProcessRef } from '../api/http-contract';
import { LeakwatchError } from '../shared/errors';
import { processLabel, type RunProcess } from '../shared/process-data';
import type { BootSampleStats, Store } from '../store/store-interface';
import { detectLeak } from '../trend/detect-leak';
import type { TrendOptions, TrendResult, Verdict } from '../trend/trend-model';
import { TREND_METRICS, TREND_POINTS, trendInputFrom } from './run-verdict-input';

/** A process of a run and its own verdict (null for a launcher, which is not judged). */
export interface JudgedProcess {
  process: ProcessRef;
  stats: BootSampleStats | undefined;
  result: TrendResult | null;
}

/** Worse first: a leak anywhere fails the run; not knowing is worse than a clean heap. */
const SEVERITY: Record<Verdict, number> = { leak: 2, inconclusive: 1, 'no-leak': 0 };

export function refOf(p: RunProcess, all: readonly RunProcess[] = []): ProcessRef {
  // A worker thread's argv is the bare executable: it runs inside its process's command.
  const argv = p.threadId !== 0 && p.argv.length === 0 ? (all.find((o) => o.pid === p.pid && o.host === p.host && o.threadId === 0)?.argv ?? []) : p.argv;
  return { ...p, label: processLabel({ ...p, argv }) };
}

/**
 * The verdict on one boot's own series (heap, external, RSS, major GCs). Heap and external memory
 * are per isolate, but RSS is the whole process's: in a process with worker threads, RSS beyond
 * one isolate's heap holds the other isolates' heaps, so one leaking thread would make every
 * thread of its process (and its main thread) look like a native leak. There (`sharedRss`) the
 * RSS signal is held flat at the heap, and the heap floor and external memory decide.
 */
export async function bootVerdict(store: Store, runId: string, boot: string | undefined, options: Partial<TrendOptions>, sharedRss = false): Promise<TrendResult> {
  const series = await store.querySeries(runId, TREND_METRICS, { points: TREND_POINTS, boot });
  const gc = await store.queryGc(runId, { points: TREND_POINTS, boot });
  const input = trendInputFrom(series, gc);
  if (!sharedRss) return detectLeak(input, options);
  return detectLeak({ ...input, samples: input.samples.map((s) => ({ ...s, rss: s.heapTotal })) }, options);
}

/** True for a thread, and for a main thread that has threads: its RSS is shared with other isolates. */
function sharesRss(p: RunProcess, all: readonly RunProcess[]): boolean {
  return p.threadId !== 0 || all.some((o) => o.threadId !== 0 && o.pid === p.pid && o.host === p.host);
}

function floorSlope(result: TrendResult | null): number | null {
  return result?.signals.find((s) => s.signal === 'heap floor')?.slopeBytesPerHour ?? null;
}

/** The steepest growing signal of a leak ranks a leak; the least sure no-leak ranks the clean ones; else the busiest. */
function worse(a: JudgedProcess, b: JudgedProcess): JudgedProcess {
  const ra = a.result;
  const rb = b.result;
  if (!ra || !rb) return ra ? a : b;
  if (SEVERITY[ra.verdict] !== SEVERITY[rb.verdict]) return SEVERITY[ra.verdict] > SEVERITY[rb.verdict] ? a : b;
  if (ra.verdict === 'leak') {
    const steepest = (r: TrendResult) => Math.max(...r.signals.filter((s) => s.verdict === 'leak').map((s) => s.slopeBytesPerHour));
    return steepest(rb) > steepest(ra) ? b : a;
  }
  if (ra.verdict === 'no-leak' && ra.confidence !== rb.confidence) return rb.confidence < ra.confidence ? b : a;
  return (b.stats?.sampleCount ?? 0) > (a.stats?.sampleCount ?? 0) ? b : a;
}

/**
 * Every process of a run with its own verdict, and the worst of the judged ones. Launchers are
 * not judged, nor is a process without a sample while another has some (a helper that came and
 * went before its first sample has nothing to say).
 */
export async function judgeProcesses(store: Store, runId: string, options: Partial<TrendOptions>): Promise<{ judged: JudgedProcess[]; worst: JudgedProcess | null }> {
  const [processes, stats] = await Promise.all([store.listProcesses(runId), store.bootSamples(runId)]);
  const candidates = processes.filter((p) => p.role !== 'launcher');
  const sampled = candidates.filter((p) => (stats.get(p.boot)?.sampleCount ?? 0) > 0);
  // Samples of boots the processes table does not know (sent by a probe whose hello predates it)
  // and none of the known ones: nothing to tell apart, the run's series are judged together.
  const unknownSamples = [...stats.keys()].some((boot) => !processes.some((p) => p.boot === boot));
  const judgedBoots = new Set((sampled.length > 0 ? sampled : unknownSamples ? [] : candidates).map((p) => p.boot));
  const judged: JudgedProcess[] = [];
  // One after another: each verdict scans a process's series, and the store is shared with ingest.
  for (const p of processes) {
    const result = judgedBoots.has(p.boot) ? await bootVerdict(store, runId, p.boot, options, sharesRss(p, processes)) : null;
    judged.push({ process: refOf(p, processes), stats: stats.get(p.boot), result });
  }
  const worst = judged.filter((j) => j.result !== null).reduce<JudgedProcess | null>((w, j) => (w === null ? j : worse(w, j)), null);
  return { judged, worst };
}

export function processEntry(j: JudgedProcess): ProcessEntry {
  return {
    ...j.process,
    sampleCount: j.stats?.sampleCount ?? 0,
    latestHeapUsed: j.stats?.latestHeapUsed ?? null,
    verdict: j.result?.verdict ?? null,
    confidence: j.result?.confidence ?? 0,
    floorSlopeBytesPerHour: floorSlope(j.result),
  };
}

/** The verdict's first reason when a run has more than one process: which one it is about. */
/** `judgedCount`: how many processes were judged (launchers are not). */
export function namingReason(result: TrendResult, p: ProcessRef, judgedCount: number): string {
  if (result.verdict === 'leak') return `leak in ${p.label}`;
  if (result.verdict === 'inconclusive') return `inconclusive for ${p.label}`;
  if (judgedCount === 1) return `no leak in ${p.label}`;
  return `no leak in any of the ${judgedCount} processes; the least sure is ${p.label}`;
}

/**
 * The run's verdict: the worst non-launcher process's, naming it; or one process's (`boot`).
 * A run stored before processes were has no process rows: its series are judged together, as before.
 */
export async function runProcessVerdict(store: Store, runId: string, options: Partial<TrendOptions>, boot?: string): Promise<ProcessVerdict> {
  if (boot !== undefined) {
    const [processes, stats] = await Promise.all([store.listProcesses(runId), store.bootSamples(runId)]);
    const p = processes.find((q) => q.boot === boot);
    if (!p) throw new LeakwatchError('LW_ERR_NOT_FOUND', `run ${runId.slice(0, 80)} has no process (boot) "${boot.slice(0, 80)}"`);
    return { ...(await bootVerdict(store, runId, boot, options, sharesRss(p, processes))), process: refOf(p, processes), culpritBoots: culpritBoots(boot, processes, stats) };
  }
  const [{ judged, worst }, stats] = await Promise.all([judgeProcesses(store, runId, options), store.bootSamples(runId)]);
  if (!worst || !worst.result) return { ...(await bootVerdict(store, runId, undefined, options)), process: null };
  const result = worst.result;
  // Named when the run has more than one process with a series (npm beside the app counts: the
  // command the user typed is not the process judged); a hello-only sender does not.
  const sampled = judged.filter((j) => (j.stats?.sampleCount ?? 0) > 0).length;
  const reasons = sampled > 1 ? [namingReason(result, worst.process, judged.filter((j) => j.result).length), ...result.reasons] : result.reasons;
  return { ...result, reasons, process: worst.process, culpritBoots: culpritBoots(worst.process.boot, judged.map((j) => j.process), stats) };
}

/** A verdict about one process, and the boots whose suspects and sites are that process's. */
export type ProcessVerdict = TrendResult & { process: ProcessRef | null; culpritBoots?: string[] };

/**
 * The boots whose snapshots, suspects and allocation sites a verdict on `boot` may name: its own,
 * and those of boots without a sample of their own (no series to tell them apart by; a real probe
 * samples from its first second, so this is a hello-only sender), never another judged process's.
 */
function culpritBoots(boot: string, processes: readonly RunProcess[], stats: Map<string, BootSampleStats>): string[] {
  return [boot, ...processes.filter((p) => p.boot !== boot && (stats.get(p.boot)?.sampleCount ?? 0) === 0).map((p) => p.boot)];
}
