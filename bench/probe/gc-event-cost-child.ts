import { createGcObserver } from '../../src/probe/gc-observer';
import { median, medianConfidence } from '../common/stats';

/**
 * Forked by cost.ts with --expose-gc: what one observed GC event costs the host,
 * the per-GC part of the probe's cost. The work here IS garbage collections: a fixed number of
 * forced minor GCs (small, fast scavenges of a near-empty young generation), with the event loop
 * turning every few so Node delivers the gc entries. With the probe's observer connected
 * (uncapped, so every GC is observed) the extra CPU per GC is the per-event cost; without it, the
 * baseline. ABBA blocks inside one process cancel the machine's drift.
 */
const GCS_PER_PHASE = 400;
const GCS_PER_TURN = 4;

type ForcedGc = (options: { type: 'minor' }) => void;
const forceGc = (globalThis as { gc?: ForcedGc }).gc;

async function phase(observe: boolean): Promise<number> {
  const observer = observe ? createGcObserver({ intervalMs: 1000, maxEventsPerSecond: 1e9 }) : undefined;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < GCS_PER_PHASE; i += GCS_PER_TURN) {
    for (let k = 0; k < GCS_PER_TURN; k++) forceGc!({ type: 'minor' });
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  const cpu = process.cpuUsage(cpu0);
  const seen = observer ? observer.drain().length : 0;
  observer?.close();
  if (observe && seen < GCS_PER_PHASE * 0.9) throw new Error(`observer saw ${seen} of ${GCS_PER_PHASE} GCs`);
  return (cpu.user + cpu.system) / GCS_PER_PHASE;
}

async function main(): Promise<void> {
  if (!forceGc) throw new Error('run with --expose-gc');
  const blocks = Number(process.argv[2] ?? 40);
  for (let i = 0; i < 4; i++) await phase(i % 2 === 0); // warm-up, both paths
  const extraUs: number[] = [];
  const baseUs: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const off1 = await phase(false);
    const on1 = await phase(true);
    const on2 = await phase(true);
    const off2 = await phase(false);
    extraUs.push((on1 + on2 - off1 - off2) / 2);
    baseUs.push((off1 + off2) / 2);
  }
  const ci = medianConfidence(extraUs);
  process.send!({ type: 'gc-event-cost', blocks, usPerEvent: median(extraUs), lowUs: ci.low, highUs: ci.high, baseUsPerGc: median(baseUs) });
}

main().catch((err: Error) => {
  process.stderr.write(`gc event cost worker failed: ${err.message}\n`);
  process.exit(1);
});
