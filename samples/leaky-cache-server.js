'use strict';
/**
 * A deliberately leaking HTTP service, for trying leakwatch on something that really grows.
 *
 * The bug: responses are memoized in a Map keyed by the full request URL and nothing ever evicts
 * them. Every distinct query string adds one CachedResponse (about 1.5 KB with its body and key)
 * that stays reachable from the module-level `responseCache` forever. The built-in load driver
 * requests unique URLs (`/user?id=<counter>`), so the heap floor rises steadily, by roughly
 * 5-10 MB per minute at the default 100 requests/s.
 *
 *   node samples/leaky-cache-server.js [--duration <seconds>] [--rate <requests/s>]
 *   SAMPLE_DURATION=<seconds> node samples/leaky-cache-server.js
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const http = require('node:http');

const NAME = 'leaky-cache-server';

/** Reads `--name <v>`, `--name=<v>` or the env fallback; a missing value means "not set". */
function option(name, envName) {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return envName ? process.env[envName] : undefined;
}

function positiveNumber(raw, what) {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${NAME}: ${what} must be a positive number of seconds or requests/s, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const durationS = positiveNumber(option('duration', 'SAMPLE_DURATION'), '--duration');
const rate = positiveNumber(option('rate', 'SAMPLE_RATE'), '--rate') ?? 100;

/** A named class, so the leak shows up under its own constructor name in a heap snapshot diff. */
class CachedResponse {
  constructor(url, body) {
    this.url = url;
    this.body = body;
    this.createdAt = Date.now();
    this.hits = 0;
  }
}

/** THE LEAK: unbounded, keyed by the full URL including the ever-changing query string. */
const responseCache = new Map();

function renderUser(id) {
  // About 1 KB of JSON per user: enough to make the growth visible within a minute or two.
  return JSON.stringify({
    id,
    name: `user-${id}`,
    email: `user-${id}@example.test`,
    roles: ['reader', id % 7 === 0 ? 'editor' : 'viewer'],
    bio: `User ${id} `.repeat(80).slice(0, 900),
    renderedAt: new Date().toISOString(),
  });
}

function handle(req, res) {
  let entry = responseCache.get(req.url);
  if (!entry) {
    const id = Number(new URL(req.url, 'http://localhost').searchParams.get('id') ?? 0);
    entry = new CachedResponse(req.url, renderUser(id));
    responseCache.set(req.url, entry);
  }
  entry.hits++;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(entry.body) });
  res.end(entry.body);
}

const server = http.createServer(handle);
// Keep-alive sockets outlive the load driver by this much at most; close() also drops idle ones.
server.keepAliveTimeout = 2000;

/**
 * Paced load over loopback: a few keep-alive sockets, requests issued on a 20 ms tick so the rate
 * is steady rather than bursty, and a cap on in-flight requests so a slow server is not buried.
 */
function startLoad(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const maxInFlight = 32;
  const started = Date.now();
  let issued = 0;
  let inFlight = 0;
  let counter = 0;
  let stopped = false;

  function fire() {
    inFlight++;
    issued++;
    const req = http.get({ host: '127.0.0.1', port, path: `/user?id=${++counter}`, agent }, (res) => {
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

let stopLoad = () => {};
let shuttingDown = false;

function shutdown(reason) {
  if (shuttingDown) return;
  shuttingDown = true;
  stopLoad();
  console.log(`${NAME} stopping (${reason}): ${responseCache.size} cached responses, heapUsed ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // If something still holds a connection open, do not hang: exit anyway shortly after.
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`${NAME} listening on http://127.0.0.1:${port}, driving load ${durationS === undefined ? 'until stopped' : `for ${durationS} s`}`);
  stopLoad = startLoad(port);
  if (durationS !== undefined) setTimeout(() => shutdown(`${durationS} s elapsed`), durationS * 1000).unref();
});
