import { createHash } from 'node:crypto';
import { findSourceMap } from 'node:module';
import { pathToFileURL } from 'node:url';
import { setImmediate as yieldToApp } from 'node:timers/promises';
import { MAX_SOURCE_MAP_BYTES, SOURCE_MAP_PART_CHARS, type SourceMapMessage } from '../protocol/alloc-messages';
import { MAX_MESSAGE_BYTES } from '../protocol/messages';
import { locateSourceMap } from '../shared/source-map-locate';
import { scriptPathOf } from '../shared/source-map-url';

/** One part as the probe's queue wraps it into a `source-map` message (envelope added there). */
export type SourceMapPart = Omit<SourceMapMessage, 'v' | 'type' | 'run' | 'boot' | 'seq'>;

export interface SourceMapUploaderOptions {
  /** Queues one part through the probe's send queue (and flushes). */
  push(part: SourceMapPart): void;
  /** Bytes the send queue holds now: parts go out only while it stays under `paceBytes`. */
  queueBytes(): number;
  notice(line: string): void;
  /** Largest map uploaded (default MAX_SOURCE_MAP_BYTES, 16 MB). */
  maxMapBytes?: number;
  /** All maps of this boot together (default 32 MB); the scripts after that keep generated locations. */
  maxTotalBytes?: number;
  /** Scripts remembered as offered (default 5000): a url offered again is not looked at again. */
  maxScripts?: number;
  /** The send queue (bounded at 4 MB, samples included) holds at most about this much when a part is added (default 1 MB). */
  paceBytes?: number;
  /** How often a paced upload looks at the queue again (default 200 ms). */
  pollMs?: number;
  /** Ask Node's own source map cache first (default: when the app runs with --enable-source-maps). */
  useNodeSourceMaps?: boolean;
}

export interface SourceMapUploader {
  /** Scripts seen in frames (alloc profiles, watches): each new file's map is uploaded once. */
  offer(urls: readonly string[]): void;
  /** Resolves when everything offered so far is uploaded or skipped (tests, stop). */
  idle(): Promise<void>;
  /** Stops: the map under way sends no more parts, nothing else starts. */
  stop(): void;
  stats(): { offered: number; uploaded: number; skipped: number; bytes: number; waiting: number };
}

/** Room kept in a message for its envelope and the JSON escaping of the part's text. */
const MESSAGE_SLACK = 4096;

/**
 * Uploads scripts' source maps for a collector on another machine (it cannot read the app's
 * files): per new script file, once per boot, finds its map as the collector would
 * (locateSourceMap; first Node's own cache when the app runs with --enable-source-maps),
 * hashes it, and pushes it in SOURCE_MAP_PART_CHARS parts through the send queue, paced so that
 * the queue never holds much more than `paceBytes` (its samples come first: the queue drops its
 * oldest messages when full). Asynchronous and serial: one map in memory at a time, hashed in
 * slices between which the app runs. Never throws into the app: a failure is one notice.
 */
