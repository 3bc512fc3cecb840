import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { forkTracked, stopChild, waitForMessage } from '../common/tracked-children';
import { BENCH_MODES, isProbeMode, type BenchMode, type LoadCommand, type LoadConnected, type LoadResult, type MarkRequest, type ServerMark, type ServerReady } from './ipc';
import { formatReport, type RoundResult } from './report';
import { startScraper } from './scraper';
import { formatCostReport, runCostBench } from './cost';
import { formatAllocCostReport, runAllocCostBench } from './alloc-cost';
import { formatFloorCostReport, runFloorCostBench, type FloorCostOptions } from './floor-cost';
import { median } from '../common/stats';
import { parseDuration } from '../../src/shared/duration';
import { createStandInCollector, type StandInCollector } from '../../support/stand-in-collector';

/**
 * `npm run bench:probe`: what the in-app probe costs a busy HTTP server.
 *
 * Four modes of the same workload server (server-child.ts):
 *   bare             nothing attached: the baseline;
 *   leakwatch        the probe attached with `-r register.js`, sampling every second, sending to
 *                    an in-process stand-in collector in mode 'acks' (support/stand-in-collector.ts),
 *                    allocation sampling off;
 *   leakwatch-alloc  the same with allocation sampling as it ships (512 KiB, a profile a minute):
 *                    its CPU per request and RSS are compared with `leakwatch` (budget 2 %, 10 MB);
 *   prom-client      collectDefaultMetrics() with /metrics scraped once a second: the overhead
 *                    users already accept from the usual metrics library.
 * Each round starts one fresh server per mode and one load generator with keep-alive connections
 * to all of them, then moves the load from server to server in half-second slices (rotating the
 * order). Fine interleaving matters on a small shared machine: speed there drifts by 10-30 % within
 * seconds as other work comes and goes, and windows a fraction of a second apart see the same
 * conditions, so per-round ratios cancel most of that drift. What remains is per-process
 * variation (two starts of the same server can differ by several percent), hence fresh servers
 * every round and a 95 % confidence interval on every overhead figure.
 * CPU per request is the server's own process.cpuUsage() delta over the window (all of its threads,
 * the probe's included) divided by the requests it answered in that window.
 *
 * Options: --rounds <n> (15)  --seconds <measured time per server per round> (3)
 *          --slice <per load slice> (0.5)  --warmup <unmeasured time per server per round> (1)
 *          (times by leakwatch's duration rule: 500ms, 3s, 1m, or a bare number of seconds)
 *          --concurrency <connections per server> (16)
 *          --control (adds a second bare server: an A/A comparison that shows the noise floor)
 *          --skip-cost (skip the cost accounting of cost.ts that follows the rounds)
 *          --floor-seconds <per repeat> (60)  --floor-repeats <n> (2)  --floor-every <least gap> (10s,
 *          the default schedule)  --skip-floor: the measured heap floor's cost (floor-cost.ts), bare
 *          vs the probe vs the probe with the measured floor, side by side
 * Exits 0 whatever the verdict: this is a measurement, not a test. Non-zero only if it could not run.
 */

