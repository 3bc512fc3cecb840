import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { forkTracked, stopChild, waitForMessage } from '../common/tracked-children';
import type { BenchMode, MarkRequest, ServerMark, ServerReady } from './ipc';
import { startScraper, type Scraper } from './scraper';
import { DEFAULT_MAX_GC_EVENTS_PER_SECOND } from '../../src/probe/gc-observer';
import { createStandInCollector } from '../../support/stand-in-collector';

/**
 * Cost accounting for the probe: what it costs, measured directly rather than as a small
 * difference between two noisy throughput figures.
 *
 * The probe's work is (1) a fixed amount per second: one sample, one ~2 KB message, the
 * event-loop-delay timer, the ack; and (2) a little per GC: one observer entry.
 *  (1) is measured in otherwise idle servers, where the host's own CPU is near zero, so the probe's
 *      microseconds per second stand out; prom-client (collectDefaultMetrics + one scrape a second)
 *      is measured the same way next to it.
 *  (2) is measured per observed GC event in gc-event-cost-child.ts: forced minor GCs with
 *      and without the probe's GC observer. The probe observes at most
 *      DEFAULT_MAX_GC_EVENTS_PER_SECOND events a second, so its GC cost per second is at most
 *      min(GC rate, cap) x that per-event cost.
 * Overhead on a workload = (fixed cost + min(GC rate, cap) x per-event cost) / workload CPU per
 * second; the workload's CPU and GC rate come from the end-to-end rounds of main.ts. The
 * fixed cost is measured idle, where each wake-up of the event-loop-delay timer is a real wake-up;
 * under load the loop is awake anyway, so it is an upper bound there.
 */

const serverScript = path.join(__dirname, 'server-child.js');
const workerScript = path.join(__dirname, 'gc-event-cost-child.js');
const registerScript = path.resolve(__dirname, '..', '..', 'src', 'probe', 'register.js');

export interface CostResult {
  idleSeconds: number;
  /** CPU µs per second of an idle server, per mode. */
  idleCpuUsPerSecond: Record<'bare' | 'leakwatch' | 'prom-client', number>;
  /** Extra CPU µs per observed GC event (median and 95 % interval over ABBA blocks). */
  gcEvent: { blocks: number; usPerEvent: number; lowUs: number; highUs: number; baseUsPerGc: number };
  probeMessages: number;
  scrapes: number;
}

async function mark(server: ChildProcess): Promise<ServerMark> {
  const answer = waitForMessage<ServerMark>(server, 'mark', 10_000);
  const request: MarkRequest = { type: 'mark', gc: false };
  server.send(request);
  return answer;
}

/** Pins a process (all threads) to one core when taskset exists: fewer scheduler surprises. */
function pin(pid: number | undefined, core: number): void {
  if (pid === undefined || os.availableParallelism() < 2) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  } catch {
    // Unpinned is fine, only noisier.
  }
}

