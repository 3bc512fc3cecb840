import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RunSummary } from '../src/shared/run-data';
import { REPO_ROOT, startCli, type CliProcess } from './helpers/cli';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

const temp = makeTempDir('fault');
const processes: { kill: (s: NodeJS.Signals) => void }[] = [];
after(() => {
  for (const p of processes) p.kill('SIGKILL');
  temp.remove();
});

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startCollect(port: number, data: string): CliProcess {
  const cli = startCli(['collect', '--port', String(port), '--data', data, '--log-level', 'warn']);
  processes.push(cli.child);
  return cli;
}

test('kill -9 of the collector loses nothing the probe measured: it buffers and resends after the restart', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const data = path.join(temp.dir, 'data');
  const base = `http://127.0.0.1:${port}`;
  let collector = startCollect(port, data);
  await collector.waitForLine(/listening on/);

  // A real app process with the probe attached, sampling every 200 ms for ~25 s.
  const app = spawn(process.execPath, ['-r', path.join(REPO_ROOT, 'dist', 'src', 'probe', 'register.js'), '-e', `
    const keep = [];
    const t = setInterval(() => { keep.push(Buffer.alloc(1024).toString('hex')); }, 10);
    setTimeout(() => clearInterval(t), 25000);
  `], { env: { ...process.env, LEAKWATCH_COLLECTOR: `ws://127.0.0.1:${port}/ingest`, LEAKWATCH_INTERVAL: '200ms', LEAKWATCH_RUN_NAME: 'fault-app' }, stdio: ['ignore', 'ignore', 'pipe'] });
  processes.push(app);
  let appStderr = '';
  app.stderr!.on('data', (d: Buffer) => (appStderr += d.toString()));

  const runId = await waitFor('the app run to appear', async () => {
    const { body } = await getJson<{ runs: RunSummary[] }>(`${base}/api/runs`);
    const run = body.runs.find((r) => r.name === 'fault-app' && r.sampleCount >= 5);
    return run?.id;
  });

  collector.child.kill('SIGKILL');
  await collector.exited;
  await new Promise((resolve) => setTimeout(resolve, 2500)); // ~12 samples measured while nobody listens
  collector = startCollect(port, data);
  await collector.waitForLine(/listening on/);

  const run = await waitFor('samples after the restart', async () => {
    const { body } = await getJson<{ run: RunSummary }>(`${base}/api/runs/${runId}`);
    return body.run.lastSampleAt !== null && body.run.lastSampleAt > Date.now() - 1000 && body.run.sampleCount >= 30 ? body.run : undefined;
  }, 30_000);
  assert.ok(run.sampleCount >= 30);

  // No hole: consecutive samples (every 200 ms) are never more than ~2 intervals apart,
  // including across the 2.5 s the collector was dead.
  const { body: series } = await getJson<{ t: number[] }>(`${base}/api/runs/${runId}/series?metrics=heapUsed&points=5000`);
  const gaps = series.t.slice(1).map((t, i) => t - series.t[i]);
  assert.ok(Math.max(...gaps) < 600, `largest gap between samples ${Math.max(...gaps)} ms`);
  assert.match(appStderr, /reconnected/, 'the probe said it reconnected');
  assert.doesNotMatch(appStderr, /Error|at .*\(/, 'no stack trace in the app');

  app.kill('SIGKILL');
  collector.child.kill('SIGINT');
  const exit = await collector.exited;
  assert.equal(exit.code, 0, `collector stops cleanly on SIGINT: ${collector.stderr()}`);
});
