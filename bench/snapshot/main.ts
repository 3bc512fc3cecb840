import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { failureReason, lastJsonLine, runChild } from './child-runner';
import { parseDuration } from '../../src/shared/duration';
import type { GenerateResult } from './heap-child';
import { GENERATOR_VERSION } from './heap-model';
import { formatBytes, formatTable, formatTopTypes, medianRun, verdictFor, type EngineRun, type SizeRun } from './report';
import { ENGINES, type EngineName, type EngineResult } from './engine-child';
import { runCaptureBench } from './capture-main';
import { runDiffBench } from './diff-main';
import { runSuspectsBench } from './suspects-bench';
import { cliEngineArgs, cliEngineResult } from './cli-engine';

/**
 * `npm run bench:snapshot`: how our snapshot analysis compares with memlab and Chrome DevTools'
 * engine (heap-snapshot-toolkit) on synthetic heaps of about 50 MB, 300 MB and 1 GB of snapshot.
 *
 * The snapshots come from real V8 processes (heap-child.ts) and are cached on disk keyed
 * by size, generator version and V8 version, so re-runs skip the minutes of generation. Each engine
 * then runs alone in a fresh process per file (engine-child.ts), one at a time, so
 * wall time and peak RSS are the engine's own and never compete with another engine's.
 *
 * Options:
 *   --sizes 50,300,1000   target snapshot sizes in MB
 *   --engines leakwatch,leakwatch-cli,memlab,devtools,jsonparse
 *   --with-2gb            also a 2000 MB snapshot, analysed by our engine only (it must complete)
 *   --engines-2gb <list>  engines for the 2000 MB snapshot (leakwatch)
 *   --dir <dir>           snapshot cache (default: <os tmpdir>/leakwatch-bench-snapshots)
 *   --regenerate          ignore cached snapshots
 *   --max-old-space <MB>  V8 heap limit of every engine process but leakwatch-cli (16000)
 *   --timeout <duration>  per child process (60m; leakwatch's rule: 90m, 2h, a bare number is seconds)
 *   --timeout-min <min>   the same in minutes (older form)
 *   --repeat <n>          rounds (fresh processes) per engine on files under --repeat-below (3);
 *                         the table shows the medians and every round's ratios
 *   --repeat-below <MB>   (500)
 *   --diff-mb <MB>        size of the two snapshots of one process for the diff step (300)
 *   --no-diff             skip the diff and suspects steps (diff-main.ts, suspects-bench.ts) after the engines
 *   --no-capture          skip the capture benchmark that follows
 * Exits 0 whatever the verdict: this is a measurement, not a test. Non-zero only if it could not run.
 */

interface BenchOptions {
  sizes: number[];
  engines: EngineName[];
  with2gb: boolean;
  engines2gb: EngineName[];
  dir: string;
  regenerate: boolean;
  maxOldSpaceMb: number;
  timeoutMs: number;
  capture: boolean;
  diff: boolean;
  diffMb: number;
  repeat: number;
  repeatBelowMb: number;
}

const TWO_GB_TARGET_MB = 2000;