export async function runCostBench(options: { idleSeconds: number; gcBlocks?: number }, log: (line: string) => void): Promise<CostResult> {
  const sink = await createStandInCollector({ mode: 'acks' });
  const children: ChildProcess[] = [];
  let scraper: Scraper | undefined;
  try {
    log(`cost accounting: three idle servers side by side for ${options.idleSeconds} s (bare, leakwatch probe at 1 s, prom-client scraped every 1 s)...`);
    const modes: ('bare' | 'leakwatch' | 'prom-client')[] = ['bare', 'leakwatch', 'prom-client'];
    const servers = new Map<string, ChildProcess>();
    for (const mode of modes) {
      const env: NodeJS.ProcessEnv = { ...process.env, LEAKWATCH_COLLECTOR: sink.url, LEAKWATCH_INTERVAL: '1s', LEAKWATCH_RUN_NAME: 'bench-idle' };
      const execArgv = mode === 'leakwatch' ? ['-r', registerScript] : [];
      const child = forkTracked(serverScript, [mode satisfies BenchMode], { execArgv, env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.push(child);
      const { port } = await waitForMessage<ServerReady>(child, 'ready', 15_000);
      if (mode === 'prom-client') scraper = startScraper(port);
      servers.set(mode, child);
    }
    await sleep(3000); // module loading and the first samples/scrapes are start-up, not steady cost
    const before = new Map<string, ServerMark>();
    for (const [mode, child] of servers) before.set(mode, await mark(child));
    const messagesBefore = sink.counts.messages;
    const scrapesBefore = scraper?.ok ?? 0;
    await sleep(options.idleSeconds * 1000);
    const idle = {} as CostResult['idleCpuUsPerSecond'];
    for (const [mode, child] of servers) {
      const after = await mark(child);
      const start = before.get(mode)!;
      idle[mode as keyof typeof idle] = (after.cpuUs - start.cpuUs) / ((after.atMs - start.atMs) / 1000);
    }
    const probeMessages = sink.counts.messages - messagesBefore;
    const scrapes = (scraper?.ok ?? 0) - scrapesBefore;
    scraper?.stop();
    await Promise.all(children.map(stopChild));
    children.length = 0;

    const blocks = options.gcBlocks ?? 40;
    log(`cost accounting: CPU per observed GC event, forced minor GCs with and without the probe's GC observer in ${blocks} ABBA blocks...`);
    const worker = forkTracked(workerScript, [String(blocks)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(worker);
    pin(worker.pid, 1);
    const gcEvent = await waitForMessage<CostResult['gcEvent'] & { type: string }>(worker, 'gc-event-cost', blocks * 10_000 + 30_000);
    return { idleSeconds: options.idleSeconds, idleCpuUsPerSecond: idle, gcEvent, probeMessages, scrapes };
  } finally {
    scraper?.stop();
    await Promise.all(children.map(stopChild));
    await sink.close();
  }
}

/**
 * `workloadCpuUsPerSecond`: CPU the bare HTTP server used per second under load;
 * `httpGcsPerCpuSecond`: GCs per CPU-second the probe saw in that server.
 */
export function formatCostReport(cost: CostResult, workload: { workloadCpuUsPerSecond: number; httpGcsPerCpuSecond: number }): string[] {
  const fixedLeakwatch = cost.idleCpuUsPerSecond.leakwatch - cost.idleCpuUsPerSecond.bare;
  const fixedProm = cost.idleCpuUsPerSecond['prom-client'] - cost.idleCpuUsPerSecond.bare;
  const ev = cost.gcEvent;
  const gcsObserved = Math.min(workload.httpGcsPerCpuSecond * (workload.workloadCpuUsPerSecond / 1e6), DEFAULT_MAX_GC_EVENTS_PER_SECOND);
  const uncappedGcs = workload.httpGcsPerCpuSecond * (workload.workloadCpuUsPerSecond / 1e6);
  const pct = (us: number) => (us / workload.workloadCpuUsPerSecond) * 100;
  const estimate = pct(fixedLeakwatch + gcsObserved * ev.usPerEvent);
  const upper = pct(fixedLeakwatch + gcsObserved * Math.max(0, ev.highUs));
  const uncapped = pct(fixedLeakwatch + uncappedGcs * ev.usPerEvent);
  const sign = (x: number, d = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;
  return [
    '',
    'cost accounting (measured directly, not as a difference of noisy throughputs)',
    `idle server CPU per second over ${cost.idleSeconds} s: bare ${cost.idleCpuUsPerSecond.bare.toFixed(0)} µs/s, ` +
      `leakwatch ${cost.idleCpuUsPerSecond.leakwatch.toFixed(0)} µs/s (${cost.probeMessages} messages acked), ` +
      `prom-client ${cost.idleCpuUsPerSecond['prom-client'].toFixed(0)} µs/s (${cost.scrapes} scrapes)`,
    `fixed cost per second: leakwatch ${fixedLeakwatch.toFixed(0)} µs/s, prom-client ${fixedProm.toFixed(0)} µs/s ` +
      `(leakwatch/prom-client = ${(fixedLeakwatch / fixedProm).toFixed(2)})`,
    `per observed GC event: ${ev.usPerEvent.toFixed(1)} µs (95 % CI ${ev.lowUs.toFixed(1)} .. ${ev.highUs.toFixed(1)} µs; a forced minor GC itself ${ev.baseUsPerGc.toFixed(1)} µs; ${ev.blocks} ABBA blocks)`,
    `HTTP workload: bare server ${(workload.workloadCpuUsPerSecond / 1000).toFixed(0)} ms CPU per second, ` +
      `${uncappedGcs.toFixed(0)} GCs per second, of which the probe observes ${gcsObserved.toFixed(0)} (cap ${DEFAULT_MAX_GC_EVENTS_PER_SECOND}/s)`,
    `${upper <= 1 ? 'PASS' : 'FAIL'}  leakwatch overhead on this workload ${sign(estimate)} % (upper 95 % bound ${sign(upper)} %), budget ≤ 1 %` +
      ` [without the GC cap it would be ${sign(uncapped)} %]`,
    `${fixedLeakwatch <= fixedProm ? 'PASS' : 'FAIL'}  leakwatch fixed cost ${fixedLeakwatch.toFixed(0)} µs/s not above prom-client's ${fixedProm.toFixed(0)} µs/s` +
      ' (prom-client also observes every GC, uncapped, through the same perf_hooks mechanism)',
  ];
}
