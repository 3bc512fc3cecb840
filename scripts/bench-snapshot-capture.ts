import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { forkTracked, stopChild, waitForMessage } from './bench-children';
import { startSnapshotSink, type SinkUpload, type SnapshotSink } from './bench-snapshot-sink';
import type { HeapShape, PlainDone, ProbeDone, WorkerReady } from './bench-snapshot-capture-worker';
import { median } from './bench-stats';

/**
 * What the probe's snapshot path costs the app beyond V8's own `writeHeapSnapshot()`.
 *
 * For each heap size one child process (bench-snapshot-capture-worker.ts) builds a heap of small
 * objects and starts the probe, connected to a sink in this process that plays the collector
 * (bench-snapshot-sink.ts: acks, requests, reads and discards uploads, checks their sha256).
 * Rounds alternate, in alternating order, between
 *   (a) plain: `v8.writeHeapSnapshot()` to a temp file, nothing else;
 *   (b) probe: a `snapshot-request` to the probe: headroom guard, status, the same V8 write,
 *       then the streamed upload until `snapshot-stored` and the file deleted.
 * Pause: the longest gap of a 1 ms interval timer in the app over the whole operation, the
 * event-loop block the app sees. Peak RSS: the child's VmHWM, reset before each operation
 * (or, where /proc/self/clear_refs is not writable, this process sampling the child's VmRSS
 * every 2 ms). Budgets: probe pause <= 1.1x plain pause; probe peak RSS <= plain peak + 32 MB.
 * The plain rounds also give the figures behind the headroom guard's estimate: file size per
 * heap byte and V8's extra peak RSS per file byte and per heap byte.
 */

export interface CaptureBenchOptions {
  heapMb: number[];
  /** Rounds of (plain, probe) per heap size (default 3). */
  rounds?: number;
  /** What the heap holds (default 'objects': small objects with a string and an array each). */
  shape?: HeapShape;
}

/** The worker's shapes, repeated here so that loading this module does not run the worker. */
const SHAPES: readonly HeapShape[] = ['objects', 'closures', 'strings', 'map', 'doubles'];

const MB = 1024 * 1024;
const PAUSE_BUDGET_RATIO = 1.1;
const RSS_BUDGET_BYTES = 32 * MB;
/** A 400 MB heap takes about a minute to write on a small machine; leave a wide margin. */
const STEP_TIMEOUT_MS = 20 * 60_000;
const workerScript = path.join(__dirname, 'bench-snapshot-capture-worker.js');

interface Round {
  plain: PlainDone & { parentPeak: number };
  probe: ProbeDone & { parentPeak: number; uploadRssGrowth: number; upload: SinkUpload };
}

interface Row {
  heapMb: number;
  rounds: Round[];
}

/**
 * Samples a process's VmRSS every 2 ms: the fallback peak when VmHWM cannot be reset, and the
 * RSS growth during the upload alone (`restart()` when it begins).
 */
function sampleRss(pid: number) {
  let latest = 0;
  let peak = 0;
  const read = (): void => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      latest = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
      peak = Math.max(peak, latest);
    } catch {
      // The process is gone or /proc is not there: keep what was seen.
    }
  };
  read();
  const timer = setInterval(read, 2);
  return {
    peak: (): number => peak,
    /** Starts a new peak from the current RSS; returns that RSS. */
    restart(): number {
      read();
      peak = latest;
      return latest;
    },
    stop(): number {
      clearInterval(timer);
      return peak;
    },
  };
}

