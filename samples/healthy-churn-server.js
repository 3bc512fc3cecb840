'use strict';
/**
 * A healthy HTTP service with heavy allocation churn, the control for leaky-cache-server.js.
 *
 * Every request builds a sizeable temporary report (a few hundred objects, serialised to a
 * ~30 KB JSON string and parsed back), so the heap saws up and down with frequent GCs. Rendered
 * responses are cached, but in a bounded LRU (500 entries, oldest evicted) over a key space larger
 * than the cache, so the heap floor stays flat once the cache is full. A profiler should call this
 * "no leak" (perhaps after a warm-up plateau), not "growing".
 *
 *   node samples/healthy-churn-server.js [--duration <seconds>] [--rate <requests/s>]
 *   SAMPLE_DURATION=<seconds> node samples/healthy-churn-server.js
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const http = require('node:http');

const NAME = 'healthy-churn-server';

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

const CACHE_LIMIT = 500;
/** Ids are drawn from a space ten times the cache size, so the LRU keeps evicting. */
const ID_SPACE = CACHE_LIMIT * 10;

/**
 * Bounded LRU: a Map iterates in insertion order, so re-inserting on a hit moves an entry to the
 * back and the first key is always the least recently used one.
 */
function createLru(limit) {
  const map = new Map();
  return {
    get(key) {
      const value = map.get(key);
      if (value !== undefined) {
        map.delete(key);
        map.set(key, value);
      }
      return value;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      if (map.size > limit) map.delete(map.keys().next().value);
    },
    get size() {
      return map.size;
    },
  };
}

const responseCache = createLru(CACHE_LIMIT);

/** Builds and throws away a lot of short-lived garbage, as a template or report renderer would. */
function buildReport(id) {
  const rows = [];
  for (let i = 0; i < 300; i++) {
    rows.push({ row: i, user: id, label: `item-${id}-${i}`, score: Math.sqrt(i * id + 1), tags: ['a', 'b', String(i % 10)] });
  }
  const json = JSON.stringify({ id, generatedAt: Date.now(), rows });
  const parsed = JSON.parse(json);
  let total = 0;
  for (const row of parsed.rows) total += row.score;
  return { id, rows: parsed.rows.length, total, bytes: json.length };
}

function handle(req, res) {
  let body = responseCache.get(req.url);
  if (body === undefined) {
    const id = Number(new URL(req.url, 'http://localhost').searchParams.get('id') ?? 0);
    body = JSON.stringify({ summary: buildReport(id), note: `report ${id} `.repeat(40) });
    responseCache.set(req.url, body);
  } else {
    // Cache hits churn too: the report is rebuilt to refresh statistics, then discarded.
    buildReport(0);
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
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
  let stopped = false;

  function fire() {
    inFlight++;
    issued++;
    const req = http.get({ host: '127.0.0.1', port, path: `/report?id=${Math.floor(Math.random() * ID_SPACE)}`, agent }, (res) => {
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
