/**
 * Evaluation of the leak-trend detector (`npm run eval:trend`): labelled workloads (leaky and
 * healthy) run under the real probe, streaming to one embedded collector; then, on each recorded
 * series, the detector and two baselines (least squares on raw heap used, memwatch's rule) give
 * verdicts at checkpoints using only the data up to that time. The workloads run as
 * `leakwatch run --check` runs them, with the measured heap floor on at its default schedule; our
 * detector is also judged on the same series with the measured points dropped (V8's own full GCs
 * only, as before the measured floor), so the difference is visible. Prints per workload the
 * verdicts and the time to a correct verdict; per detector the median and worst time to a correct
 * verdict, the errors (false positives and negatives at any checkpoint after the first answer),
 * and the healthy workloads' heap floor p-values; and PASS/FAIL against the target: no error,
 * median time to a correct verdict at or below both baselines', both baselines worse.
 *
 *   node dist/bench/trend-eval/main.js [--minutes 4] [--concurrency 6] [--checkpoint 30] [--only a,b]
 *                                      [--save DIR] [--replay DIR]
 *
 * --save writes each workload's recorded series (what the detectors read) to DIR/<workload>.json;
 * --replay judges series saved that way again without running anything, so a change to a detector
 * can be compared on exactly the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCollector, type Collector } from '../../src/collector/collector';
import { TREND_METRICS, TREND_POINTS, trendInputFrom } from '../../src/collector/run-verdict';
import { parseDuration } from '../../src/shared/duration';
import { PROBE_ENV } from '../../src/shared/probe-config';
import { createLogger } from '../../src/shared/log';
import { openStore } from '../../src/store/open-store';
import type { Store } from '../../src/store/store-interface';
import { detectLeak } from '../../src/trend/detect-leak';
import type { TrendInput, TrendResult, Verdict } from '../../src/trend/trend-model';
import { leastSquaresVerdict, memwatchVerdict } from './baselines';
import { EVAL_TREND_OPTIONS as OPTIONS } from '../../support/trend-eval-options';
import { DETECTORS, report, type Detector, type Evaluation } from './report';
import { checkpoints, scoreAnswers, timeToCorrect, truncateInput } from './score';
import { WORKLOADS } from './workload-child';


interface Args {
  minutes: number;
  concurrency: number;
  checkpointMs: number;
  only: string[];
  save: string | null;
  replay: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { minutes: 4, concurrency: 6, checkpointMs: 30_000, only: Object.keys(WORKLOADS), save: null, replay: null };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const number = Number(value);
    switch (argv[i]) {
      case '--minutes':
        if (!(number > 0)) throw new Error('--minutes needs a positive number');
        args.minutes = number;
        break;
      case '--concurrency':
        if (!(number >= 1)) throw new Error('--concurrency needs a number of at least 1');
        args.concurrency = Math.floor(number);
        break;
      case '--checkpoint':
        // leakwatch's duration rule: 30s, 2m, or a bare number of seconds.
        args.checkpointMs = parseDuration(value ?? '', '--checkpoint');
        break;
      case '--only':
        args.only = (value ?? '').split(',').filter(Boolean);
        for (const name of args.only) if (!WORKLOADS[name]) throw new Error(`unknown workload "${name}"`);
        break;
      case '--save':
      case '--replay':
        if (!value) throw new Error(`${argv[i]} needs a directory`);
        args[argv[i] === '--save' ? 'save' : 'replay'] = path.resolve(value);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
    i++;
  }
  return args;
}

/** Every child still running, so SIGINT and the final clean-up can end them. */
const children = new Set<ChildProcess>();

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs one workload under the probe for `ms`, then ends it. */
async function runWorkload(name: string, runId: string, ingestUrl: string, ms: number): Promise<void> {
  const probe = path.join(__dirname, '..', '..', 'src', 'probe', 'register.js');
  const program = path.join(__dirname, 'workload-child.js');
  const child = spawn(process.execPath, ['-r', probe, program, name], {
    env: {
      ...process.env,
      [PROBE_ENV.collector]: ingestUrl,
      [PROBE_ENV.runId]: runId,
      [PROBE_ENV.runName]: `eval-${name}`,
      [PROBE_ENV.interval]: '1s',
      // As `leakwatch run --check` does: the probe measures the heap floor on its default schedule.
      [PROBE_ENV.measureFloor]: '1',
      EVAL_RUN_MS: String(ms),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const early = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([early, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  if (child.exitCode !== null) throw new Error(`workload ${name} exited early with code ${child.exitCode}`);
  await stopChild(child);
}

/** Runs `jobs` at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await job(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * The same series without the probe's measured points: what our detector reads from V8's own
 * full GCs alone, as before the measured floor (the raw samples still carry the probe's GCs).
 */
function withoutMeasured(input: TrendInput): TrendInput {
  return { samples: input.samples, majorGcs: input.majorGcs.filter((g) => !g.measured) };
}

interface Verdicts {
  ours: TrendResult;
  oursV8: TrendResult;
  lsq: ReturnType<typeof leastSquaresVerdict>;
  mw: ReturnType<typeof memwatchVerdict>;
}

/** The baselines read the series as recorded: every full GC alike, measured or not. */
function verdicts(input: TrendInput): Verdicts {
  return {
    ours: detectLeak(input, OPTIONS),
    oursV8: detectLeak(withoutMeasured(input), OPTIONS),
    lsq: leastSquaresVerdict(input, OPTIONS),
    mw: memwatchVerdict(input, OPTIONS),
  };
}

/** The series the collector's verdict would read for this run. */
async function recordedInput(store: Store, name: string, runId: string): Promise<TrendInput> {
  const series = await store.querySeries(runId, TREND_METRICS, { points: TREND_POINTS });
  const gc = await store.queryGc(runId, { points: TREND_POINTS });
  const input = trendInputFrom(series, gc);
  if (input.samples.length < 2) throw new Error(`workload ${name}: no samples recorded (run ${runId})`);
  return input;
}

function evaluate(name: string, input: TrendInput, checkpointMs: number): Evaluation {
  const durationMs = input.samples[input.samples.length - 1].ts - input.samples[0].ts;
  const timelines = Object.fromEntries(DETECTORS.map((d) => [d, [] as { atMs: number; verdict: Verdict }[]])) as Record<Detector, { atMs: number; verdict: Verdict }[]>;
  let last: Verdicts | undefined;
  for (const atMs of checkpoints(durationMs, checkpointMs)) {
    last = verdicts(truncateInput(input, atMs));
    timelines.ours.push({ atMs, verdict: last.ours.verdict });
    timelines['ours, V8 GCs only'].push({ atMs, verdict: last.oursV8.verdict });
    timelines['least squares'].push({ atMs, verdict: last.lsq.verdict });
    timelines.memwatch.push({ atMs, verdict: last.mw.verdict });
  }
  const label = WORKLOADS[name].label;
  const final = last!;
  const perDetector = <T>(f: (d: Detector) => T): Record<Detector, T> => Object.fromEntries(DETECTORS.map((d) => [d, f(d)])) as Record<Detector, T>;
  return {
    name,
    label,
    durationMs,
    samples: input.samples.length,
    majorGcs: input.majorGcs.filter((g) => !g.measured).length,
    measuredGcs: input.majorGcs.filter((g) => g.measured).length,
    final: perDetector((d) => timelines[d][timelines[d].length - 1].verdict),
    timeToCorrect: perDetector((d) => timeToCorrect(label, timelines[d])),
    scores: perDetector((d) => scoreAnswers(label, timelines[d])),
    timelines,
    ours: final.ours,
    oursV8: final.oursV8,
    leastSquaresDetail: final.lsq.detail,
    memwatchDetail: final.mw.detail,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.replay) {
    const results = args.only
      .filter((name) => fs.existsSync(path.join(args.replay!, `${name}.json`)))
      .map((name) => evaluate(name, JSON.parse(fs.readFileSync(path.join(args.replay!, `${name}.json`), 'utf8')) as TrendInput, args.checkpointMs));
    if (results.length === 0) throw new Error(`no saved series in ${args.replay}`);
    process.exitCode = report(results, args.checkpointMs) ? 0 : 1;
    return;
  }
  const runMs = Math.round(args.minutes * 60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-eval-trend-'));
  let store: Store | undefined;
  let collector: Collector | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      await Promise.all([...children].map((c) => stopChild(c)));
      await collector?.close().catch(() => undefined);
      await store?.close().catch(() => undefined);
      fs.rmSync(tmp, { recursive: true, force: true });
    })());
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: stopping the workloads\n');
    void cleanUp().finally(() => process.exit(130));
  });
  try {
    store = await openStore({ target: { kind: 'embedded', dataDir: path.join(tmp, 'data') }, retentionDays: 30 });
    collector = await startCollector({ store, host: '127.0.0.1', port: 0, log: createLogger('warn'), flushIntervalMs: 500, snapshotDir: path.join(tmp, 'snapshots') });
    const ingestUrl = `ws://127.0.0.1:${collector.port}/ingest`;
    const stamp = Date.now().toString(36);
    const runIds = new Map(args.only.map((name) => [name, `eval-${name}-${stamp}`]));
    const rounds = Math.ceil(args.only.length / args.concurrency);
    process.stderr.write(`running ${args.only.length} workloads for ${args.minutes} min each, ${args.concurrency} at a time (~${Math.round(rounds * args.minutes)} min)\n`);
    await pool(args.only, args.concurrency, async (name) => {
      process.stderr.write(`  start ${name}\n`);
      await runWorkload(name, runIds.get(name)!, ingestUrl, runMs);
      process.stderr.write(`  done  ${name}\n`);
    });
    // The collector writes in batches: let the last ones reach the store.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const results: Evaluation[] = [];
    if (args.save) fs.mkdirSync(args.save, { recursive: true });
    for (const name of args.only) {
      const input = await recordedInput(store, name, runIds.get(name)!);
      if (args.save) fs.writeFileSync(path.join(args.save, `${name}.json`), JSON.stringify(input));
      results.push(evaluate(name, input, args.checkpointMs));
    }
    process.exitCode = report(results, args.checkpointMs) ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

main().catch((err) => {
  process.stderr.write(`eval-trend: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