function parseList(raw: string | undefined, name: string): string[] {
  if (!raw) throw new Error(`--${name} needs a value`);
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    sizes: [50, 300, 1000],
    engines: [...ENGINES],
    with2gb: false,
    engines2gb: ['leakwatch'],
    dir: path.join(os.tmpdir(), 'leakwatch-bench-snapshots'),
    regenerate: false,
    maxOldSpaceMb: 16000,
    timeoutMs: 60 * 60_000,
    capture: true,
    diff: true,
    diffMb: 300,
    repeat: 3,
    repeatBelowMb: 500,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unexpected argument "${arg}"`);
    const name = match[1]!;
    const value = (): string => match[2] ?? argv[++i] ?? '';
    switch (name) {
      case 'sizes':
        options.sizes = parseList(value(), name).map((s) => {
          const mb = Number(s);
          if (!Number.isFinite(mb) || mb <= 0) throw new Error(`--sizes: "${s}" is not a positive number of MB`);
          return mb;
        });
        break;
      case 'engines':
      case 'engines-2gb': {
        const engines = parseList(value(), name).map((e) => {
          if (!(ENGINES as readonly string[]).includes(e)) throw new Error(`--${name}: unknown engine "${e}" (${ENGINES.join(', ')})`);
          return e as EngineName;
        });
        if (name === 'engines') options.engines = engines;
        else options.engines2gb = engines;
        break;
      }
      case 'with-2gb':
        options.with2gb = true;
        break;
      case 'dir':
        options.dir = path.resolve(value());
        break;
      case 'regenerate':
        options.regenerate = true;
        break;
      case 'max-old-space':
        options.maxOldSpaceMb = Number(value());
        if (!(options.maxOldSpaceMb > 0)) throw new Error('--max-old-space needs a positive number of MB');
        break;
      case 'timeout':
        options.timeoutMs = parseDuration(value(), '--timeout');
        break;
      case 'timeout-min':
        options.timeoutMs = Number(value()) * 60_000;
        if (!(options.timeoutMs > 0)) throw new Error('--timeout-min needs a positive number');
        break;
      case 'repeat':
        options.repeat = Number(value());
        if (!Number.isSafeInteger(options.repeat) || options.repeat < 1) throw new Error('--repeat needs a whole number >= 1');
        break;
      case 'repeat-below':
        options.repeatBelowMb = Number(value());
        if (!(options.repeatBelowMb >= 0)) throw new Error('--repeat-below needs a number of MB');
        break;
      case 'no-capture':
        options.capture = false;
        break;
      case 'no-diff':
        options.diff = false;
        break;
      case 'diff-mb':
        options.diffMb = Number(value());
        if (!(options.diffMb > 0)) throw new Error('--diff-mb needs a positive number of MB');
        break;
      default:
        throw new Error(`unknown option --${name}`);
    }
  }
  return options;
}

function machineLine(): string {
  const cpus = os.cpus();
  return (
    `machine: ${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown cpu'}, ${formatBytes(os.totalmem())} RAM, ` +
    `${os.platform()} ${os.release()}, node ${process.version} (V8 ${process.versions.v8})`
  );
}

/** A cached snapshot with what its generation printed. */
interface SnapshotFile {
  file: string;
  info: GenerateResult;
  generatedNow: boolean;
}

async function ensureSnapshot(targetMb: number, options: BenchOptions): Promise<SnapshotFile> {
  fs.mkdirSync(options.dir, { recursive: true });
  // V8's object layouts decide the content, so its version is part of the key.
  const base = `synthetic-${targetMb}mb-g${GENERATOR_VERSION}-v8-${process.versions.v8}`;
  const file = path.join(options.dir, `${base}.heapsnapshot`);
  const infoFile = `${file}.json`;
  if (!options.regenerate && fs.existsSync(file) && fs.existsSync(infoFile)) {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as GenerateResult;
    if (fs.statSync(file).size === info.fileBytes) return { file, info, generatedNow: false };
  }
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  // Room for the heap itself (about 0.7 x the snapshot) with slack; the snapshot writer's own
  // memory is outside the V8 heap.
  const heapMb = Math.max(4096, Math.ceil(targetMb * 3));
  process.stdout.write(`generating ${targetMb} MB snapshot -> ${file}\n`);
  const outcome = await runChild(
    [`--max-old-space-size=${heapMb}`, path.join(__dirname, 'heap-child.js'), '--target-mb', String(targetMb), '--out', partial],
    { timeoutMs: options.timeoutMs, echoStderr: true },
  );
  const info = outcome.code === 0 ? lastJsonLine<GenerateResult>(outcome.stdout) : null;
  if (!info) {
    fs.rmSync(partial, { force: true });
    throw new Error(`generating the ${targetMb} MB snapshot failed: ${failureReason(outcome)}`);
  }
  // Rename last, so an interrupted generation is never taken for a finished one.
  fs.writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(partial, file);
  return { file, info, generatedNow: true };
}