export function createSourceMapUploader(options: SourceMapUploaderOptions): SourceMapUploader {
  const maxMapBytes = Math.min(options.maxMapBytes ?? MAX_SOURCE_MAP_BYTES, MAX_SOURCE_MAP_BYTES);
  const maxTotalBytes = options.maxTotalBytes ?? 32 * 1024 * 1024;
  const maxScripts = options.maxScripts ?? 5000;
  const paceBytes = options.paceBytes ?? 1024 * 1024;
  const pollMs = options.pollMs ?? 200;
  const useNode = options.useNodeSourceMaps ?? Boolean((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled ?? process.execArgv.includes('--enable-source-maps'));
  const seen = new Set<string>();
  const waiting: string[] = [];
  let uploaded = 0;
  let skipped = 0;
  let bytes = 0;
  let stopped = false;
  let running: Promise<void> | null = null;
  const noticed = new Set<string>();
  /** Ends the wait for room at once on stop(), rather than at the next poll. */
  let wake: (() => void) | null = null;

  const noticeOnce = (kind: string, line: string) => {
    if (noticed.has(kind)) return;
    noticed.add(kind);
    options.notice(`leakwatch probe: ${line}`);
  };

  /** Waits (unref'd: never keeps the app alive) until a part of `chars` fits under the pace. */
  async function roomFor(chars: number): Promise<boolean> {
    while (!stopped && options.queueBytes() + chars > paceBytes && options.queueBytes() > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs).unref();
      });
    }
    return !stopped;
  }

  async function mapOf(url: string, scriptPath: string): Promise<{ text: string; mapUrl: string } | { reason: string } | null> {
    if (useNode) {
      try {
        const payload = findSourceMap(scriptPath)?.payload;
        // Node parsed it already; its sources resolve from the script (Node does not say where the map file was).
        if (payload) return { text: JSON.stringify(payload), mapUrl: pathToFileURL(scriptPath).href };
      } catch {
        // Node's cache is a convenience: the disk still has the map.
      }
    }
    const located = await locateSourceMap(url, { maxMapBytes });
    if (located.state === 'unreadable') return { reason: located.reason };
    return located.state === 'found' ? { text: located.text, mapUrl: located.mapUrl } : null;
  }

  /** sha256 of the text, in slices of a part each with the app's turn between them. */
  async function hashOf(text: string): Promise<string> {
    const hash = createHash('sha256');
    for (let at = 0; at < text.length; at += SOURCE_MAP_PART_CHARS) {
      hash.update(text.slice(at, at + SOURCE_MAP_PART_CHARS), 'utf8');
      await yieldToApp(undefined, { ref: false });
    }
    return hash.digest('hex');
  }

  async function upload(url: string): Promise<void> {
    const scriptPath = scriptPathOf(url);
    if (scriptPath === null) return;
    const found = await mapOf(url, scriptPath);
    if (!found || 'reason' in found) {
      skipped++;
      // A script without a map is the normal case; one whose map cannot be read is worth a word.
      if (found) noticeOnce('unreadable', `source map of ${url} not uploaded: ${found.reason}`);
      return;
    }
    const { text, mapUrl } = found;
    if (text.length > maxMapBytes) {
      skipped++;
      return noticeOnce('size', `source map of ${url} not uploaded: ${text.length} characters, more than ${maxMapBytes}`);
    }
    if (bytes + text.length > maxTotalBytes) {
      skipped++;
      return noticeOnce('total', `source maps beyond ${maxTotalBytes} bytes in all are not uploaded (from ${url} on)`);
    }
    const sha256 = await hashOf(text);
    const parts = Math.max(1, Math.ceil(text.length / SOURCE_MAP_PART_CHARS));
    for (let part = 0; part < parts; part++) {
      const data = text.slice(part * SOURCE_MAP_PART_CHARS, (part + 1) * SOURCE_MAP_PART_CHARS);
      // JSON escaping can grow a part (quotes, control characters): one the collector would refuse is not sent.
      if (Buffer.byteLength(JSON.stringify(data)) + url.length + mapUrl.length + MESSAGE_SLACK > MAX_MESSAGE_BYTES) {
        skipped++;
        return noticeOnce('escape', `source map of ${url} not uploaded: a part does not fit one message`);
      }
      if (!(await roomFor(data.length))) return;
      options.push({ url, mapUrl, sha256, part, parts, data });
    }
    bytes += text.length;
    uploaded++;
  }

  async function drain(): Promise<void> {
    while (waiting.length > 0 && !stopped) {
      const url = waiting.shift()!;
      try {
        await upload(url);
      } catch (err) {
        skipped++;
        noticeOnce('error', `source map of ${url} not uploaded: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    running = null;
  }

  return {
    offer(urls) {
      for (const url of urls) {
        if (stopped || seen.has(url) || seen.size >= maxScripts) continue;
        seen.add(url);
        // Dependencies' maps name code the user did not write, and node:… has no file.
        const scriptPath = scriptPathOf(url);
        if (scriptPath === null || /[\\/]node_modules[\\/]/.test(scriptPath)) continue;
        waiting.push(url);
      }
      if (waiting.length > 0 && !running && !stopped) running = drain();
    },
    async idle() {
      while (running) await running;
    },
    stop() {
      stopped = true;
      waiting.length = 0;
      wake?.();
    },
    stats: () => ({ offered: seen.size, uploaded, skipped, bytes, waiting: waiting.length }),
  };
}
