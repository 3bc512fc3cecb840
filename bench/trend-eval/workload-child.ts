/**
 * The labelled workloads of the trend evaluation (`npm run eval:trend`): small self-driving
 * programs, one per name (argv[2]), that run until killed. Every one serves a trickle of
 * "requests" (short-lived garbage, as any service makes) on top of its own memory behaviour,
 * so the GC saw-tooth the detectors must see through is there in all of them.
 * EVAL_RUN_MS is the planned run length: workloads whose shape is tied to the run (a cache full
 * at half-time, a leak starting after a third, a burst in the middle) scale to it.
 */
import { EventEmitter } from 'node:events';

const KB = 1024;
const MB = KB * KB;
const RUN_MS = Number(process.env.EVAL_RUN_MS ?? 240_000);
const started = Date.now();
const elapsed = (): number => Date.now() - started;

export type WorkloadLabel = 'leaky' | 'healthy';

export interface WorkloadSpec {
  label: WorkloadLabel;
  /** What it does, for the printed table. */
  description: string;
  /**
   * A quiet service (a few requests a second, few full GCs from V8): it does its own low-rate
   * serving in start() instead of the busy background of serveRequests().
   */
  quiet?: boolean;
  start(): void;
}

/** About `bytes` of JS heap in one object (an array of small integers, 8 bytes per element). */
function blob(bytes: number, seed: number): { id: number; data: number[] } {
  return { id: seed, data: new Array<number>(Math.max(1, Math.ceil(bytes / 8))).fill(seed & 0xff) };
}

/**
 * Every workload's background, as any service has: ~10k short-lived objects a second, dead before
 * the next tick (young-generation garbage), and requests in flight for 2 to 20 s, about 50 a second
 * with 8 KB of state each (~4 MB live at any time). Those outlive two scavenges, get promoted and
 * die in the old generation, so V8 runs a full GC every 10 to 30 s (measured), as in real services;
 * with only instant garbage a quiet heap can go many minutes without one, and then no detector can
 * tell growth from garbage that is merely waiting.
 */
function serveRequests(): void {
  let n = 0;
  setInterval(() => {
    const items: { id: number; name: string; tags: string[] }[] = [];
    for (let i = 0; i < 200; i++) items.push({ id: n + i, name: `item-${n + i}`, tags: [`t${i % 7}`, `c${i % 3}`] });
    n += JSON.stringify(items).length & 1;
  }, 20);
  const inFlight = new Map<number, unknown>();
  let request = 0;
  let seed = 7;
  setInterval(() => {
    // A fixed linear congruential sequence: the same lifetimes in every run.
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const id = request++;
    inFlight.set(id, blob(8 * KB, id));
    setTimeout(() => inFlight.delete(id), 2000 + (seed % 18_000));
  }, 20);
}

/**
 * A quiet service's requests: `perSecond` of them, each with 8 KB of state in flight for 1 to 5 s
 * and a little instant garbage. So little reaches the old generation that V8 runs a full GC only
 * every few minutes on its own (the case where a floor read from V8's GCs alone has no answer).
 */
function serveQuietly(perSecond: number, onRequest: (id: number) => void): void {
  let request = 0;
  let seed = 11;
  const inFlight = new Map<number, unknown>();
  setInterval(() => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const id = request++;
    inFlight.set(id, blob(8 * KB, id));
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: id + i, name: `row-${id + i}` }));
    if (JSON.stringify(rows).length === 0) inFlight.delete(id);
    setTimeout(() => inFlight.delete(id), 1000 + (seed % 4000));
    onRequest(id);
  }, Math.round(1000 / perSecond));
}

/** Keeps references the process never lets go of (the leak itself). */
const leaked: unknown[] = [];

