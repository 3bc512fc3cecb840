import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES, closeReason } from '../src/protocol/close-codes';
import { createSendQueue } from '../src/probe/send-queue';
import { createTransport } from '../src/probe/transport';
import { REPO_ROOT } from './helpers/cli';
import { waitFor } from './helpers/wait-for';

/*
 * A collector that refuses the probe's hello (conflict, too many connections, …) is asked again
 * only after the longest backoff, and the app's stderr says so once, not once per attempt.
 */

const servers: WebSocketServer[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A tiny ws server that accepts the upgrade, then closes with `code` (as the collector refuses a hello). */
async function refusingServer(code: number, errorCode: string): Promise<{ url: string; attempts: number[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(wss);
  await new Promise((resolve) => wss.once('listening', resolve));
  const attempts: number[] = [];
  wss.on('connection', (ws) => {
    attempts.push(Date.now());
    ws.once('message', () => ws.close(code, closeReason(errorCode, 'refused by the test')));
  });
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/ingest`, attempts };
}

test('refused hello: one stderr line, then the longest backoff between attempts (never several a second)', { timeout: 30_000 }, async () => {
  const server = await refusingServer(CLOSE_CODES.LW_ERR_TOO_MANY_CONNECTIONS, 'LW_ERR_TOO_MANY_CONNECTIONS');
  const notices: string[] = [];
  const queue = createSendQueue({ maxMessages: 10, maxBytes: 1e6 });
  // A 1 s ceiling instead of 30 s so several attempts fit in the test; the policy is the same.
  const transport = createTransport({ url: server.url, trust: { token: undefined, ca: undefined }, queue, hello: () => '{"type":"hello"}', notice: (l) => notices.push(l), reconnectMaxMs: 1000 });
  transport.start();
  try {
    await waitFor('four refused attempts', () => server.attempts.length >= 4, 20_000, 20);
  } finally {
    transport.close();
  }
  const spacing = server.attempts.slice(1).map((t, i) => t - server.attempts[i]);
  // Jitter spreads the wait over [max/2, max]: at least 500 ms, never the 500 ms-doubling start.
  assert.ok(Math.min(...spacing) >= 450, `attempts ${spacing.join(', ')} ms apart`);
  const refusals = notices.filter((l) => l.includes('refused'));
  assert.equal(refusals.length, 1, `said once: ${notices.join(' | ')}`);
  assert.match(refusals[0]!, /^leakwatch probe: collector refused the connection \(LW_ERR_TOO_MANY_CONNECTIONS: refused by the test\); retrying in about 1 s/);
});

test('an app whose probe is refused runs on: one line on its stderr, one attempt in 4 s, no unhandled rejection', { timeout: 30_000 }, async () => {
  const server = await refusingServer(CLOSE_CODES.LW_ERR_PROBE_CONFLICT, 'LW_ERR_PROBE_CONFLICT');
  const register = path.join(REPO_ROOT, 'dist', 'src', 'probe', 'register.js');
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', '-r', register, '-e', 'setTimeout(() => console.log("app done"), 4000)'], {
    env: { ...process.env, LEAKWATCH_COLLECTOR: server.url, LEAKWATCH_INTERVAL: '200ms' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, err);
  assert.match(out, /app done/);
  assert.equal(server.attempts.length, 1, 'the default backoff after a refusal is 15-30 s');
  const lines = err.trim().split('\n');
  assert.equal(lines.length, 1, err);
  assert.match(lines[0]!, /^leakwatch probe: collector refused the connection \(LW_ERR_PROBE_CONFLICT: refused by the test\); retrying in about 30 s/);
});

test('stopProbe() ends at its deadline when the collector never acknowledges: flushed false, the app exits', { timeout: 30_000 }, async () => {
  const server = await refusingServer(CLOSE_CODES.LW_ERR_SPOOL_FULL, 'LW_ERR_SPOOL_FULL');
  const probeEntry = path.join(REPO_ROOT, 'dist', 'src', 'probe', 'index.js');
  const app = `
    const { startProbe, stopProbe } = require(${JSON.stringify(probeEntry)});
    startProbe({ collector: ${JSON.stringify(server.url)}, interval: 100, allocSampling: false });
    setTimeout(async () => {
      const startedAt = Date.now();
      const result = await stopProbe(300);
      console.log(JSON.stringify({ ...result, ms: Date.now() - startedAt }));
    }, 1000);
  `;
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', '-e', app], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, err);
  const result = JSON.parse(out.trim()) as { flushed: boolean; ms: number };
  assert.equal(result.flushed, false, 'nothing was acknowledged');
  // 300 ms deadline; the slack is for a busy machine, not for a wait on the collector.
  assert.ok(result.ms < 2300, `stopProbe(300) took ${result.ms} ms`);
  assert.ok(server.attempts.length >= 1);
});
