import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { SendQueueStats } from '../../src/probe/send-queue';
import { REPO_ROOT } from './cli';

/** What the app's probe says about itself: its ids and its queue's counters. */
export interface ProbeAppStats extends SendQueueStats {
  run: string;
  boot: string;
  connected: boolean;
}

export interface ProbeApp {
  child: ChildProcess;
  stderr: () => string;
  /** The probe's current stats (asked over stdin). */
  stats(): Promise<ProbeAppStats>;
  /** Stops the probe (flush, bye, wait for the ack up to `deadlineMs`), then the app exits; resolves with the final stats. */
  stop(deadlineMs?: number): Promise<ProbeAppStats & { flushed: boolean }>;
}

const PROBE = path.join(REPO_ROOT, 'dist', 'src', 'probe', 'index.js');

/*
 * A small app with the real probe: it allocates a little all the time and answers two commands on
 * stdin, `stats` and `stop`, with one JSON line each. Allocation profiles and source-map uploads
 * are off, so every message after the hello is a batch with one sample, until the bye.
 */
const APP = `
const { startProbe, stopProbe } = require(${JSON.stringify(PROBE)});
const probe = startProbe({ collector: process.env.APP_COLLECTOR, interval: process.env.APP_INTERVAL, runName: process.env.APP_NAME, allocSampling: false, uploadSourceMaps: false });
const keep = [];
const churn = setInterval(() => { keep.push(Buffer.alloc(512).toString('hex')); if (keep.length > 4000) keep.length = 0; }, 20);
const info = () => ({ run: probe.runId, boot: probe.bootId, ...probe.stats() });
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let at = pending.indexOf('\\n'); at >= 0; at = pending.indexOf('\\n')) {
    const command = pending.slice(0, at);
    pending = pending.slice(at + 1);
    if (command === 'stats') process.stdout.write(JSON.stringify(info()) + '\\n');
    if (command.startsWith('stop ')) {
      stopProbe(Number(command.slice(5))).then(({ flushed }) => {
        clearInterval(churn);
        process.stdout.write(JSON.stringify({ ...info(), flushed }) + '\\n');
        process.exit(0);
      });
    }
  }
});
`;

/** Starts the app with its probe sending to `collector` (ws://.../ingest) every `interval`. */
export function startProbeApp(options: { collector: string; name: string; interval?: string }): ProbeApp {
  const child = spawn(process.execPath, ['-e', APP], {
    env: { ...process.env, APP_COLLECTOR: options.collector, APP_NAME: options.name, APP_INTERVAL: options.interval ?? '200ms' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const ask = <T>(command: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the probe app did not answer "${command}" (stderr: ${err.slice(-1000)})`)), timeoutMs);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as T);
      });
      child.stdin!.write(`${command}\n`);
    });
  return {
    child,
    stderr: () => err,
    stats: () => ask<ProbeAppStats>('stats', 10_000),
    stop: (deadlineMs = 20_000) => ask<ProbeAppStats & { flushed: boolean }>(`stop ${deadlineMs}`, deadlineMs + 10_000),
  };
}
