import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MAX_SOURCE_MAP_BYTES, type SourceMapMessage } from '../../protocol/alloc-messages';
import type { Logger } from '../../shared/log';

/** Where an uploaded map of a run's script is: its content address, file, and the URL its sources resolve from. */
export interface UploadedMapLookup {
  lookup(run: string, url: string): Promise<{ sha256: string; path: string; mapUrl: string } | null>;
}

export interface UploadedMapsOptions {
  /** `<dir>/<sha256>.map` per map, `<dir>/runs/<run>.jsonl` per run (url -> sha256, latest last). */
  dir: string;
  log?: Logger;
  /** Parts of incomplete maps kept in memory, all maps together (default 64 MB of characters). */
  maxPendingBytes?: number;
  /** An incomplete map whose last part is older than this is dropped (default 10 minutes). */
  maxPendingMs?: number;
  /** Runs whose index is kept in memory (default 64; the others are read again when asked). */
  maxRuns?: number;
  now?: () => number;
}

export interface UploadedMaps extends UploadedMapLookup {
  /**
   * One `source-map` part. Resolves once it is kept, and for a map's last part once the map is
   * verified (sha256) and written. Never rejects: a bad upload is logged and dropped (a map is
   * help for the reader, not data to keep the probe waiting for).
   */
  onPart(msg: SourceMapMessage): Promise<void>;
  stats(): { pending: number; pendingBytes: number; stored: number; dropped: number };
}

interface Assembly {
  parts: Array<string | undefined>;
  received: number;
  chars: number;
  lastAt: number;
  /** Every (run, script) that sent parts of it: a map shared by two scripts is kept once. */
  owners: Map<string, { run: string; url: string; mapUrl: string }>;
}

type IndexEntry = { sha256: string; mapUrl: string };

/**
 * The collector's store of the maps probes upload (a collector on another machine cannot read
 * the app's files). Parts are assembled per sha256 in memory, bounded in bytes and in time;
 * a complete map is verified against its sha256, written once under its content address
 * (another boot or run sending the same map adds only an index line), and the run's index
 * records that the script's url has it. The resolver asks `lookup` before the disk.
 */