interface BenchOptions {
  rounds: number;
  measureMs: number;
  warmupMs: number;
  sliceMs: number;
  concurrency: number;
  /** Adds the bare-control mode (an A/A comparison) to show the noise floor. */
  control: boolean;
  /** Skips the cost accounting that follows the end-to-end rounds. */
  skipCost: boolean;
  floor: FloorCostOptions | null;
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const values = new Map<string, number>();
  let control = false;
  let skipCost = false;
  let skipFloor = false;
  let floorEvery = '10s';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--skip-floor') {
      skipFloor = true;
      continue;
    }
    if (argv[i] === '--floor-every') {
      floorEvery = argv[++i] ?? '';
      // The probe's own rule (at least 1 s); refused here rather than by every worker.
      parseDuration(floorEvery, '--floor-every', { min: 1000 });
      continue;
    }
    if (argv[i] === '--control') {
      control = true;
      continue;
    }
    if (argv[i] === '--skip-cost') {
      skipCost = true;
      continue;
    }
    const match = /^--(rounds|seconds|slice|warmup|concurrency|floor-seconds|floor-repeats)(?:=(.*))?$/.exec(argv[i]!);
    if (!match) throw new Error(`unknown argument "${argv[i]}" (expected --rounds, --seconds, --slice, --warmup, --concurrency, --control, --skip-cost, --floor-seconds, --floor-repeats, --floor-every, --skip-floor)`);
    const raw = match[2] ?? argv[++i] ?? '';
    if (match[1] === 'seconds' || match[1] === 'slice' || match[1] === 'warmup' || match[1] === 'floor-seconds') {
      values.set(match[1], parseDuration(raw, `--${match[1]}`));
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${match[1]} needs a positive number, got "${raw}"`);
    values.set(match[1]!, value);
  }
  return {
    rounds: Math.round(values.get('rounds') ?? 15),
    measureMs: values.get('seconds') ?? 3000,
    warmupMs: values.get('warmup') ?? 1000,
    sliceMs: values.get('slice') ?? 500,
    concurrency: Math.round(values.get('concurrency') ?? 16),
    control,
    skipCost,
    floor: skipFloor ? null : { seconds: (values.get('floor-seconds') ?? 60_000) / 1000, repeats: Math.round(values.get('floor-repeats') ?? 2), every: floorEvery },
  };
}

const serverScript = path.join(__dirname, 'server-child.js');
const loadScript = path.join(__dirname, 'load-child.js');
const registerScript = path.resolve(__dirname, '..', '..', 'src', 'probe', 'register.js');

/** The child's environment without any LEAKWATCH_* of ours, so only the leakwatch mode is probed. */
function serverEnv(mode: BenchMode, sink: StandInCollector | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('LEAKWATCH_')) env[key] = value;
  if (isProbeMode(mode) && sink) {
    env.LEAKWATCH_COLLECTOR = sink.url;
    env.LEAKWATCH_INTERVAL = '1s';
    env.LEAKWATCH_RUN_NAME = 'bench';
    if (mode === 'leakwatch') env.LEAKWATCH_ALLOC_SAMPLING = '0';
  }
  return env;
}

async function mark(server: ChildProcess, gc: boolean): Promise<ServerMark> {
  const answer = waitForMessage<ServerMark>(server, 'mark', 10_000);
  const request: MarkRequest = { type: 'mark', gc };
  server.send(request);
  return answer;
}

interface BenchServer {
  mode: BenchMode;
  child: ChildProcess;
  port: number;
  scraper: ReturnType<typeof startScraper> | undefined;
}

async function startServer(mode: BenchMode, sink: StandInCollector | undefined): Promise<BenchServer> {
  // --expose-gc in every mode (it changes nothing until gc() is called) so memory is read after full GCs.
  const execArgv = ['--expose-gc', ...(isProbeMode(mode) ? ['-r', registerScript] : [])];
  const child = forkTracked(serverScript, [mode], { execArgv, env: serverEnv(mode, sink), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const { port } = await waitForMessage<ServerReady>(child, 'ready', 15_000);
  // Scraped for the whole run, busy or idle, as Prometheus would.
  return { mode, child, port, scraper: mode === 'prom-client' ? startScraper(port) : undefined };
}

/** After switching the load to a server, let the previous server's last responses drain. */
const RAMP_MS = 50;

/**
 * One round: fresh servers for every mode, one load generator holding connections to all of
 * them, a warm-up per server, then the load alternates between the servers in short slices.
 * Each server's figures are sums over its slices, read from its own counters at slice ends.
 */
async function runRound(round: number, modes: readonly BenchMode[], options: BenchOptions, sink: StandInCollector | undefined): Promise<RoundResult[]> {
  const servers: BenchServer[] = [];
  let load: ChildProcess | undefined;
  try {
    // Start order rotates too: whatever being started first or last does (CPU placement, which
    // server's sockets the load generator opened first) must not always favour the same mode.
    const startOrder = modes.map((_, i) => modes[(i + round) % modes.length]!);
    for (const mode of startOrder) servers.push(await startServer(mode, sink));
    const sinkBefore = sink?.counts.messages ?? 0;
    const generator = forkTracked(loadScript, [String(options.concurrency)], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    load = generator;
    const send = (command: LoadCommand): void => void generator.send(command);
    const connected = waitForMessage<LoadConnected>(generator, 'connected', 10_000);
    send({ type: 'connect', ports: servers.map((server) => server.port) });
    await connected;

    // Unmeasured: JIT, socket buffers and heap sizing of a fresh process settle here.
    for (const server of servers) {
      send({ type: 'drive', port: server.port });
      await sleep(options.warmupMs);
    }

    const totals = servers.map(() => ({ cpuUs: 0, requests: 0, ms: 0 }));
    const slices = Math.max(1, Math.round(options.measureMs / options.sliceMs));
    for (let slice = 0; slice < slices; slice++) {
      // Rotate the order so no mode always follows the same neighbour or goes first.
      for (let i = 0; i < servers.length; i++) {
        const index = (i + slice + round) % servers.length;
        const server = servers[index]!;
        send({ type: 'drive', port: server.port });
        await sleep(RAMP_MS);
        const start = await mark(server.child, false);
        await sleep(options.sliceMs);
        const end = await mark(server.child, false);
        totals[index]!.cpuUs += end.cpuUs - start.cpuUs;
        totals[index]!.requests += end.requests - start.requests;
        totals[index]!.ms += end.atMs - start.atMs;
      }
    }

    const loadDone = waitForMessage<LoadResult>(generator, 'load-result', 10_000);
    send({ type: 'stop' });
    const loadResult = await loadDone;
    if (loadResult.errors > 0) throw new Error(`load generator saw ${loadResult.errors} errors in round ${round}`);
    const probeMessages = (sink?.counts.messages ?? 0) - sinkBefore;
    if (modes.includes('leakwatch') && probeMessages === 0) {
      throw new Error('the probe sent nothing to the sink during a round; is it attached?');
    }

    const results: RoundResult[] = [];
    for (const [index, server] of servers.entries()) {
      const total = totals[index]!;
      if (total.requests <= 0) throw new Error(`the ${server.mode} server answered no requests in round ${round}`);
      // Memory after the load stopped and full GCs: what the mode retains, not where the GC sawtooth was.
      const memory = await mark(server.child, true);
      const result: RoundResult = {
        mode: server.mode,
        round,
        reqPerSec: total.requests / (total.ms / 1000),
        cpuUsPerReq: total.cpuUs / total.requests,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        cpuTotalUs: memory.cpuUs,
      };
      results.push(result);
      const extra =
        isProbeMode(server.mode)
          ? `probe msgs ${probeMessages} (both probes)`
          : server.scraper
            ? `scrapes ${server.scraper.ok} ok/${server.scraper.failed} failed`
            : '';
      console.log(
        `round ${String(round).padStart(2)}/${options.rounds}  ${server.mode.padEnd(15)} ${result.reqPerSec.toFixed(0).padStart(6)} req/s ` +
          `${result.cpuUsPerReq.toFixed(2).padStart(6)} µs/req  RSS ${(result.rss / 1048576).toFixed(1)} MB  ` +
          `heap ${(result.heapUsed / 1048576).toFixed(2)} MB  ${extra}`,
      );
    }
    return results;
  } finally {
    for (const server of servers) server.scraper?.stop();
    await Promise.all([...servers.map((server) => stopChild(server.child)), ...(load ? [stopChild(load)] : [])]);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const probeBuilt = fs.existsSync(registerScript);
  const modes: BenchMode[] = BENCH_MODES.filter((mode) => !isProbeMode(mode) || probeBuilt);
  if (options.control) modes.push('bare-control');
  const sink = probeBuilt ? await createStandInCollector({ mode: 'acks' }) : undefined;
  const sliceOverhead = 1 + (RAMP_MS + 10) / options.sliceMs;
  const totalSeconds = options.rounds * (modes.length * ((options.warmupMs + options.measureMs * sliceOverhead) / 1000 + 0.3) + 0.5);

  console.log(`leakwatch probe overhead benchmark (node ${process.version}, ${os.cpus().length} cores)`);
  console.log(
    `${options.rounds} rounds; each starts ${modes.length} fresh servers (${modes.join(', ')}), warms each up for ` +
      `${options.warmupMs / 1000} s, then alternates the load between them in ${options.sliceMs / 1000} s slices, ` +
      `${options.measureMs / 1000} s measured per server; ${options.concurrency} keep-alive connections; about ${Math.ceil(totalSeconds / 60)} min`,
  );
  if (sink) {
    console.log('leakwatch mode: probe at 1 s interval sending to an in-process stand-in collector (decode + ack, no storage),');
    console.log('  not the full collector, so database CPU does not compete with the measured server for cores; allocation sampling off');
    console.log('leakwatch-alloc mode: the same with allocation sampling as it ships (512 KiB interval, one profile a minute)');
  } else {
    console.log(`leakwatch mode skipped: ${path.relative(process.cwd(), registerScript)} is not built`);
  }
  console.log('prom-client mode: collectDefaultMetrics(), /metrics scraped once a second');
  console.log('');

  const results: RoundResult[] = [];
  try {
    // Fresh processes every round: two starts of the same server differ by a few percent (memory
    // layout, JIT decisions), and one process per mode for the whole run would bake that into
    // the result as if it were overhead.
    for (let round = 1; round <= options.rounds; round++) results.push(...(await runRound(round, modes, options, sink)));
  } finally {
    await sink?.close();
  }
  if (sink && sink.counts.rejected > 0) console.log(`\nwarning: the sink rejected ${sink.counts.rejected} probe frames (protocol errors)`);

  console.log('');
  console.log('medians over rounds; "vs bare" = median of per-round ratios; memory after the load stopped and two full GCs');
  console.log(formatReport(results, modes));

  if (sink && options.floor) {
    console.log('');
    const floorCost = await runFloorCostBench(options.floor, (line) => console.log(line));
    const bareCpuUsPerSecond = median(results.filter((r) => r.mode === 'bare').map((r) => r.cpuUsPerReq * r.reqPerSec));
    for (const line of formatFloorCostReport(floorCost, options.floor, bareCpuUsPerSecond)) console.log(line);
  }
  if (!sink || options.skipCost) return;
  // The end-to-end table above cannot resolve 1 % on a machine whose speed drifts by several
  // percent between seconds; the cost accounting below measures the probe's work directly.
  const bare = results.filter((r) => r.mode === 'bare');
  const leakwatch = results.filter((r) => r.mode === 'leakwatch');
  const workloadCpuUsPerSecond = median(bare.map((r) => r.cpuUsPerReq * r.reqPerSec));
  const httpGcsPerCpuSecond = sink.counts.gcs / (leakwatch.reduce((sum, r) => sum + r.cpuTotalUs, 0) / 1e6);
  console.log('');
  const cost = await runCostBench({ idleSeconds: 30 }, (line) => console.log(line));
  for (const line of formatCostReport(cost, { workloadCpuUsPerSecond, httpGcsPerCpuSecond })) console.log(line);
  console.log('');
  const allocCost = await runAllocCostBench({}, (line) => console.log(line));
  for (const line of formatAllocCostReport(allocCost, { workloadCpuUsPerSecond })) console.log(line);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:probe could not run: ${err.message}\n`);
    process.exit(1);
  },
);
