import path from 'node:path';
import type { RunSummary } from '../../src/shared/run-data';
import { SAMPLES, startCli, type CliProcess } from './cli';
import { getJson, waitFor } from './wait-for';

export interface SampleRun {
  cli: CliProcess;
  /** The collector's origin, from the printed UI link. */
  base: string;
  runId: string;
}

/**
 * Starts the real `leakwatch run [flags] -- node samples/<sample>` and waits until the run has a
 * few samples stored, so a page opened on it has something to draw.
 */
export async function startSampleRun(flags: string[], sample: string, env: NodeJS.ProcessEnv = {}): Promise<SampleRun> {
  const cli = startCli(['run', ...flags, '--', process.execPath, '--unhandled-rejections=strict', path.join(SAMPLES, sample)], env);
  const [, base, runId] = await cli.waitForLine(/leakwatch UI: (http:\/\/[^/\s]+)\/runs\/([\w-]+)/);
  await waitFor('the run to have samples', async () => {
    const { status, body } = await getJson<{ run: RunSummary }>(`${base}/api/runs/${runId}`);
    return status === 200 && body.run.sampleCount >= 4;
  }, 30_000);
  return { cli, base, runId };
}

/** Stops a `leakwatch run` like Ctrl-C does, and kills it if it has not exited within 10 s. */
export async function stopSampleRun(proc: CliProcess | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null) return;
  proc.child.kill('SIGINT');
  const exited = await Promise.race([proc.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
  if (!exited) proc.child.kill('SIGKILL');
}
