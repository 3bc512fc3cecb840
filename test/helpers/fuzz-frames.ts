import { MAX_MESSAGE_BYTES } from '../../src/protocol/messages';
import { sampleAt } from './raw-probe';

/*
 * Frames for the ingest fuzz test: valid probe messages of every type, and mutations of them
 * (flipped bytes, truncation, wrong types, huge and negative numbers, missing fields, foreign
 * ids, binary frames, oversized frames). Everything is drawn from the seeded `rand`, so a failing
 * seed replays the same frames per sender.
 */

export type Rand = () => number;

export interface Frame {
  data: string | Buffer;
  binary: boolean;
  /** The mutation applied ('valid' for none). */
  kind: string;
}

export function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

function int(rand: Rand, below: number): number {
  return Math.floor(rand() * below);
}

const WEIRD_VALUES: readonly unknown[] = [null, true, 'x', '', [], {}, [1, 2], { a: 1 }, -1, 0.5, 2 ** 64, 1e308, -1e308, 2 ** 53, 2 ** 32, Number.MAX_VALUE, 'NaN', '1e999'];
const HUGE_NUMBERS: readonly number[] = [2 ** 64, 1e308, -1, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 32, 2 ** 32 - 1, 0.5, -0.0001, Number.MAX_VALUE, Number.MIN_VALUE, 1e19, 1e15];

export function validBody(rand: Rand, now: number): Record<string, unknown> {
  const at = now - int(rand, 3_600_000);
  switch (pick(rand, ['batch', 'batch', 'batch', 'snapshot-status', 'alloc-profile', 'source-map', 'watch-report', 'bye'] as const)) {
    case 'batch':
      return {
        type: 'batch',
        samples: Array.from({ length: 1 + int(rand, 3) }, (_, i) => sampleAt(at + i, 1e6 + int(rand, 1e8))),
        spaces: [{ ts: at, space: 'old_space', size: 1e6, used: 5e5, available: 1e5, physical: 1e6 }],
        gcs: [{ ts: at, kind: pick(rand, ['minor', 'major', 'incremental']), durationMs: rand() * 10, heapUsedAfter: rand() < 0.5 ? null : 4e5, weight: 1 + int(rand, 5) }],
      };
    case 'snapshot-status':
      return { type: 'snapshot-status', state: pick(rand, ['capturing', 'refused', 'failed', 'busy']), snapshotId: `fz-${int(rand, 50)}`, requestId: '', trigger: 'schedule', at, heapUsed: 5e6, estimatedBytes: 2e7, availableBytes: 1e9, reason: '', errorCode: '' };
    case 'alloc-profile':
      return {
        type: 'alloc-profile', at, startedAt: at - 60_000, intervalBytes: 524_288, stackDepth: 16,
        frames: [{ fn: 'leak', url: 'file:///app.js', line: 3, col: 9 }, { fn: 'main', url: 'file:///app.js', line: 1, col: 1 }],
        sites: [{ stack: [0, 1], liveBytes: int(rand, 1e7), samples: int(rand, 100) }],
        other: { sites: int(rand, 10), liveBytes: int(rand, 1e6), samples: int(rand, 10) },
      };
    case 'source-map':
      return { type: 'source-map', url: 'file:///app.js', sha256: 'a'.repeat(64), part: 0, parts: 2, data: '{"version":3' };
    case 'watch-report':
      return { type: 'watch-report', requestId: 'w-1', objectId: 1 + int(rand, 1000), state: 'done', reason: '', calls: 3, sampled: 3, watchedMs: 1000, frames: [{ fn: 'add', url: 'file:///app.js', line: 4, col: 2 }], stacks: [{ stack: [0], method: 'set', count: 3 }] };
    default:
      return { type: 'bye', endedAt: now, reason: 'fuzz', endsRun: false };
  }
}

export function helloBody(run: string, boot: string, startedAt: number): Record<string, unknown> {
  return { type: 'hello', run, boot, seq: 0, name: 'fuzz', labels: { fuzz: '1' }, pid: 4242, host: 'fuzz-host', node: 'v20', argv: ['fuzz.js'], startedAt, intervalMs: 1000, probeVersion: 'fuzz' };
}

/** Every path to a value inside `value` (objects and arrays), as key lists. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) {
    const key = Array.isArray(value) ? Number(k) : k;
    out.push([...prefix, key]);
    paths(v, [...prefix, key], out);
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown, remove = false): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete node[last];
  else node[last] = value;
}

/** `message` (a JSON object) mutated one way or another, or unchanged as kind 'valid'. */
export function mutate(rand: Rand, message: Record<string, unknown>, ids: { run: string; boot: string; victimBoot: string }): Frame {
  const copy = structuredClone(message);
  const json = JSON.stringify(copy);
  const kind = pick(rand, ['flip', 'flip', 'truncate', 'truncate', 'wrong-type', 'wrong-type', 'number', 'number', 'number', 'missing', 'ids', 'version', 'type', 'binary', 'seq', 'oversize']);
  const framed = (data: string | Buffer, binary = false): Frame => ({ data, binary, kind });
  switch (kind) {
    case 'flip': {
      const bytes = Buffer.from(json);
      for (let n = 1 + int(rand, 4); n > 0; n--) bytes[int(rand, bytes.length)] = int(rand, 256);
      return framed(bytes);
    }
    case 'truncate':
      return framed(json.slice(0, int(rand, json.length)));
    case 'wrong-type':
    case 'number':
    case 'missing': {
      const all = paths(copy);
      const numeric = all.filter((p) => typeof p.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], copy) === 'number');
      const path = pick(rand, kind === 'number' && numeric.length > 0 ? numeric : all);
      if (kind === 'missing') setAt(copy, path, undefined, true);
      else setAt(copy, path, kind === 'number' ? pick(rand, HUGE_NUMBERS) : pick(rand, WEIRD_VALUES));
      return framed(JSON.stringify(copy));
    }
    case 'ids':
      // Someone else's boot, a run id with forbidden characters, or a run id too long.
      Object.assign(copy, pick(rand, [{ boot: ids.victimBoot }, { run: 'bad run/id' }, { boot: 'b'.repeat(65) }, { run: ids.run, boot: `${ids.boot}x` }]));
      return framed(JSON.stringify(copy));
    case 'version':
      return framed(JSON.stringify({ ...copy, v: pick(rand, [0, 2, '1', null]) }));
    case 'type':
      return framed(JSON.stringify({ ...copy, type: pick(rand, ['launch', '', 'ack', 'snapshot-begin', 42]) }));
    case 'binary':
      return framed(Buffer.from(Array.from({ length: 1 + int(rand, 64) }, () => int(rand, 256))), true);
    case 'seq':
      return framed(JSON.stringify({ ...copy, seq: pick(rand, [-1, 0.5, 2 ** 60, '3', null]) }));
    default:
      // Oversized: only now and then (a MiB each), padded inside a string so it is still JSON.
      return rand() < 0.1 ? framed(JSON.stringify({ ...copy, pad: 'x'.repeat(MAX_MESSAGE_BYTES) })) : framed(JSON.stringify({ ...copy, pad: 'x'.repeat(int(rand, 5000)) }));
  }
}

/** A frame the collector always refuses: every fuzz connection ends with one, so each is closed by the collector. */
export function poison(rand: Rand): Frame {
  return pick(rand, [
    { data: Buffer.from([0xde, 0xad]), binary: true, kind: 'poison' },
    { data: '{"v":1,"type":"launch"}', binary: false, kind: 'poison' },
    { data: 'not json', binary: false, kind: 'poison' },
  ]);
}
