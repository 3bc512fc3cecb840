'use strict';
/**
 * A healthy HTTP service with heavy allocation churn, the control for leaky-cache-server.js.
 *
 * Every request builds a sizeable temporary report (a few hundred objects, serialised to a
 * ~30 KB JSON string and parsed back), so the heap saws up and down with frequent GCs. Rendered
 * responses are cached, but in a bounded LRU (500 entries, oldest evicted) over a key space larger
 * than the cache, so the heap floor stays flat once the cache is full (after about 6 s at the
 * default 100 requests/s; the sample prints one line then). The module-level `responseCache`
 * holds at most 500 RenderedReport objects (about 2.5 KB each). A profiler should call this
 * "no leak" (perhaps after a warm-up plateau), not "growing".
 *
 *   node samples/healthy-churn-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *   SAMPLE_DURATION=<seconds> node samples/healthy-churn-server.js
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'healthy-churn-server';


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

/** Named, so the cached reports show under their own constructor in a heap snapshot. */
class RenderedReport {
  constructor(body) {
    this.body = body;
    this.renderedAt = Date.now();
  }
}

const responseCache = createLru(CACHE_LIMIT);
const startedAt = Date.now();
let full = false;

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
  let report = responseCache.get(req.url);
  if (report === undefined) {
    const id = Number(new URL(req.url, 'http://localhost').searchParams.get('id') ?? 0);
    report = new RenderedReport(JSON.stringify({ summary: buildReport(id), note: `report ${id} `.repeat(40) }));
    responseCache.set(req.url, report);
    if (!full && responseCache.size === CACHE_LIMIT) {
      full = true;
      console.log(`${NAME} warmed up: the cache reached its cap of ${CACHE_LIMIT} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    }
  } else {
    // Cache hits churn too: the report is rebuilt to refresh statistics, then discarded.
    buildReport(0);
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(report.body) });
  res.end(report.body);
}

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => `/report?id=${Math.floor(Math.random() * ID_SPACE)}`,
  describe: () => `${responseCache.size} cached responses (cap ${CACHE_LIMIT})`,
});