function describeGeneration(snapshot: SnapshotFile): string {
  const { info } = snapshot;
  const how = snapshot.generatedNow
    ? `generated in ${(info.totalMs / 1000).toFixed(1)} s (build ${(info.buildMs / 1000).toFixed(1)} s, write ${(info.writeMs / 1000).toFixed(1)} s)`
    : 'cached';
  return (
    `  ${formatBytes(info.fileBytes)} (target ${formatBytes(info.targetBytes)}, predicted ${formatBytes(info.predictedBytes)}): ` +
    `${info.nodeCount.toLocaleString('en-US')} nodes, ${info.edgeCount.toLocaleString('en-US')} edges, ${info.units} units ` +
    `(${(info.bytesPerUnit / 1024).toFixed(1)} KiB of snapshot per unit), heap ${formatBytes(info.heapUsedBytes)}` +
    `${info.peakRssBytes ? `, generator peak RSS ${formatBytes(info.peakRssBytes)}` : ''}; ${how}`
  );
}

async function runEngine(engine: EngineName, file: string, options: BenchOptions): Promise<EngineRun> {
  const cli = engine === 'leakwatch-cli';
  const outcome = await runChild(
    cli ? cliEngineArgs(file) : [`--max-old-space-size=${options.maxOldSpaceMb}`, path.join(__dirname, 'engine-child.js'), engine, file],
    { timeoutMs: options.timeoutMs },
  );
  const result = cli ? cliEngineResult(outcome) : outcome.code === 0 ? lastJsonLine<EngineResult>(outcome.stdout) : null;
  const childPeak = result?.peakRssBytes ?? 0;
  const run: EngineRun = {
    engine,
    ok: result?.ok === true,
    reason: result ? (result.error ?? '') : failureReason(outcome),
    wallMs: result?.wallMs ?? outcome.wallMs,
    peakRssBytes: Math.max(childPeak, outcome.sampledPeakRssBytes),
    childPeakRssBytes: childPeak,
    sampledPeakRssBytes: outcome.sampledPeakRssBytes,
    result,
  };
  const phases = result?.phases
    ? `; ${Object.entries(result.phases).map(([name, ms]) => `${name.replace(/Ms$/, '')} ${(ms / 1000).toFixed(1)} s`).join(', ')}`
    : '';
  const status = run.ok
    ? `${(run.wallMs / 1000).toFixed(1)} s, peak RSS ${formatBytes(run.peakRssBytes)} (child ${formatBytes(childPeak)}, sampled ${formatBytes(outcome.sampledPeakRssBytes)})${phases}`
    : `failed (${run.reason}) after ${(run.wallMs / 1000).toFixed(1)} s, peak RSS >= ${formatBytes(run.peakRssBytes)}`;
  process.stdout.write(`  ${engine.padEnd(13)} ${status}\n`);
  return run;
}

async function runSize(snapshot: SnapshotFile, engines: readonly EngineName[], options: BenchOptions): Promise<SizeRun> {
  // Sub-second runs on a shared VM swing by tens of percent from one process to the next, so the
  // smaller files get several rounds; the larger ones run for tens of seconds and once is enough.
  const roundCount = snapshot.info.fileBytes < options.repeatBelowMb * 1024 * 1024 ? options.repeat : 1;
  const rounds: EngineRun[][] = [];
  for (let round = 1; round <= roundCount; round++) {
    if (roundCount > 1) process.stdout.write(`  round ${round}/${roundCount}\n`);
    const runs: EngineRun[] = [];
    // Strictly one engine at a time: on a small machine two would share cores and memory. The
    // engines alternate within each round, so a slow spell of the machine hits all of them.
    for (const engine of engines) runs.push(await runEngine(engine, snapshot.file, options));
    rounds.push(runs);
  }
  return {
    targetMb: snapshot.info.targetBytes / (1024 * 1024),
    fileBytes: snapshot.info.fileBytes,
    nodeCount: snapshot.info.nodeCount,
    edgeCount: snapshot.info.edgeCount,
    runs: engines.map((_, i) => medianRun(rounds.map((runs) => runs[i]!))),
    rounds,
  };
}

