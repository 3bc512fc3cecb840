'use strict';
/**
 * What both samples share: their command-line options, an HTTP server on a random loopback port,
 * a paced load driver that sends it requests, and a clean shutdown after --duration or on
 * SIGINT/SIGTERM. Node built-ins only.
 */
const http = require('node:http');

/** Reads `--name <v>`, `--name=<v>` or the env fallback; a missing value means "not set". */
function option(name, envName) {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return envName ? process.env[envName] : undefined;
}

function positiveNumber(sample, raw, what) {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${sample}: ${what} must be a positive number of requests/s, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Node's setTimeout fires at once for longer delays, which would end the sample as it starts. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * leakwatch's duration rule (src/shared/duration.ts), repeated here because a sample needs
 * nothing but Node: a number with a unit (500ms, 30s, 10m, 2h, 1d) or a bare number of seconds.
 * Returns milliseconds, or undefined when not set.
 */
function durationMs(sample, raw, what) {
  if (raw === undefined || raw === '') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(String(raw).trim());
  const ms = match ? Math.round(Number(match[1]) * UNIT_MS[match[2] || 's']) : Number.NaN;
  if (!(ms > 0 && ms <= MAX_TIMER_MS)) {
    console.error(`${sample}: ${what} must be a duration above 0 and at most about 24.8 days, such as 300, 30s, 10m or 2h (a bare number is seconds), got "${raw}"`);
    process.exit(2);
  }
  return ms;
}

/** 300000 -> "300 s": how the start and stop lines name the duration. */
function secondsText(ms) {
  return `${ms / 1000} s`;
}

/**
 * Paced load over loopback: a few keep-alive sockets, requests issued on a 20 ms tick so the rate
 * is steady rather than bursty, and a cap on in-flight requests so a slow server is not buried.
 */
function startLoad(port, rate, nextPath) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const maxInFlight = 32;
  const started = Date.now();
  let issued = 0;
  let inFlight = 0;
  let stopped = false;

  function fire() {
    inFlight++;
    issued++;
    const req = http.get({ host: '127.0.0.1', port, path: nextPath(), agent }, (res) => {
      res.resume();
      res.on('end', () => inFlight--);
    });
    req.on('error', () => inFlight--);
  }

  const tick = setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (issued < due && inFlight < maxInFlight) fire();
    // Falling behind (server too slow): forget the backlog instead of bursting to catch up.
    if (due - issued > rate) issued = due;
  }, 20);
  // The server keeps the process alive while it listens; the driver must never be the reason to stay.
  tick.unref();

  return () => {
    stopped = true;
    clearInterval(tick);
    agent.destroy();
  };
}

/**
 * Runs a sample: `handle` answers requests, `nextPath()` names the next request of the load,
 * `describe()` says what the sample holds when it stops.
 * Options: --duration <duration> (SAMPLE_DURATION; 300, 30s, 10m: a bare number is seconds; default
 * until stopped), --rate <req/s> (SAMPLE_RATE; 100).
 */
function runSelfDrivingServer({ name, handle, nextPath, describe }) {
  const runMs = durationMs(name, option('duration', 'SAMPLE_DURATION'), '--duration');
  const rate = positiveNumber(name, option('rate', 'SAMPLE_RATE'), '--rate') ?? 100;
  const server = http.createServer(handle);
  // Keep-alive sockets outlive the load driver by this much at most; close() also drops idle ones.
  server.keepAliveTimeout = 2000;
  let stopLoad = () => {};
  let shuttingDown = false;

  function shutdown(reason) {
    if (shuttingDown) return;
    shuttingDown = true;
    stopLoad();
    console.log(`${name} stopping (${reason}): ${describe()}, heapUsed ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    // If something still holds a connection open, do not hang: exit anyway shortly after.
    setTimeout(() => process.exit(0), 2000).unref();
  }

  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    console.log(`${name} listening on http://127.0.0.1:${port}, driving load ${runMs === undefined ? 'until stopped' : `for ${secondsText(runMs)}`}`);
    stopLoad = startLoad(port, rate, nextPath);
    if (runMs !== undefined) setTimeout(() => shutdown(`${secondsText(runMs)} elapsed`), runMs).unref();
  });
}

module.exports = { runSelfDrivingServer };
