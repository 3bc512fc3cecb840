import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { render } from './workload';
import type { BenchMode, MarkRequest, ServerMark, ServerReady } from './ipc';

/**
 * Workload server for the probe benchmark, forked once per round. Each request renders a small
 * JSON document from freshly allocated objects, so the server does the kind of work (and makes
 * the kind of garbage, hence GC events for the probe to observe) that a real API does.
 *
 * Mode `leakwatch` needs nothing here: the bench attaches the probe with `-r register.js`, exactly
 * as a user would. Mode `prom-client` loads prom-client lazily so that the other modes do not pay
 * for its module graph in their memory figures.
 */
const mode = process.argv[2] as BenchMode;
let requests = 0;
let metrics: (() => Promise<string>) | undefined;
let metricsContentType = 'text/plain';

const server = http.createServer((req, res) => {
  if (metrics && req.url === '/metrics') {
    metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metricsContentType });
        res.end(text);
      },
      (err: Error) => {
        res.writeHead(500);
        res.end(err.message);
      },
    );
    return;
  }
  const body = render(++requests);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});

/** Forced full GCs make heapUsed comparable between modes: what is retained, not GC timing. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

process.on('message', (message: MarkRequest) => {
  if (message?.type !== 'mark') return;
  if (message.gc) collectGarbage();
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const mark: ServerMark = {
    type: 'mark',
    atMs: performance.now(),
    cpuUs: cpu.user + cpu.system,
    requests,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
  };
  process.send!(mark);
});

// The bench going away (crash, Ctrl-C) must take the server with it.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

async function main(): Promise<void> {
  if (mode === 'prom-client') {
    const prom = await import('prom-client');
    prom.collectDefaultMetrics();
    metrics = () => prom.register.metrics();
    metricsContentType = prom.register.contentType;
  }
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    const ready: ServerReady = { type: 'ready', port: (server.address() as { port: number }).port };
    process.send!(ready);
  });
}

main().catch((err: Error) => {
  process.stderr.write(`bench server failed: ${err.message}\n`);
  process.exit(1);
});
