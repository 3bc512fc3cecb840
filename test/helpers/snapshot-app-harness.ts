import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SnapshotterStats } from '../../src/probe/snapshotter';
import { createStandInCollector, type StandInCollector, type StandInOptions } from '../../support/stand-in-collector';
import { makeTempDir } from './temp-dir';
import { waitFor } from './wait-for';

const register = path.resolve(__dirname, '..', '..', 'src', 'probe', 'register.js');
const appScript = path.join(__dirname, 'snapshot-app.js');

export interface AppStats {
  type: 'stats';
  beats: number;
  rss: number;
  probe: { connected: boolean; queued: number; snapshots: SnapshotterStats } | null;
}

export interface SnapshotAppHarness {
  collector: StandInCollector;
  child: ChildProcess;
  dir: string;
  stats(): Promise<AppStats>;
  ask<T>(message: object, answer: string): Promise<T>;
  stderr(): string;
}

const cleanups: (() => Promise<void> | void)[] = [];

/** Kills every app and closes every collector this file started; for the test file's `after`. */
export async function cleanUpSnapshotApps(): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
}

/** A stand-in collector, and the test app (helpers/snapshot-app.ts) in a child process with the probe attached by env. */
export async function startSnapshotApp(env: Record<string, string>, collectorOptions: StandInOptions = {}, execArgv: string[] = []): Promise<SnapshotAppHarness> {
  const collector = await createStandInCollector(collectorOptions);
  const temp = makeTempDir('probe-snapshot');
  let stderr = '';
  const child = fork(appScript, [], {
    // Strict: a rejection the probe leaves unhandled ends the app, and the test with it.
    execArgv: ['--unhandled-rejections=strict', ...execArgv, '-r', register],
    env: { ...process.env, LEAKWATCH_COLLECTOR: collector.url, LEAKWATCH_INTERVAL: '200ms', LEAKWATCH_SNAPSHOT_DIR: temp.dir, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await collector.close();
    temp.remove();
  });
  const ask = <T>(message: object, answer: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${answer}" from the app`)), 60_000);
      const onMessage = (msg: { type: string }): void => {
        if (msg.type !== answer) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(msg as T);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  await new Promise((resolve) => child.once('message', resolve));
  await waitFor('the probe hello', () => collector.messages.some((m) => m.type === 'hello'));
  return { collector, child, dir: temp.dir, stats: () => ask<AppStats>({ type: 'stats' }, 'stats'), ask, stderr: () => stderr };
}

export async function stopSnapshotApp(h: SnapshotAppHarness): Promise<void> {
  h.child.kill('SIGKILL');
  await h.collector.close();
}

export function dirEntries(dir: string): string[] {
  return fs.readdirSync(dir);
}