/** Issue budget 4 (the app's pause and the probe's extra RSS per snapshot): capture-main.ts. */
async function runCapture(options: BenchOptions): Promise<void> {
  if (!options.capture) return;
  process.stdout.write('\ncapture benchmark (the app\'s pause and the probe\'s memory per snapshot, plain v8.writeHeapSnapshot alternated with the probe\'s path):\n');
  process.stdout.write(await runCaptureBench({ heapMb: [100, 400] }));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  process.stdout.write(`command: node ${path.relative(process.cwd(), __filename)} ${process.argv.slice(2).join(' ')}`.trimEnd() + '\n');
  process.stdout.write(`${machineLine()}\n`);
  process.stdout.write(`snapshots: ${options.dir}; engines run one at a time with --max-old-space-size=${options.maxOldSpaceMb}\n\n`);

  const sizes: SizeRun[] = [];
  for (const targetMb of options.sizes) {
    const snapshot = await ensureSnapshot(targetMb, options);
    process.stdout.write(`${targetMb} MB snapshot:\n${describeGeneration(snapshot)}\n`);
    sizes.push(await runSize(snapshot, options.engines, options));
  }

  let twoGb: SizeRun | null = null;
  if (options.with2gb) {
    const snapshot = await ensureSnapshot(TWO_GB_TARGET_MB, options);
    process.stdout.write(`${TWO_GB_TARGET_MB} MB snapshot:\n${describeGeneration(snapshot)}\n`);
    twoGb = await runSize(snapshot, options.engines2gb, options);
  }

  process.stdout.write(`\n${formatTable(sizes, options.engines)}\n`);
  if (twoGb) {
    process.stdout.write(`2 GB run: ${formatBytes(twoGb.fileBytes)}, ${twoGb.nodeCount.toLocaleString('en-US')} nodes, ${twoGb.edgeCount.toLocaleString('en-US')} edges:\n`);
    for (const run of twoGb.runs) {
      const verdict = run.engine === 'leakwatch' ? (run.ok ? ': PASS (completes)' : ': FAIL') : '';
      process.stdout.write(
        run.ok
          ? `  ${run.engine} ${(run.wallMs / 1000).toFixed(1)} s, peak RSS ${formatBytes(run.peakRssBytes)} of ${formatBytes(os.totalmem())}${verdict}\n`
          : `  ${run.engine} failed (${run.reason})${verdict}\n`,
      );
    }
  }
  const all = twoGb ? [...sizes, twoGb] : sizes;
  process.stdout.write(`\n${formatTopTypes(all)}\n`);
  const verdicts = sizes.map(verdictFor);
  const overall = verdicts.every((v) => v.pass) && (!twoGb || twoGb.runs.some((r) => r.engine === 'leakwatch' && r.ok));
  process.stdout.write(`\nbudget (>= 3x faster, <= 1/3 peak RSS on every size${twoGb ? ', 2 GB completes' : ''}): ${overall ? 'PASS' : 'FAIL'}\n`);

  if (options.diff) {
    process.stdout.write(`\ndiff step (#new / #deleted of two ${options.diffMb} MB snapshots of one process, against our analysis of one in the same run):\n`);
    await runDiffBench({ dir: options.dir, targetMb: options.diffMb, timeoutMs: options.timeoutMs, regenerate: options.regenerate });
    process.stdout.write(`\nsuspects step (growth suspects after the last of three ${options.diffMb} MB snapshots of one process, against our analysis of that snapshot in the same run):\n`);
    await runSuspectsBench({ dir: options.dir, targetMb: options.diffMb, timeoutMs: options.timeoutMs, regenerate: false });
  }

  await runCapture(options);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:snapshot: ${err.message}\n`);
  process.exit(1);
});
