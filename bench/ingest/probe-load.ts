import { createProbeFrames, hasMajorGc, rowsPerBatch } from './probe-frames';
import { createSimulatedProbe, type SimulatedProbe } from './simulated-probe';

/**
 * The load generator: N simulated probes over real sockets, in one of two shapes.
 *   paced  every probe sends one batch a second, the probes' send times spread evenly over the
 *          second (a fleet of services started at random moments), driven by one 5 ms tick
 *          rather than N timers;
 *   max    every probe keeps `window` batches unacknowledged and sends the next as soon as one
 *          is acked: the collector's sustained throughput, bounded by how fast it stores.
 * Sample times are the probe's start plus one second per seq in both shapes, so every row has a
 * key of its own however fast batches go out (rows with equal keys would collapse in the store).
 */

export interface LoadOptions {
  ingestUrl: string;
  runPrefix: string;
  probes: number;
  seconds: number;
  mode: 'paced' | 'max';
  /** Unacknowledged batches per probe in max mode. */
  window: number;
}

export interface LoadResult {
  sent: number;
  acked: number;
  /** Rows in the acknowledged batches. */
  rows: number;
  /** Send-to-ack latency of every acknowledged batch, ms. */
  latencies: Float64Array;
  /** From the first measured send to the last ack, ms. */
  spanMs: number;
  /** Paced mode: the latest a batch went out after its due time (generator lag), ms. */
  maxLagMs: number;
  /** This process's CPU over the measured phase (user + system), µs. */
  generatorCpuUs: number;
  /** Batches still unacknowledged when the wait for acks gave up. */
  unacked: number;
}

const CONNECT_PARALLEL = 50;
const ACK_WAIT_MS = 120_000;

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * Connects the probes (a few dozen at a time, so the listen backlog never overflows), then sends
 * one unmeasured batch from each and waits for its ack: the runs exist and every socket is warm
 * before `measure` starts.
 */
export async function connectProbes(ingestUrl: string, runPrefix: string, count: number, onAck: (latencyMs: number, seq: number, probe: SimulatedProbe) => void, reconnect = false): Promise<SimulatedProbe[]> {
  const startedAt = Date.now();
  const probes = Array.from({ length: count }, (_, i) => createSimulatedProbe({ url: ingestUrl, frames: createProbeFrames(runPrefix, i, startedAt), onAck, reconnect }));
  for (let i = 0; i < probes.length; i += CONNECT_PARALLEL) await Promise.all(probes.slice(i, i + CONNECT_PARALLEL).map((p) => p.connect()));
  for (const p of probes) p.send(startedAt + 1000);
  if (!(await until(() => probes.every((p) => p.acked >= 1), ACK_WAIT_MS))) throw new Error('the warm-up batches were not all acknowledged');
  return probes;
}

export async function runLoad(options: LoadOptions, measure: () => Promise<void>): Promise<LoadResult> {
  let measuring = false;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let rows = 0;
  let lastAckAt = 0;
  const onAck = (latencyMs: number, seq: number, probe: SimulatedProbe): void => {
    if (!measuring) return;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = latencyMs;
    rows += rowsPerBatch(hasMajorGc(seq));
    lastAckAt = performance.now();
    if (options.mode === 'max' && sending) probe.send(tsOf(probe.sent + 1));
  };
  let sending = false;
  const probes = await connectProbes(options.ingestUrl, options.runPrefix, options.probes, onAck);
  const probeStart = Date.now();
  // The warm-up batch was seq 1; measured batches start at seq 2.
  const tsOf = (seq: number) => probeStart + seq * 1000;
  await measure();
  const cpu0 = cpuNow();
  const t0 = performance.now();
  measuring = true;
  sending = true;
  let maxLagMs = 0;
  if (options.mode === 'max') {
    for (const p of probes) for (let i = 0; i < options.window; i++) p.send(tsOf(p.sent + 1));
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  } else {
    // Probe i is due at t0 + i/N of a second, then every second; one tick sends all that are due.
    const n = probes.length;
    const rounds = options.seconds;
    let round = 0;
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = performance.now();
        while (round < rounds) {
          const due = t0 + round * 1000 + (next * 1000) / n;
          if (due > now) break;
          maxLagMs = Math.max(maxLagMs, now - due);
          const p = probes[next]!;
          p.send(tsOf(p.sent + 1));
          if (++next === n) {
            next = 0;
            round++;
          }
        }
        if (round >= rounds) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
  }
  sending = false;
  await until(() => probes.every((p) => p.unacked === 0), ACK_WAIT_MS);
  const generatorCpuUs = cpuNow() - cpu0;
  const sent = probes.reduce((sum, p) => sum + p.sent, 0) - probes.length;
  const unacked = probes.reduce((sum, p) => sum + p.unacked, 0);
  await Promise.all(probes.map((p) => p.close()));
  return { sent, acked: count, rows, latencies: latencies.subarray(0, count), spanMs: lastAckAt - t0, maxLagMs, generatorCpuUs, unacked };
}
