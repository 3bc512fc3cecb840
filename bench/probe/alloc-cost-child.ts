import http from 'node:http';
import inspector from 'node:inspector';
import { createAllocSampler } from '../../src/probe/alloc-sampler';
import { encodeMessage } from '../../src/protocol/encode';
import { PROTOCOL_VERSION } from '../../src/protocol/messages';
import { DEFAULT_ALLOC_INTERVAL_BYTES, DEFAULT_ALLOC_STACK_DEPTH } from '../../src/shared/probe-config';
import { median, medianConfidence } from '../common/stats';
import { render } from './workload';

/**
 * Forked by alloc-cost.ts: what allocation sampling costs, in its two parts.
 *
 * (1) Fixed: one profile every minute. The inspector's sampling forces a full GC before each
 *     read (kSamplingForceGC), V8 builds the profile tree and the inspector serialises it
 *     (getSamplingProfile), the probe flattens and encodes it: the read is a pause that grows
 *     with the live heap, so its heap size is reported with it. Measured on a heap that looks
 *     like a server's: this process serves HTTP to itself (node's http, net and stream code
 *     allocating) and keeps a fifth of what it renders (a growing cache), so the profile has the
 *     sites of a real app, and then SITE_FUNCTIONS distinct functions keep ~1 MiB each from three
 *     call paths (~150 MB live, a profile past the 200-site cap): the read's cost grows with the
 *     tree. Each read is timed, end to end, through the probe's own sampler.
 * (2) Per sample: V8 takes a sample every `interval` bytes on average (Poisson) and records the
 *     stack (V8's SamplingHeapProfiler::SampleObject walks up to 128 frames). Measured with the
 *     render loop run 32 calls deep (a server's stacks are deep), sampling at a small interval
 *     vs off, in ABBA blocks; divided by the samples taken, counted in a separate run that keeps
 *     every sample (includeObjectsCollectedBy*GC) since a normal profile holds only live ones.
 */
const LOOP_RENDERS = 4000;
/** The many-sites heap: distinct functions, each keeping about 1 MiB through three caller chains. */
const SITE_FUNCTIONS = 150;
const SITE_BYTES = 1024 * 1024;
const SMALL_INTERVAL = 16 * 1024;
const NEST = 32;

function post<T>(session: inspector.Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
}

