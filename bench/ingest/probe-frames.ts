import v8 from 'node:v8';
import { createSeededRandom } from '../../support/seeded-random';

/**
 * The frames a simulated probe sends, shaped like the real probe's (src/probe/sampler.ts): one
 * batch a second holding one sample, one row per V8 heap space (the names this V8 reports) and a
 * few GC events (two minor, a major every tenth batch with the heap used after it).
 *
 * A thousand sockets from one process on a small machine must cost the generator little, so
 * each probe's batch is encoded once, with marker numbers where the values change, and every
 * message is then the text between the markers joined with this message's numbers: no object
 * is built or stringified per message.
 */

/** Markers: numbers no real field holds, replaced per message. */
const SEQ = 7_777_000_001;
const TS = 7_777_000_002;
const HEAP = 7_777_000_003;
const RSS = 7_777_000_004;
const MAJOR_AFTER = 7_777_000_005;
const MARKERS = [SEQ, TS, HEAP, RSS, MAJOR_AFTER] as const;

const SPACE_NAMES = v8.getHeapSpaceStatistics().map((s) => s.space_name);

/** Rows one batch adds to the store: what the rates are counted in. */
export function rowsPerBatch(major: boolean): number {
  return 1 + SPACE_NAMES.length + 2 + (major ? 1 : 0);
}

/** A major GC (with heap used after it) in every tenth batch, as a service with steady traffic has. */
export function hasMajorGc(seq: number): boolean {
  return seq % 10 === 0;
}

export interface ProbeFrames {
  readonly run: string;
  readonly boot: string;
  /** The hello (seq 0), encoded once: it is also what a reconnect says first. */
  readonly hello: string;
  /** The batch of `seq` sampled at `ts`. */
  batch(seq: number, ts: number): string;
}

/** A message's text cut at its markers: `parts[i]`, then the value of marker `slots[i]`, and so on. */
interface FrameTemplate {
  parts: string[];
  slots: number[];
}

function template(body: unknown): FrameTemplate {
  const text = JSON.stringify(body);
  const pattern = new RegExp(MARKERS.join('|'), 'g');
  const parts: string[] = [];
  const slots: number[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push(text.slice(last, match.index));
    slots.push(Number(match[0]));
    last = match.index! + match[0].length;
  }
  parts.push(text.slice(last));
  return { parts, slots };
}

/**
 * Frames for probe `index` of a load (its own run and boot). The heap and RSS levels differ per
 * probe (seeded) and move a little per message, so stored rows do not compress unrealistically.
 */
export function createProbeFrames(runPrefix: string, index: number, startedAt: number): ProbeFrames {
  const run = `${runPrefix}-${index}`;
  const boot = `${run}-b`;
  const random = createSeededRandom(0x1eaf + index);
  const heapBase = Math.round(2e7 + random() * 8e7);
  const rssBase = heapBase * 2 + Math.round(random() * 2e7);
  const hello = JSON.stringify({ v: 1, type: 'hello', run, boot, seq: 0, name: `simulated probe ${index}`, labels: { role: 'simulated' }, pid: 10_000 + index, host: 'load-host', node: process.version, argv: ['node', 'service.js'], startedAt, intervalMs: 1000, probeVersion: 'bench' });
  const sample = { ts: TS, rss: RSS, heapTotal: heapBase * 1.5, heapUsed: HEAP, external: 2_000_000, arrayBuffers: 500_000, heapLimit: 4_345_298_944, totalAvailable: 4e9, mallocedMemory: 300_000, peakMallocedMemory: 2_000_000, nativeContexts: 1, detachedContexts: 0, elP50Ms: 10.2, elP99Ms: 12.5, elMaxMs: 20.1 };
  const spaces = SPACE_NAMES.map((space, i) => ({ ts: TS, space, size: 1_048_576 * (i + 1), used: Math.round(random() * 1_048_576 * (i + 1)), available: 1_000_000, physical: 1_048_576 * (i + 1) }));
  const minors = [
    { ts: TS, kind: 'minor', durationMs: 0.8, heapUsedAfter: null, weight: 1 },
    { ts: TS, kind: 'minor', durationMs: 1.1, heapUsedAfter: null, weight: 1 },
  ];
  const envelope = { v: 1, type: 'batch', run, boot, seq: SEQ };
  const plain = template({ ...envelope, samples: [sample], spaces, gcs: minors });
  const withMajor = template({ ...envelope, samples: [sample], spaces, gcs: [...minors, { ts: TS, kind: 'major', durationMs: 6.5, heapUsedAfter: MAJOR_AFTER, weight: 1 }] });

  function fill({ parts, slots }: FrameTemplate, values: Record<number, number>): string {
    let out = parts[0]!;
    for (let i = 0; i < slots.length; i++) out += values[slots[i]!]! + parts[i + 1]!;
    return out;
  }

  return {
    run,
    boot,
    hello,
    batch(seq, ts) {
      // A slow saw-tooth over a flat floor: what a healthy service's heap looks like.
      const heap = heapBase + ((seq * 7919) % 97) * 50_000;
      const values = { [SEQ]: seq, [TS]: ts, [HEAP]: heap, [RSS]: rssBase + (seq % 13) * 4096, [MAJOR_AFTER]: heapBase };
      return fill(hasMajorGc(seq) ? withMajor : plain, values);
    },
  };
}
