import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { forkTracked, stopChild, waitForMessage } from '../common/tracked-children';
import { DEFAULT_ALLOC_EVERY_MS, DEFAULT_ALLOC_INTERVAL_BYTES } from '../../src/shared/probe-config';

/**
 * Cost accounting for allocation sampling (alloc-cost-child.ts measures, this runs and prints):
 * a fixed cost per second (one profile read + flatten + encode every LEAKWATCH_ALLOC_EVERY,
 * divided by that interval; the read includes the full GC the inspector forces before it) and a cost per sample (V8 recording one sampled allocation's stack).
 * At interval I a workload allocating B bytes per second takes B / I samples a second, so the
 * overhead is (fixed + per-sample x B / I) / the workload's own CPU per second.
 */
const workerScript = path.join(__dirname, 'alloc-cost-child.js');

export interface AllocCostResult {
  reads: number;
  /** One read end to end (getSamplingProfile + flatten + encode), ms: median and 95 % CI. */
  shipMs: number;
  shipLowMs: number;
  shipHighMs: number;
  readMs: number;
  flattenMs: number;
  nodes: number;
  sites: number;
  bytes: number;
  /** Heap used while the reads were taken (the forced GC's work grows with it). */
  heapUsed: number;
  blocks: number;
  smallIntervalBytes: number;
  nest: number;
  usPerSample: number;
  lowUs: number;
  highUs: number;
  samplesPerLoop: number;
  loopCpuUs: number;
  bytesPerCpuSecond: number;
}

function pin(pid: number | undefined, core: number): void {
  if (pid === undefined || os.availableParallelism() < 2) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  } catch {
    // Unpinned is fine, only noisier.
  }
}

export async function runAllocCostBench(options: { reads?: number; blocks?: number }, log: (line: string) => void): Promise<AllocCostResult> {
  const reads = options.reads ?? 20;
  const blocks = options.blocks ?? 20;
  log(`cost accounting: allocation sampling, ${reads} profile reads on a serving heap, then CPU per sample in ${blocks} ABBA blocks...`);
  const worker = forkTracked(workerScript, [String(reads), String(blocks)], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  pin(worker.pid, 1);
  try {
    return await waitForMessage<AllocCostResult & { type: string }>(worker, 'alloc-cost', 600_000);
  } finally {
    await stopChild(worker);
  }
}

/** `workloadCpuUsPerSecond`: the bare HTTP server's CPU per second under load (main.ts's rounds). */
export function formatAllocCostReport(cost: AllocCostResult, workload: { workloadCpuUsPerSecond: number }): string[] {
  const everyS = DEFAULT_ALLOC_EVERY_MS / 1000;
  const fixedUsPerS = (cost.shipMs * 1000) / everyS;
  const fixedHighUsPerS = (cost.shipHighMs * 1000) / everyS;
  // Samples a second the HTTP workload takes at the default interval, if it allocates per CPU
  // second as the render loop does (an upper bound: a server's syscalls allocate nothing).
  const samplesPerS = (cost.bytesPerCpuSecond * (workload.workloadCpuUsPerSecond / 1e6)) / DEFAULT_ALLOC_INTERVAL_BYTES;
  const pct = (us: number) => (us / workload.workloadCpuUsPerSecond) * 100;
  const estimate = pct(fixedUsPerS + samplesPerS * cost.usPerSample);
  const upper = pct(fixedHighUsPerS + samplesPerS * Math.max(0, cost.highUs));
  const sign = (x: number, d = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;
  return [
    '',
    'allocation sampling cost accounting (default interval 512 KiB, a profile every 60 s)',
    `profile read + flatten + encode: ${cost.shipMs.toFixed(2)} ms (95 % CI ${cost.shipLowMs.toFixed(2)} .. ${cost.shipHighMs.toFixed(2)} ms; ` +
      `V8's forced full GC + building it ${cost.readMs.toFixed(2)} ms, flatten + encode ${cost.flattenMs.toFixed(2)} ms) on a ${(cost.heapUsed / 1048576).toFixed(0)} MB heap, ` +
      `${cost.nodes} tree nodes -> ${cost.sites} sites, ${(cost.bytes / 1024).toFixed(1)} KiB; ${cost.reads} reads`,
    `fixed cost per second: ${fixedUsPerS.toFixed(1)} µs/s (one read, one pause of that length, every ${everyS} s)`,
    `per sample: ${cost.usPerSample.toFixed(2)} µs (95 % CI ${cost.lowUs.toFixed(2)} .. ${cost.highUs.toFixed(2)} µs; ${cost.samplesPerLoop.toFixed(0)} samples per loop at ${cost.smallIntervalBytes / 1024} KiB, ` +
      `stacks ${cost.nest}+ frames deep, the loop itself ${(cost.loopCpuUs / 1000).toFixed(1)} ms; ${cost.blocks} ABBA blocks)`,
    `render loop allocates ${(cost.bytesPerCpuSecond / 1048576).toFixed(0)} MB per CPU second; at that rate the HTTP workload ` +
      `(${(workload.workloadCpuUsPerSecond / 1000).toFixed(0)} ms CPU/s) takes ${samplesPerS.toFixed(0)} samples/s at 512 KiB`,
    `${upper <= 2 ? 'PASS' : 'FAIL'}  allocation sampling overhead on this workload ${sign(estimate)} % (upper 95 % bound ${sign(upper)} %), budget ≤ 2 %`,
  ];
}