async function selfTraffic(port: number, requests: number, agent: http.Agent): Promise<void> {
  for (let i = 0; i < requests; i++) {
    await new Promise<void>((resolve, reject) => {
      http.get({ port, host: '127.0.0.1', path: `/item/${i}`, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
  }
}

/** Distinct named functions (V8 tells sites apart by function), each called from three callers. */
function buildManySites(): unknown[] {
  const kept: unknown[] = [];
  const keep = (n: number): void => {
    for (let b = 0; b < SITE_BYTES; b += 4096) kept.push(new Array(510).fill(n));
  };
  const sites = Array.from({ length: SITE_FUNCTIONS }, (_, i) => new Function('keep', 'n', `return function site${i}() { keep(n); };`)(keep, i) as () => void);
  const callers = ['fromRequest', 'fromTimer', 'fromQueue'].map((name) => new Function(`return function ${name}(f) { f(); };`)() as (f: () => void) => void);
  for (const [i, site] of sites.entries()) callers[i % 3]!(site);
  return kept;
}

async function fixedCost(reads: number): Promise<{ heapUsed: number; shipMs: number[]; readMs: number; flattenMs: number; nodes: number; sites: number; bytes: number }> {
  const cache: string[] = [];
  let served = 0;
  const server = http.createServer((req, res) => {
    const body = render(++served);
    if (served % 5 === 0) cache.push(body);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let bytes = 0;
  const sampler = createAllocSampler({
    config: { enabled: true, intervalBytes: DEFAULT_ALLOC_INTERVAL_BYTES, stackDepth: DEFAULT_ALLOC_STACK_DEPTH, everyMs: 3_600_000, epochMs: 54_000_000 },
    notice: (line) => process.stderr.write(`${line}\n`),
    // What the probe's send does, short of the queue: build the envelope and encode it.
    send: (body) => {
      bytes = encodeMessage({ v: PROTOCOL_VERSION, run: 'bench-run-0000', boot: 'bench-boot-0000', seq: 1, ...body }).length;
    },
  });
  try {
    await selfTraffic(port, 4000, agent);
    const live = buildManySites();
    const shipMs: number[] = [];
    const before = sampler.stats();
    for (let r = 0; r < reads; r++) {
      await selfTraffic(port, 300, agent);
      const t0 = performance.now();
      await sampler.ship();
      shipMs.push(performance.now() - t0);
    }
    const after = sampler.stats();
    const heapUsed = process.memoryUsage().heapUsed;
    live.length = 0;
    return { heapUsed, shipMs, readMs: (after.readMs - before.readMs) / reads, flattenMs: (after.flattenMs - before.flattenMs) / reads, nodes: after.lastNodes, sites: after.lastSites, bytes };
  } finally {
    await sampler.stop();
    agent.destroy();
    server.close();
    cache.length = 0;
  }
}

function nested(depth: number, work: () => number): number {
  return depth === 0 ? work() : nested(depth - 1, work) + 0;
}

function loop(): number {
  let n = 0;
  for (let i = 0; i < LOOP_RENDERS; i++) n += render(i).length;
  return n;
}

async function perSampleCost(blocks: number): Promise<{ usPerSample: number; lowUs: number; highUs: number; samplesPerLoop: number; loopCpuUs: number; bytesPerCpuSecond: number }> {
  const session = new inspector.Session();
  session.connect();
  const cpuOf = async (sampling: boolean): Promise<number> => {
    if (sampling) await post(session, 'HeapProfiler.startSampling', { samplingInterval: SMALL_INTERVAL });
    const cpu0 = process.cpuUsage();
    nested(NEST, loop);
    const cpu = process.cpuUsage(cpu0);
    if (sampling) await post(session, 'HeapProfiler.stopSampling');
    return cpu.user + cpu.system;
  };
  const countSamples = async (): Promise<number> => {
    await post(session, 'HeapProfiler.startSampling', { samplingInterval: SMALL_INTERVAL, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    nested(NEST, loop);
    const { profile } = await post<{ profile: { samples: unknown[] } }>(session, 'HeapProfiler.stopSampling');
    return profile.samples.length;
  };
  try {
    for (let i = 0; i < 4; i++) await cpuOf(i % 2 === 0); // warm-up: JIT, heap sizing
    const counts = [await countSamples()];
    const extra: number[] = [];
    const base: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const off1 = await cpuOf(false);
      const on1 = await cpuOf(true);
      const on2 = await cpuOf(true);
      const off2 = await cpuOf(false);
      extra.push((on1 + on2 - off1 - off2) / 2);
      base.push((off1 + off2) / 2);
      if (b % 5 === 4) counts.push(await countSamples());
    }
    const samplesPerLoop = median(counts);
    const ci = medianConfidence(extra.map((us) => us / samplesPerLoop));
    const loopCpuUs = median(base);
    // The loop's allocation rate, from the sample count: samples x interval is the bytes allocated.
    return { usPerSample: median(extra) / samplesPerLoop, lowUs: ci.low, highUs: ci.high, samplesPerLoop, loopCpuUs, bytesPerCpuSecond: (samplesPerLoop * SMALL_INTERVAL) / (loopCpuUs / 1e6) };
  } finally {
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const reads = Number(process.argv[2] ?? 20);
  const blocks = Number(process.argv[3] ?? 20);
  const fixed = await fixedCost(reads);
  const sample = await perSampleCost(blocks);
  process.send!({
    type: 'alloc-cost',
    reads,
    shipMs: median(fixed.shipMs),
    shipLowMs: medianConfidence(fixed.shipMs).low,
    shipHighMs: medianConfidence(fixed.shipMs).high,
    readMs: fixed.readMs,
    flattenMs: fixed.flattenMs,
    nodes: fixed.nodes,
    sites: fixed.sites,
    bytes: fixed.bytes,
    heapUsed: fixed.heapUsed,
    blocks,
    smallIntervalBytes: SMALL_INTERVAL,
    nest: NEST,
    ...sample,
  });
}

main().catch((err: Error) => {
  process.stderr.write(`allocation cost worker failed: ${err.message}\n`);
  process.exit(1);
});
