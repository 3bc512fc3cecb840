import { quantile } from '../common/stats';
import type { CollectorCount, CollectorMark, DirectResult } from './collector-ipc';
import type { LoadOptions, LoadResult } from './probe-load';

export interface IngestReport {
  options: LoadOptions;
  rowsPerMessage: number;
  load: LoadResult;
  collector: CollectorMark;
  stored: CollectorCount;
  direct: DirectResult;
  directStored: CollectorCount;
}

/** The budgets of the issue: ingest at least half the direct insert rate; 1,000 probes at 1 Hz acked within 1 s at p99. */
export const MIN_RATIO = 0.5;
export const MAX_P99_MS = 1000;

export interface IngestVerdict {
  ratio: number;
  p99Ms: number;
  lost: number;
  /** null: this mode does not judge that budget. */
  ratioMet: boolean | null;
  latencyMet: boolean | null;
}

export function judge(r: IngestReport): IngestVerdict {
  const ingestRate = r.load.rows / (r.load.spanMs / 1000);
  const directRate = r.direct.rows / (r.direct.insertMs / 1000);
  const ratio = ingestRate / directRate;
  const p99Ms = quantile(r.load.latencies, 0.99);
  // Each probe's unmeasured warm-up batch is stored too.
  const lost = r.load.sent + r.options.probes - r.stored.samples + (r.direct.messages - r.directStored.samples);
  return {
    ratio,
    p99Ms,
    lost,
    // Paced load offers a fixed rate, so its ratio says how much headroom is left, not throughput.
    ratioMet: r.options.mode === 'max' ? ratio >= MIN_RATIO : null,
    latencyMet: r.options.mode === 'paced' ? p99Ms < MAX_P99_MS : null,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
const met = (ok: boolean | null) => (ok === null ? 'not judged in this mode' : ok ? 'met' : 'MISSED');

export function formatIngestReport(r: IngestReport, v: IngestVerdict): string {
  const { options: o, load, collector: c, direct: d } = r;
  const seconds = load.spanMs / 1000;
  const ingestRate = load.rows / seconds;
  const directRate = d.rows / (d.insertMs / 1000);
  const shape = o.mode === 'paced' ? `${int(o.probes)} probes x 1 batch/s for ${o.seconds} s, send times spread over the second` : `${int(o.probes)} probes, ${o.window} unacknowledged batches each, for ${o.seconds} s`;
  const lines = [
    `leakwatch bench:ingest, mode ${o.mode}: ${shape}`,
    `  a batch = 1 sample + heap spaces + GC events = ${r.rowsPerMessage.toFixed(1)} rows on average; embedded store (chdb) in a temp directory`,
    '  (measured on a shared machine: other work runs beside it; the ratio compares two phases of the same run)',
    '',
    'ingest over real sockets (collector in its own process)',
    `  batches: ${int(load.sent)} sent, ${int(load.acked)} acknowledged, ${int(load.unacked)} unacknowledged; samples stored: ${int(r.stored.samples)} in ${int(r.stored.runs)} runs (the measured batches and one warm-up batch per probe)${v.lost === 0 ? ' (nothing lost)' : ` (${int(v.lost)} LOST)`}`,
    `  sustained: ${int(load.acked / seconds)} samples/s, ${int(ingestRate)} rows/s over ${seconds.toFixed(1)} s`,
    `  ack latency (send -> ack): p50 ${ms(quantile(load.latencies, 0.5))}, p99 ${ms(v.p99Ms)}, max ${ms(quantile(load.latencies, 1))}`,
    `  collector: CPU ${((c.cpuUs / 1000 / c.wallMs) * 100).toFixed(0)} % of one core (${((c.cpuUs / load.rows) * 1000).toFixed(0)} ns per row), RSS peak ${mb(c.peakRss)}, at the end ${mb(c.rss)}; ${int(c.batchRows.length)} inserts`,
    `  load generator: CPU ${((load.generatorCpuUs / 1000 / load.spanMs) * 100).toFixed(0)} % of one core${o.mode === 'paced' ? `, latest send ${ms(load.maxLagMs)} after its time` : ''}`,
    '',
    'direct insert (store.insertRows in the collector process, same store, the writer\'s batch sizes in order)',
    `  ${int(d.rows)} rows in ${int(d.batches)} inserts: ${int(directRate)} rows/s (${int(d.messages / (d.insertMs / 1000))} probe batches/s), CPU ${((d.cpuUs / d.rows) * 1000).toFixed(0)} ns per row; samples stored: ${int(r.directStored.samples)}`,
    '',
    `ingest / direct: ${v.ratio.toFixed(2)}${o.mode === 'paced' ? ` (the offered ${int(ingestRate)} rows/s bounds it: the throughput budget is judged with --mode max)` : ''}`,
    `budget: ingest >= ${MIN_RATIO * 100} % of the direct rate: ${met(v.ratioMet)}${v.ratioMet === null ? '' : ` (${(v.ratio * 100).toFixed(0)} %)`}`,
    `budget: p99 acknowledgement < ${MAX_P99_MS} ms: ${met(v.latencyMet)}${v.latencyMet === null ? '' : ` (${ms(v.p99Ms)})`}`,
    `nothing lost: ${v.lost === 0 && load.unacked === 0 ? 'met' : 'MISSED'}`,
  ];
  return lines.join('\n');
}
