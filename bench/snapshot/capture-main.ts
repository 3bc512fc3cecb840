import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { forkTracked, stopChild, waitForMessage } from '../common/tracked-children';
import type { HeapShape, PlainDone, ProbeDone, WorkerReady } from './capture-child';
import { createStandInCollector, type SeenUpload, type StandInCollector, type StandInStatus } from '../../support/stand-in-collector';
import { formatCaptureTable, type Row, type Round } from './capture-report';

/**
 * What the probe's snapshot path costs the app beyond V8's own `writeHeapSnapshot()`.
 *
 * For each heap size one child process (capture-child.ts) builds a heap of small objects and
 * starts the probe, connected to the stand-in collector in this process in mode 'discard-uploads'
 * (support/stand-in-collector.ts: acks, requests, reads, hashes and drops uploads, so no upload
 * is held in this process's memory; the record says whether size and sha256 matched).
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

/** The child's shapes, repeated here so that loading this module does not run the child. */
const SHAPES: readonly HeapShape[] = ['objects', 'closures', 'strings', 'map', 'doubles'];

const MB = 1024 * 1024;
/** A 400 MB heap takes about a minute to write on a small machine; leave a wide margin. */
const STEP_TIMEOUT_MS = 20 * 60_000;
const workerScript = path.join(__dirname, 'capture-child.js');

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
function waitForStored(sink: StandInCollector, requestId: string, timeoutMs: number): Promise<SeenUpload> {
  return new Promise<SeenUpload>((resolve, reject) => {
    let snapshotId: string | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      sink.events.off('status', onStatus);
      sink.events.off('upload-end', onStored);
    };
    const onStatus = (status: StandInStatus): void => {
      if (status.requestId !== requestId) return;
      if (status.state === 'capturing') snapshotId = status.snapshotId;
      else {
        cleanup();
        reject(new Error(`the probe answered ${status.state}: ${status.errorCode}: ${status.reason}`));
      }
    };
    const onStored = (upload: SeenUpload): void => {
      if (upload.begin?.snapshotId !== snapshotId) return;
      cleanup();
      resolve(upload);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no stored snapshot within ${timeoutMs} ms`));
    }, timeoutMs);
    sink.events.on('status', onStatus);
    sink.events.on('upload-end', onStored);
  });
}

async function plainRound(child: ChildProcess): Promise<Round['plain']> {
  const sampler = sampleRss(child.pid!);
  const answer = waitForMessage<PlainDone>(child, 'plain-done', STEP_TIMEOUT_MS);
  child.send({ type: 'plain' });
  const done = await answer;
  return { ...done, parentPeak: sampler.stop() };
}

async function probeRound(child: ChildProcess, sink: StandInCollector, requestId: string): Promise<Round['probe']> {
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
  if (!upload.intact) throw new Error(`upload ${upload.begin?.snapshotId} arrived damaged (size or sha256 mismatch)`);
  return { ...done, parentPeak: Math.max(peakBeforeUpload, uploadPeak), uploadRssGrowth: uploadPeak - rssAtUpload, upload };
}

async function measureHeap(heapMb: number, rounds: number, shape: HeapShape, log: (line: string) => void): Promise<Row> {
  const sink = await createStandInCollector({ mode: 'discard-uploads' });
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('LEAKWATCH_')) env[key] = value;
  const child = forkTracked(workerScript, [String(heapMb), sink.url, shape], { execArgv: ['--expose-gc'], env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
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

/** Runs the benchmark and returns the table text (the caller prints it). Progress goes to stderr. */
export async function runCaptureBench(options: CaptureBenchOptions): Promise<string> {
  const rounds = Math.max(1, Math.round(options.rounds ?? 3));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const rows: Row[] = [];
  const shape = options.shape ?? 'objects';
  for (const heapMb of options.heapMb) rows.push(await measureHeap(heapMb, rounds, shape, log));
  return formatCaptureTable(rows, shape);
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

// Standalone: `node dist/bench/snapshot/capture-main.js [--heap 100,400] [--rounds 3] [--shape objects]`.
// Exits 0 whatever the verdict: this is a measurement, not a test.
if (require.main === module) {
  runCaptureBench(parseArgs(process.argv.slice(2))).then(
    (text) => process.stdout.write(`${text}\n`),
    (err: Error) => {
      process.stderr.write(`bench/snapshot/capture-main failed: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