export const WORKLOADS: Record<string, WorkloadSpec> = {
  'steady-leak': {
    label: 'leaky',
    description: '5 KB object retained every 100 ms (~170 MB/h)',
    start() {
      let i = 0;
      setInterval(() => leaked.push(blob(5 * KB, i++)), 100);
    },
  },
  'slow-leak': {
    label: 'leaky',
    description: '40 MB live data, leaks ~1 % of the heap per minute',
    start() {
      const base: unknown[] = [];
      for (let i = 0; i < 40 * KB; i++) base.push(blob(1 * KB, i));
      leaked.push(base);
      // The rate is fixed from the heap once the base data is in: 1 % of it per minute.
      const perSecond = Math.round((0.01 * process.memoryUsage().heapUsed) / 60);
      let i = 0;
      setInterval(() => leaked.push(blob(perSecond, i++)), 1000);
    },
  },
  'listener-leak': {
    label: 'leaky',
    description: 'a listener (closure over 4 KB) added per request, never removed',
    start() {
      const bus = new EventEmitter();
      bus.setMaxListeners(0);
      let i = 0;
      setInterval(() => {
        const context = blob(4 * KB, i++);
        bus.on('config-changed', () => context.data.length);
      }, 100);
    },
  },
  'buffer-leak': {
    label: 'leaky',
    description: 'off-heap: a 16 KB Buffer retained every 250 ms (~220 MB/h external)',
    start() {
      setInterval(() => leaked.push(Buffer.alloc(16 * KB, 1)), 250);
    },
  },
  'growing-map': {
    label: 'leaky',
    description: 'a Map keyed by request id, entries never deleted (~70 MB/h)',
    start() {
      const byRequest = new Map<string, unknown>();
      let i = 0;
      setInterval(() => {
        byRequest.set(`req-${i}`, { user: `user-${i % 1000}`, at: Date.now(), items: blob(1 * KB, i) });
        i++;
      }, 50);
    },
  },
  'late-leak': {
    label: 'leaky',
    description: 'healthy for the first 35 % of the run, then 8 KB retained every 100 ms',
    start() {
      let i = 0;
      setInterval(() => {
        if (elapsed() >= 0.35 * RUN_MS) leaked.push(blob(8 * KB, i++));
      }, 100);
    },
  },
  'capped-cache': {
    label: 'healthy',
    description: 'LRU cache of 8 KB entries filling to its cap at half-time, then evicting',
    start() {
      const interval = 100;
      const cap = Math.max(10, Math.round(RUN_MS / 2 / interval));
      const cache = new Map<number, unknown>();
      let i = 0;
      setInterval(() => {
        cache.set(i, blob(8 * KB, i));
        i++;
        if (cache.size > cap) cache.delete(cache.keys().next().value as number);
      }, interval);
    },
  },
  'session-ttl': {
    label: 'healthy',
    description: 'a 4 KB session every 50 ms, expiring after 15 s',
    start() {
      const sessions = new Map<number, { expires: number; state: unknown }>();
      let i = 0;
      setInterval(() => sessions.set(i, { expires: Date.now() + 15_000, state: blob(4 * KB, i++) }), 50);
      setInterval(() => {
        const now = Date.now();
        for (const [id, s] of sessions) if (s.expires <= now) sessions.delete(id);
      }, 1000);
    },
  },
  'batch-job': {
    label: 'healthy',
    description: 'every 30 s a batch builds ~30 MB of records, holds them 5 s, drops them',
    start() {
      let batch: unknown[] | null = null;
      setInterval(() => {
        batch = [];
        for (let i = 0; i < 30 * KB; i++) batch.push(blob(1 * KB, i));
        setTimeout(() => {
          batch = null;
        }, 5000);
      }, 30_000);
      // Keeps the reference observable so the batch is not optimised away.
      setInterval(() => batch?.length, 1000);
    },
  },
  'burst-backlog': {
    label: 'healthy',
    description: 'a queue of 4 KB jobs: a burst from 30 % to 40 % of the run, drained after',
    start() {
      const queue: unknown[] = [];
      let i = 0;
      setInterval(() => {
        const t = elapsed() / RUN_MS;
        const produce = t >= 0.3 && t < 0.4 ? 30 : 2;
        for (let k = 0; k < produce; k++) queue.push(blob(4 * KB, i++));
        // The consumer handles 10 jobs a tick (100/s): ahead of the normal 20/s, behind the burst.
        queue.splice(0, 10);
      }, 100);
    },
  },
  'buffer-pool': {
    label: 'healthy',
    description: '64 MB pool of 1 MB Buffers allocated at start, reused by every request',
    start() {
      const pool: Buffer[] = [];
      for (let i = 0; i < 64; i++) pool.push(Buffer.alloc(MB, i));
      let i = 0;
      setInterval(() => {
        const buf = pool[i++ % pool.length];
        buf.write(`request ${i}`, (i * 64) % (MB - 64));
      }, 20);
    },
  },
  'quiet-cache': {
    label: 'healthy',
    quiet: true,
    description: 'quiet: 3 req/s, an LRU cache of 200 entries of 4 KB (full after ~70 s), evicting after',
    start() {
      const cache = new Map<number, unknown>();
      serveQuietly(3, (id) => {
        cache.set(id, blob(4 * KB, id));
        if (cache.size > 200) cache.delete(cache.keys().next().value as number);
      });
    },
  },
  'quiet-leak': {
    label: 'leaky',
    quiet: true,
    description: 'quiet: 3 req/s, 2 KB retained per request (~20 MB/h)',
    start() {
      serveQuietly(3, (id) => leaked.push(blob(2 * KB, id)));
    },
  },
  'heavy-churn': {
    label: 'healthy',
    description: 'heavy churn: ~2 MB of short-lived objects every 20 ms, nothing kept',
    start() {
      let checksum = 0;
      setInterval(() => {
        const rows: { id: number; payload: number[]; name: string }[] = [];
        for (let i = 0; i < 1000; i++) rows.push({ id: i, payload: new Array<number>(200).fill(i), name: `row-${i}` });
        checksum = (checksum + rows.length) % 997;
      }, 20);
    },
  },
};

if (require.main === module) {
  const name = process.argv[2] ?? '';
  const spec = WORKLOADS[name];
  if (!spec) {
    process.stderr.write(`unknown workload "${name}"; one of: ${Object.keys(WORKLOADS).join(', ')}\n`);
    process.exit(2);
  }
  if (!spec.quiet) serveRequests();
  spec.start();
  // A parent that dies without killing us must not leave the workload running.
  process.on('disconnect', () => process.exit(0));
}
