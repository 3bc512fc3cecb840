import { createGcObserver, type GcObserver } from '../src/probe/gc-observer';
import { median, medianConfidence } from './bench-stats';
import { render } from './bench-workload';

/**
 * Forked by bench-probe-cost.ts: the per-GC part of the probe's cost, measured on the probe's own
 * GC observer module. The workload renders responses in small chunks with setImmediate between
 * them (so the event loop turns, as in a server, and observer callbacks get delivered), while the
 * observer is switched on and off in ABBA windows of one probe interval inside this one process. Short adjacent
 * windows see the same machine speed, which drifts by several percent over seconds on a shared VM.
 */
/** One window is one probe interval, so the observer's per-interval cap applies exactly as in the probe. */
const WINDOW_MS = 1000;
const CHUNK_UNITS = 100;

interface Totals {
  cpuUs: number;
  units: number;
  gcs: number;
}

function runWindow(on: boolean, counter: { n: number; sink: number }): Promise<Totals> {
  return new Promise((resolve) => {
    let observer: GcObserver | undefined = on ? createGcObserver({ intervalMs: WINDOW_MS, maxEventsPerSecond }) : undefined;
    let gcs = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let units = 0;
    const chunk = (): void => {
      for (let k = 0; k < CHUNK_UNITS; k++) counter.sink += render(counter.n++).length;
      units += CHUNK_UNITS;
      if (performance.now() - t0 < WINDOW_MS) {
        setImmediate(chunk);
        return;
      }
      const cpu = process.cpuUsage(cpu0);
      // Weighted: the GCs that happened, not only those observed.
      if (observer) gcs += observer.drain().reduce((sum, e) => sum + e.weight, 0);
      observer?.close();
      observer = undefined;
      resolve({ cpuUs: cpu.user + cpu.system, units, gcs });
    };
    setImmediate(chunk);
  });
}

/** argv[3]: the cap under test (default: the probe's own); a huge value measures the uncapped cost. */
const maxEventsPerSecond = process.argv[3] ? Number(process.argv[3]) : undefined;

async function main(): Promise<void> {
  const blocks = Number(process.argv[2] ?? 30);
  const counter = { n: 0, sink: 0 };
  for (let i = 0; i < 4; i++) await runWindow(i % 2 === 0, counter); // warm-up, both paths
  const ratios: number[] = [];
  let gcs = 0;
  let onSeconds = 0;
  for (let b = 0; b < blocks; b++) {
    const on: Totals = { cpuUs: 0, units: 0, gcs: 0 };
    const off: Totals = { cpuUs: 0, units: 0, gcs: 0 };
    for (const state of [false, true, true, false]) {
      const w = await runWindow(state, counter);
      const t = state ? on : off;
      t.cpuUs += w.cpuUs;
      t.units += w.units;
      t.gcs += w.gcs;
    }
    ratios.push(on.cpuUs / on.units / (off.cpuUs / off.units));
    gcs += on.gcs;
    onSeconds += on.cpuUs / 1e6;
  }
  const ci = medianConfidence(ratios);
  process.send!({ type: 'gc-observer-cost', blocks, cap: maxEventsPerSecond ?? 'default', overheadPct: (median(ratios) - 1) * 100, lowPct: (ci.low - 1) * 100, highPct: (ci.high - 1) * 100, gcsPerCpuSecond: gcs / onSeconds, checksum: counter.sink });
}

main().catch((err: Error) => {
  process.stderr.write(`gc observer worker failed: ${err.message}\n`);
  process.exit(1);
});
