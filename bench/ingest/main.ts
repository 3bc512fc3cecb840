import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { forkTracked, stopChild, waitForMessage } from '../common/tracked-children';
import type { CollectorCommand, CollectorCount, CollectorMark, CollectorReady, DirectResult } from './collector-ipc';
import { runLoad, type LoadOptions } from './probe-load';
import { rowsPerBatch } from './probe-frames';
import { formatIngestReport, judge } from './report';
import { parseDuration } from '../../src/shared/duration';

/**
 * `npm run bench:ingest`: how much the collector's ingest path (socket, decode, shared batch
 * writer, ack after the insert) costs against writing the same rows straight into the store.
 *
 *   1. a collector in its own process (collector-child.ts) on the embedded engine in a temp dir;
 *   2. N simulated probes over real WebSockets from this process (load.ts), each with its own
 *      run; every batch timed from send to ack;
 *   3. after the last ack, the store's sample count for those runs (nothing may be lost);
 *   4. the direct baseline in the same collector process and store: the writer's inserts
 *      replayed with store.insertRows, same row counts in the same order, from the same frames.
 * The ratio of the two rates is the result; both phases run in one invocation, so the machine's
 * speed at the time affects both.
 *
 * Options: --mode paced|max (paced)  --probes <n> (1000 paced, 50 max)
 *          --seconds <whole seconds: 60, or 1m> (60 paced, 20 max)  --window <unacked batches per probe, max mode> (32)
 *          --cpu-prof <dir> (the collector process writes a V8 CPU profile there as it exits)
 * Exits 0 whatever the figures: this is a measurement, not a test; 1 only if it could not run
 * or rows were lost.
 */

interface BenchOptions extends Omit<LoadOptions, 'ingestUrl'> {
  /** Where the collector process writes a V8 CPU profile (--cpu-prof <dir>); none when absent. */
  cpuProfDir?: string;
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--cpu-prof') {
      values.set('cpu-prof', argv[++i] ?? '');
      continue;
    }
    const match = /^--(mode|probes|seconds|window)(?:=(.*))?$/.exec(argv[i]!);
    if (!match) throw new Error(`unknown argument "${argv[i]}" (expected --mode, --probes, --seconds, --window)`);
    values.set(match[1]!, match[2] ?? argv[++i] ?? '');
  }
  const mode = values.get('mode') ?? 'paced';
  if (mode !== 'paced' && mode !== 'max') throw new Error(`--mode must be paced or max, got "${mode}"`);
  const positive = (name: string, fallback: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive whole number, got "${raw}"`);
    return n;
  };
  // A duration by leakwatch's rule (a bare number is seconds), in whole seconds: the load counts rounds of 1 s.
  const secondsRaw = values.get('seconds');
  const seconds = secondsRaw === undefined ? (mode === 'paced' ? 60 : 20) : parseDuration(secondsRaw, '--seconds', { min: 1000 }) / 1000;
  if (!Number.isInteger(seconds)) throw new Error(`--seconds needs whole seconds, got "${secondsRaw}"`);
  return {
    mode,
    runPrefix: 'ingest',
    probes: positive('probes', mode === 'paced' ? 1000 : 50),
    seconds,
    window: positive('window', 32),
    cpuProfDir: values.get('cpu-prof') ? path.resolve(values.get('cpu-prof')!) : undefined,
  };
}

function ask<T extends { type: string }>(child: ChildProcess, command: CollectorCommand, timeoutMs = 300_000): Promise<T> {
  const answer = waitForMessage<T>(child, command.type, timeoutMs);
  child.send(command);
  return answer;
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench:ingest: ${(err as Error).message}\n`);
    process.exit(64);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-bench-ingest-'));
  const execArgv = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  const child = forkTracked(path.join(__dirname, 'collector-child.js'), [dataDir], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { ingestUrl } = await waitForMessage<CollectorReady>(child, 'ready', 120_000);
    process.stderr.write(`bench:ingest: collector ready; connecting ${options.probes} probes\n`);
    const load = await runLoad({ ...options, ingestUrl }, async () => {
      await ask<CollectorMark>(child, { type: 'mark' });
      process.stderr.write(`bench:ingest: probes connected and warm; measuring for ${options.seconds} s\n`);
    });
    const collector = await ask<CollectorMark>(child, { type: 'mark' });
    const stored = await ask<CollectorCount>(child, { type: 'count', runPrefix: options.runPrefix });
    process.stderr.write('bench:ingest: direct insert baseline\n');
    const direct = await ask<DirectResult>(child, { type: 'direct', runPrefix: 'direct', probes: options.probes });
    const directStored = await ask<CollectorCount>(child, { type: 'count', runPrefix: 'direct' });
    const rowsPerMessage = (rowsPerBatch(true) + 9 * rowsPerBatch(false)) / 10;
    const report = { options: { ...options, ingestUrl }, rowsPerMessage, load, collector, stored, direct, directStored };
    const verdict = judge(report);
    process.stdout.write(`${formatIngestReport(report, verdict)}\n`);
    child.send({ type: 'stop' } satisfies CollectorCommand);
    await new Promise((resolve) => child.once('exit', resolve));
    if (verdict.lost !== 0 || load.unacked !== 0) process.exitCode = 1;
  } finally {
    await stopChild(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:ingest failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