export function createUploadedMaps(options: UploadedMapsOptions): UploadedMaps {
  const { dir, log } = options;
  const maxPendingBytes = options.maxPendingBytes ?? 64 * 1024 * 1024;
  const maxPendingMs = options.maxPendingMs ?? 10 * 60_000;
  const maxRuns = options.maxRuns ?? 64;
  const now = options.now ?? Date.now;
  const pending = new Map<string, Assembly>();
  const known = new Set<string>();
  const indexes = new Map<string, Map<string, IndexEntry>>();
  let pendingBytes = 0;
  let stored = 0;
  let dropped = 0;
  let writes: Promise<unknown> = Promise.resolve();

  const mapPath = (sha256: string) => path.join(dir, `${sha256}.map`);
  const indexPath = (run: string) => path.join(dir, 'runs', `${run}.jsonl`);

  function drop(sha256: string, why: string): void {
    const assembly = pending.get(sha256);
    if (!assembly) return;
    pending.delete(sha256);
    pendingBytes -= assembly.chars;
    dropped++;
    const first = assembly.owners.values().next().value;
    log?.warn(`source map ${sha256.slice(0, 12)} of ${first?.url ?? '?'} dropped: ${why}`);
  }

  /** The run's index, read from its file on first need: the last line for a url wins. */
  async function indexOf(run: string): Promise<Map<string, IndexEntry>> {
    const cached = indexes.get(run);
    if (cached) {
      indexes.delete(run);
      indexes.set(run, cached);
      return cached;
    }
    const index = new Map<string, IndexEntry>();
    const text = await fs.promises.readFile(indexPath(run), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      try {
        const entry = JSON.parse(line) as { url?: unknown; sha256?: unknown; mapUrl?: unknown };
        if (typeof entry.url === 'string' && typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256)) {
          index.set(entry.url, { sha256: entry.sha256, mapUrl: typeof entry.mapUrl === 'string' ? entry.mapUrl : entry.url });
        }
      } catch {
        // A line cut by a crash mid-append: the lines before it still count.
      }
    }
    if (indexes.size >= maxRuns) indexes.delete(indexes.keys().next().value!);
    indexes.set(run, index);
    return index;
  }

  async function record(run: string, url: string, sha256: string, mapUrl: string): Promise<void> {
    const index = await indexOf(run);
    const had = index.get(url);
    if (had?.sha256 === sha256 && had.mapUrl === mapUrl) return;
    index.set(url, { sha256, mapUrl });
    await fs.promises.mkdir(path.dirname(indexPath(run)), { recursive: true });
    await fs.promises.appendFile(indexPath(run), `${JSON.stringify({ url, sha256, mapUrl })}\n`);
  }

  async function exists(sha256: string): Promise<boolean> {
    if (known.has(sha256)) return true;
    const found = await fs.promises.stat(mapPath(sha256)).then((s) => s.isFile(), () => false);
    if (found) known.add(sha256);
    return found;
  }

  async function complete(sha256: string, assembly: Assembly): Promise<void> {
    pending.delete(sha256);
    pendingBytes -= assembly.chars;
    const text = assembly.parts.join('');
    const actual = createHash('sha256').update(text, 'utf8').digest('hex');
    if (actual !== sha256) {
      dropped++;
      log?.warn(`source map of ${assembly.owners.values().next().value?.url ?? '?'} dropped: its parts hash to ${actual.slice(0, 12)}, not ${sha256.slice(0, 12)}`);
      return;
    }
    if (!(await exists(sha256))) {
      await fs.promises.mkdir(dir, { recursive: true });
      const partial = `${mapPath(sha256)}.${process.pid}.partial`;
      await fs.promises.writeFile(partial, text);
      await fs.promises.rename(partial, mapPath(sha256));
      known.add(sha256);
      stored++;
    }
    for (const owner of assembly.owners.values()) await record(owner.run, owner.url, sha256, owner.mapUrl);
  }

  async function accept(msg: SourceMapMessage): Promise<void> {
    const { sha256 } = msg;
    const mapUrl = msg.mapUrl ?? msg.url;
    for (const [key, assembly] of pending) if (now() - assembly.lastAt > maxPendingMs) drop(key, 'its parts stopped coming');
    if (!pending.has(sha256) && (await exists(sha256))) {
      // Already kept (another boot, run or script): only the index learns of this script.
      await record(msg.run, msg.url, sha256, mapUrl);
      return;
    }
    let assembly = pending.get(sha256);
    if (assembly && assembly.parts.length !== msg.parts) drop(sha256, `announced in ${assembly.parts.length} and in ${msg.parts} parts`);
    assembly = pending.get(sha256);
    if (!assembly) {
      assembly = { parts: new Array<string | undefined>(msg.parts), received: 0, chars: 0, lastAt: now(), owners: new Map() };
      pending.set(sha256, assembly);
    }
    assembly.lastAt = now();
    assembly.owners.set(`${msg.run}\0${msg.url}`, { run: msg.run, url: msg.url, mapUrl });
    if (assembly.parts[msg.part] !== undefined) return; // a resend after a reconnect
    if (assembly.chars + msg.data.length > MAX_SOURCE_MAP_BYTES) return drop(sha256, `more than ${MAX_SOURCE_MAP_BYTES} characters`);
    // Over the budget: the oldest other assemblies go first, then this one.
    for (const [key, other] of pending) {
      if (pendingBytes + msg.data.length <= maxPendingBytes) break;
      if (other !== assembly) drop(key, 'too many source map bytes under way');
    }
    if (pendingBytes + msg.data.length > maxPendingBytes) return drop(sha256, 'too many source map bytes under way');
    assembly.parts[msg.part] = msg.data;
    assembly.received++;
    assembly.chars += msg.data.length;
    pendingBytes += msg.data.length;
    if (assembly.received === assembly.parts.length) await complete(sha256, assembly);
  }

  return {
    onPart(msg) {
      // One at a time, in arrival order: two connections' parts of one map never race its write.
      const done = writes.then(() => accept(msg)).catch((err: Error) => {
        dropped++;
        log?.warn(`source map ${msg.sha256.slice(0, 12)} of ${msg.url}: not kept: ${err.message.split('\n')[0]}`);
      });
      writes = done;
      return done;
    },
    async lookup(run, url) {
      const entry = (await indexOf(run)).get(url);
      return entry ? { sha256: entry.sha256, path: mapPath(entry.sha256), mapUrl: entry.mapUrl } : null;
    },
    stats: () => ({ pending: pending.size, pendingBytes, stored, dropped }),
  };
}