/** The upload answering `requestId`; rejects when the probe answers refused/busy/failed instead. */
function waitForStored(sink: SnapshotSink, requestId: string, timeoutMs: number): Promise<SinkUpload> {
  return new Promise<SinkUpload>((resolve, reject) => {
    let snapshotId: string | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      sink.events.off('status', onStatus);
      sink.events.off('stored', onStored);
    };
    const onStatus = (status: { requestId: string; state: string; snapshotId: string; reason: string; errorCode: string }): void => {
      if (status.requestId !== requestId) return;
      if (status.state === 'capturing') snapshotId = status.snapshotId;
      else {
        cleanup();
        reject(new Error(`the probe answered ${status.state}: ${status.errorCode}: ${status.reason}`));
      }
    };
    const onStored = (upload: SinkUpload): void => {
      if (upload.begin.snapshotId !== snapshotId) return;
      cleanup();
      resolve(upload);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no stored snapshot within ${timeoutMs} ms`));
    }, timeoutMs);
    sink.events.on('status', onStatus);
    sink.events.on('stored', onStored);
  });
}

async function plainRound(child: ChildProcess): Promise<Round['plain']> {
  const sampler = sampleRss(child.pid!);
  const answer = waitForMessage<PlainDone>(child, 'plain-done', STEP_TIMEOUT_MS);
  child.send({ type: 'plain' });
  const done = await answer;
  return { ...done, parentPeak: sampler.stop() };
}

async function probeRound(child: ChildProcess, sink: SnapshotSink, requestId: string): Promise<Round['probe']> {
  const armed = waitForMessage(child, 'armed', 30_000);
  child.send({ type: 'arm' });
  await armed;
  const sampler = sampleRss(child.pid!);
  // From the moment the upload connection opens, the peak is the upload's alone.
  let peakBeforeUpload = 0;
  let rssAtUpload = 0;
  sink.events.once('upload-open', () => {
    peakBeforeUpload = sampler.peak();
    rssAtUpload = sampler.restart();
  });
  const stored = waitForStored(sink, requestId, STEP_TIMEOUT_MS);
  sink.request(requestId);
  const upload = await stored;
  const uploadPeak = sampler.stop();
  const answer = waitForMessage<ProbeDone>(child, 'probe-done', STEP_TIMEOUT_MS);
  child.send({ type: 'collect' });
  const done = await answer;
  if (!upload.intact) throw new Error(`upload ${upload.begin.snapshotId} arrived damaged (size or sha256 mismatch)`);
  return { ...done, parentPeak: Math.max(peakBeforeUpload, uploadPeak), uploadRssGrowth: uploadPeak - rssAtUpload, upload };
}

async function measureHeap(heapMb: number, rounds: number, shape: HeapShape, log: (line: string) => void): Promise<Row> {
  const sink = await startSnapshotSink();
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('LEAKWATCH_')) env[key] = value;
  const child = forkTracked(workerScript, [String(heapMb), sink.ingestUrl, shape], { execArgv: ['--expose-gc'], env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const helloSeen = new Promise((resolve) => sink.events.once('hello', resolve));
    const ready = await waitForMessage<WorkerReady>(child, 'ready', STEP_TIMEOUT_MS);
    await helloSeen;
    log(`heap ${heapMb} MB of ${shape}: ${(ready.heapUsed / MB).toFixed(0)} MB used, pid ${child.pid}`);
    const result: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first: the first snapshot of a process grows its malloc arenas and
      // whatever that does to the second must not always favour the same side.
      let plain: Round['plain'] | undefined;
      let probe: Round['probe'] | undefined;
      for (const side of r % 2 === 0 ? ['plain', 'probe'] : ['probe', 'plain']) {
        if (side === 'plain') plain = await plainRound(child);
        else probe = await probeRound(child, sink, `bench-${heapMb}-${r}`);
        log(`  round ${r + 1} ${side}: pause ${(side === 'plain' ? plain!.maxGapMs : probe!.maxGapMs).toFixed(0)} ms`);
      }
      result.push({ plain: plain!, probe: probe! });
    }
    return { heapMb, rounds: result };
  } finally {
    await stopChild(child);
    await sink.close();
  }
}

function peakOf(m: { peakRss: number; peakReset: boolean; parentPeak: number }): number {
  return m.peakReset ? m.peakRss : m.parentPeak;
}

function formatTable(rows: Row[], shape: HeapShape): string {
  const header = [
    'heap MB', 'heap used', 'file MB', 'file/heap', 'V8 extra RSS (1st)', 'per file B', 'per heap B',
    'plain pause', 'probe pause', 'ratio (range)', 'V8 CPU ratio', 'probe/own V8', 'probe extra RSS', 'upload RSS', 'upload', 'verdict',
  ];
  const lines: string[][] = [header];
  const verdicts: string[] = [];
  for (const row of rows) {
    const plains = row.rounds.map((r) => r.plain);
    const heapUsed = median(plains.map((p) => p.heapUsed));
    const size = median(plains.map((p) => p.size));
    // The process's first snapshot (round 1 runs plain first): later ones reuse the native memory
    // the first left in the allocator (RSS stays up after it), so only the first shows V8's full need.
    const first = row.rounds[0]!.plain;
    const v8Extra = peakOf(first) - first.rssBefore;
    const plainPause = median(plains.map((p) => p.maxGapMs));
    const probePause = median(row.rounds.map((r) => r.probe.maxGapMs));
    // Paired per round (the two operations ran back to back): machine drift cancels out.
    const ratios = row.rounds.map((r) => r.probe.maxGapMs / r.plain.maxGapMs);
    const ratio = median(ratios);
    // Within one probe operation: its pause over V8's own write time, i.e. what the probe adds.
    const own = median(row.rounds.map((r) => r.probe.maxGapMs / r.probe.captureMs));
    // The V8 write's CPU time, probe path over plain: near 1 when a pause ratio away from 1 is the
    // machine (other processes taking the CPU) rather than the write itself.
    const cpuRatio = median(row.rounds.map((r) => r.probe.captureCpuMs / r.plain.cpuMs));
    const probeExtra = median(row.rounds.map((r) => peakOf(r.probe) - peakOf(r.plain)));
    const uploadGrowth = Math.max(...row.rounds.map((r) => r.probe.uploadRssGrowth));
    const uploadMBs = median(row.rounds.map((r) => r.probe.upload.bytes / MB / (r.probe.upload.uploadMs / 1000)));
    const pass = ratio <= PAUSE_BUDGET_RATIO && probeExtra <= RSS_BUDGET_BYTES;
    verdicts.push(
      `heap ${row.heapMb} MB: pause ratio ${ratio.toFixed(3)} (budget ${PAUSE_BUDGET_RATIO}), probe extra peak RSS ${(probeExtra / MB).toFixed(1)} MB (budget ${RSS_BUDGET_BYTES / MB} MB): ${pass ? 'PASS' : 'FAIL'}`,
    );
    if (ratio > PAUSE_BUDGET_RATIO && cpuRatio <= PAUSE_BUDGET_RATIO && own <= PAUSE_BUDGET_RATIO) {
      verdicts.push(
        `  the V8 write used the same CPU time on both paths (ratio ${cpuRatio.toFixed(3)}) and the probe added nothing to its own pause (${own.toFixed(3)}): other processes took the CPU during the probe rounds; rerun with more --rounds on a quieter machine`,
      );
    }
    lines.push([
      String(row.heapMb),
      `${(heapUsed / MB).toFixed(0)} MB`,
      (size / MB).toFixed(0),
      (size / heapUsed).toFixed(2),
      `${(v8Extra / MB).toFixed(0)} MB`,
      (v8Extra / size).toFixed(1),
      (v8Extra / heapUsed).toFixed(1),
      `${plainPause.toFixed(0)} ms`,
      `${probePause.toFixed(0)} ms`,
      `${ratio.toFixed(3)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
      cpuRatio.toFixed(3),
      own.toFixed(3),
      `${(probeExtra / MB).toFixed(1)} MB`,
      `+${(uploadGrowth / MB).toFixed(1)} MB`,
      `${uploadMBs.toFixed(0)} MB/s`,
      pass ? 'PASS' : 'FAIL',
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const table = lines.map((l) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const rounds = rows[0]?.rounds.length ?? 0;
  const peakSource = rows.every((r) => r.rounds.every((x) => x.plain.peakReset && x.probe.peakReset)) ? 'VmHWM reset per operation' : 'VmRSS sampled every 2 ms';
  return [
    `Heap snapshot capture, heap of ${shape}: plain v8.writeHeapSnapshot() vs the probe's path (median of ${rounds} round(s); peak RSS from ${peakSource})`,
    ...table,
    '',
    'pause = longest event-loop gap the app saw; ratio = probe pause / plain pause, paired per round, median;',
    'V8 CPU ratio = CPU time of the V8 write, probe path / plain, paired, median (far less sensitive to other processes than the pause);',
    'probe/own V8 = probe pause / the V8 write inside that same probe operation (what the probe itself adds);',
    'V8 extra RSS (1st) = peak - RSS before of the process\'s first snapshot, plain (per file B, per heap B: per byte of file / of heap used);',
    'probe extra RSS = probe peak - plain peak, paired per round, median;',
    'upload RSS = largest RSS growth from the upload connection opening to snapshot-stored (2 ms samples), worst round',
    ...verdicts,
  ].join('\n');
}

/** Runs the benchmark and returns the table text (the caller prints it). Progress goes to stderr. */
export async function runCaptureBench(options: CaptureBenchOptions): Promise<string> {
  const rounds = Math.max(1, Math.round(options.rounds ?? 3));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const rows: Row[] = [];
  const shape = options.shape ?? 'objects';
  for (const heapMb of options.heapMb) rows.push(await measureHeap(heapMb, rounds, shape, log));
  return formatTable(rows, shape);
}

function parseArgs(argv: readonly string[]): CaptureBenchOptions {
  const options: CaptureBenchOptions = { heapMb: [100, 400], rounds: 3 };
  for (let i = 0; i < argv.length; i++) {
    const match = /^--(heap|rounds|shape)(?:=(.*))?$/.exec(argv[i]!);
    if (!match) throw new Error(`unknown argument "${argv[i]}" (expected --heap <MB,MB...>, --rounds <n> or --shape <${SHAPES.join('|')}>)`);
    const raw = match[2] ?? argv[++i] ?? '';
    if (match[1] === 'shape') {
      if (!SHAPES.includes(raw as HeapShape)) throw new Error(`--shape must be one of ${SHAPES.join(', ')}, got "${raw}"`);
      options.shape = raw as HeapShape;
    } else if (match[1] === 'heap') {
      options.heapMb = raw.split(',').map(Number);
      if (options.heapMb.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`--heap needs sizes in MB such as 100,400, got "${raw}"`);
    } else {
      options.rounds = Number(raw);
      if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error(`--rounds needs a positive whole number, got "${raw}"`);
    }
  }
  return options;
}

// Standalone: `node dist/scripts/bench-snapshot-capture.js [--heap 100,400] [--rounds 3] [--shape objects]`.
// Exits 0 whatever the verdict: this is a measurement, not a test.
if (require.main === module) {
  runCaptureBench(parseArgs(process.argv.slice(2))).then(
    (text) => process.stdout.write(`${text}\n`),
    (err: Error) => {
      process.stderr.write(`bench-snapshot-capture failed: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
