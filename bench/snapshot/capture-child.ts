/**
 * Child process of capture-main.ts: an app holding a synthetic heap, with the probe
 * started in code. Argv: <heap MB> <collector ingest URL> [shape]. Answers IPC commands:
 *   plain   -> plain-done: one bare `v8.writeHeapSnapshot()` (the reference), file deleted after;
 *   arm     -> armed: resets the peak-RSS mark and starts the pause monitor, before the parent asks
 *              the probe for a snapshot over its collector connection;
 *   collect -> probe-done: once the probe is idle again, the pause and peak RSS it caused.
 * The pause is what the app sees: the longest gap between ticks of a 1 ms interval timer.
 * Peak RSS is VmHWM after resetting it (writing "5" to /proc/self/clear_refs); `peakReset` says
 * whether that was permitted (if not the parent's own sampling of VmRSS is used).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { startProbe } from '../../src/probe';

export interface WorkerReady {
  type: 'ready';
  heapUsed: number;
}
export interface PlainDone {
  type: 'plain-done';
  syncMs: number;
  /** Process CPU time of the V8 write. */
  cpuMs: number;
  maxGapMs: number;
  rssBefore: number;
  peakRss: number;
  peakReset: boolean;
  heapUsed: number;
  size: number;
}
export interface ProbeDone {
  type: 'probe-done';
  maxGapMs: number;
  rssBefore: number;
  peakRss: number;
  peakReset: boolean;
  heapUsed: number;
  /** The V8 write inside the probe's operation: wall time and process CPU time. */
  captureMs: number;
  captureCpuMs: number;
}

/** Heap shapes: what the snapshot of a heap costs depends on its objects, not only its bytes. */
export const HEAP_SHAPES = ['objects', 'closures', 'strings', 'map', 'doubles'] as const;
export type HeapShape = (typeof HEAP_SHAPES)[number];

const MB = 1024 * 1024;
const heapMb = Number(process.argv[2]);
const collector = process.argv[3]!;
const shape = (process.argv[4] ?? 'objects') as HeapShape;

/** Adds about 10k items of the shape to `held`. */
function addItems(held: unknown[], map: Map<string, unknown>, start: number): void {
  for (let i = start; i < start + 10_000; i++) {
    if (shape === 'objects') held.push({ id: i, name: `item-${i}`, tags: [i, i + 1] });
    else if (shape === 'closures') {
      const box = { i };
      held.push(() => box.i + start);
    } else if (shape === 'strings') {
      if (i % 100 === 0) held.push(`${i}`.padEnd(64 * 1024, 'y'));
    } else if (shape === 'map') map.set(`key:${i}`, { at: i, value: `value ${i}` });
    else if (i % 100_000 === 0) held.push(Array.from({ length: 100_000 }, (_, k) => k + 0.5));
  }
}

// Held from a global: V8 may collect a local the code no longer reads, however long the function.
const held: unknown[] = [];
const map = new Map<string, unknown>();
(globalThis as { held?: unknown }).held = [held, map];
for (let i = 0; v8.getHeapStatistics().used_heap_size < heapMb * MB; i += 10_000) addItems(held, map, i);
(globalThis as { gc?: () => void }).gc?.();

const probe = startProbe({ collector, interval: 1000, runName: 'bench-snapshot-capture' });

function memory(): { rss: number; hwm: number } {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function resetPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

let last = 0;
let maxGap = 0;
let monitor: NodeJS.Timeout | undefined;
function startMonitor(): void {
  last = performance.now();
  maxGap = 0;
  monitor = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
}
function stopMonitor(): number {
  clearInterval(monitor);
  return maxGap;
}

let plainCount = 0;
async function plain(): Promise<PlainDone> {
  const heapUsed = v8.getHeapStatistics().used_heap_size;
  const peakReset = resetPeak();
  const rssBefore = memory().rss;
  startMonitor();
  await sleep(20);
  const file = path.join(os.tmpdir(), `leakwatch-bench-plain-${process.pid}-${plainCount++}.heapsnapshot`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  v8.writeHeapSnapshot(file);
  const cpu = process.cpuUsage(cpu0);
  const syncMs = performance.now() - t0;
  await sleep(20);
  const maxGapMs = stopMonitor();
  const size = fs.statSync(file).size;
  fs.rmSync(file, { force: true });
  return { type: 'plain-done', syncMs, cpuMs: (cpu.user + cpu.system) / 1000, maxGapMs, rssBefore, peakRss: memory().hwm, peakReset, heapUsed, size };
}

let armed: { rssBefore: number; peakReset: boolean; heapUsed: number } | undefined;
async function collect(): Promise<ProbeDone> {
  while (probe.stats().snapshots.phase !== 'idle') await sleep(10);
  await sleep(20);
  const maxGapMs = stopMonitor();
  const { rssBefore, peakReset, heapUsed } = armed!;
  return { type: 'probe-done', maxGapMs, rssBefore, peakRss: memory().hwm, peakReset, heapUsed, captureMs: probe.stats().snapshots.lastCaptureMs, captureCpuMs: probe.stats().snapshots.lastCaptureCpuMs };
}

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'plain') void plain().then((r) => process.send!(r));
  else if (msg.type === 'arm') {
    const heapUsed = v8.getHeapStatistics().used_heap_size;
    armed = { peakReset: resetPeak(), rssBefore: memory().rss, heapUsed };
    startMonitor();
    process.send!({ type: 'armed' });
  } else if (msg.type === 'collect') void collect().then((r) => process.send!(r));
});
const ready: WorkerReady = { type: 'ready', heapUsed: v8.getHeapStatistics().used_heap_size };
process.send!(ready);
