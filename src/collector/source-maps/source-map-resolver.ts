import fs from 'node:fs';
import { SourceMapConsumer, type RawIndexMap, type RawSourceMap } from 'source-map';
import type { SourceLocation } from '../../shared/alloc-data';
import { locateSourceMap } from '../../shared/source-map-locate';
import { scriptPathOf } from '../../shared/source-map-url';
import { MAX_SOURCE_MAP_BYTES } from '../../protocol/alloc-messages';
import { createConsumerCache, type CachedMap } from './consumer-cache';
import { generatedLocation, type GeneratedLocation, type LocationResolver } from './location-resolver';
import { sourceFileName } from './source-file-name';
import type { UploadedMapLookup } from './uploaded-maps';

export interface SourceMapResolverOptions {
  /** Maps the run's probes uploaded (uploaded-maps.ts), consulted before the disk. */
  uploaded?: UploadedMapLookup;
  /** Read scripts and their maps from this machine's disk (default true). */
  readLocalFiles?: boolean;
  /** Mapped files under it read relative to it (default process.cwd()). */
  cwd?: string;
  /** Parsed maps kept, by their text's size (default 64 MB). */
  maxCacheBytes?: number;
  /** Largest map read from disk (default MAX_SOURCE_MAP_BYTES, 16 MB). */
  maxMapBytes?: number;
  /** How long a script without a (readable) map is not looked at again (default 30 s). */
  missTtlMs?: number;
  /** A cached disk map is checked against its files at most this often (default 5 s). */
  recheckMs?: number;
  now?: () => number;
}

export interface SourceMapResolver extends LocationResolver {
  /** Destroys the parsed maps (their WebAssembly memory); resolving afterwards parses again. */
  close(): void;
  /** Parsed maps held and their bytes (tests, benchmark). */
  stats(): { maps: number; bytes: number; misses: number };
}

/** A script's map, or why it has none (the note every location of it gets). */
type Loaded = { map: CachedMap } | { note: string };

const MAX_MISSES = 10_000;

/** `mtime:size` of the files a disk map was read from, to see that a rebuild replaced them. */
async function stampOf(files: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const file of files) {
    const stat = await fs.promises.stat(file).catch(() => null);
    parts.push(stat ? `${stat.mtimeMs}:${stat.size}` : '-');
  }
  return parts.join('/');
}

const reasonOf = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err)).slice(0, 300);

/**
 * The collector's LocationResolver: maps generated locations (V8's 1-based line and column of a
 * function's start) to the user's sources with source-map 0.7 (SourceMapConsumer, WebAssembly).
 * Per script url: the map its probe uploaded for it (latest), else (readLocalFiles) the map on
 * disk found as locateSourceMap finds it. Never throws for a bad map: a location without one is
 * its generated self with a note. Parsed maps stay in a bounded LRU (consumer-cache.ts); scripts
 * without a map are remembered for `missTtlMs` so a hot path does not read the disk each time.
 */
export function createSourceMapResolver(options: SourceMapResolverOptions = {}): SourceMapResolver {
  const readLocalFiles = options.readLocalFiles ?? true;
  const cwd = options.cwd ?? process.cwd();
  const maxMapBytes = options.maxMapBytes ?? MAX_SOURCE_MAP_BYTES;
  const missTtlMs = options.missTtlMs ?? 30_000;
  const recheckMs = options.recheckMs ?? 5_000;
  const now = options.now ?? Date.now;
  const cache = createConsumerCache(options.maxCacheBytes ?? 64 * 1024 * 1024);
  const misses = new Map<string, { note: string; until: number }>();
  const checkedAt = new Map<string, number>();
  /** Loads under way, so that concurrent resolves of one script parse its map once. */
  const loading = new Map<string, Promise<Loaded>>();

  function miss(key: string, note: string): Loaded {
    if (misses.size >= MAX_MISSES) misses.delete(misses.keys().next().value!);
    misses.set(key, { note, until: now() + missTtlMs });
    return { note };
  }

  async function parse(key: string, text: string, mapUrl: string, stamp: string): Promise<Loaded> {
    let raw: RawSourceMap | RawIndexMap;
    try {
      raw = JSON.parse(text) as RawSourceMap | RawIndexMap;
    } catch (err) {
      return miss(key, `source map unreadable: ${reasonOf(err)}`);
    }
    if (typeof raw !== 'object' || raw === null || raw.version !== 3) return miss(key, 'source map unreadable: not a version 3 source map');
    try {
      const consumer = await new SourceMapConsumer(raw, mapUrl);
      return { map: cache.add(key, { consumer, bytes: text.length, mapUrl, files: new Map(), stamp }) };
    } catch (err) {
      return miss(key, `source map unreadable: ${reasonOf(err)}`);
    }
  }

  async function fromUpload(run: string, url: string): Promise<Loaded | null> {
    const found = await options.uploaded?.lookup(run, url);
    if (!found) return null;
    const key = `sha:${found.sha256}`;
    const cached = cache.get(key);
    if (cached) return pinned(cached);
    const text = await fs.promises.readFile(found.path, 'utf8').catch(() => null);
    if (text === null) return null; // removed since: the disk may still have one
    return parse(key, text, found.mapUrl, '');
  }

  async function fromDisk(url: string): Promise<Loaded> {
    const key = `file:${url}`;
    const cached = cache.get(key);
    if (cached) {
      if (now() - (checkedAt.get(key) ?? 0) < recheckMs) return pinned(cached);
      checkedAt.set(key, now());
      const scriptPath = scriptPathOf(url)!;
      if ((await stampOf([scriptPath, cached.mapUrl.startsWith('file:') ? scriptPathOf(cached.mapUrl)! : scriptPath])) === cached.stamp) return pinned(cached);
      cache.drop(key);
    }
    const located = await locateSourceMap(url, { maxMapBytes });
    if (located.state === 'missing') return miss(key, 'no source map');
    if (located.state === 'not-file') return miss(key, 'not a file');
    if (located.state === 'unreadable') return miss(key, `source map unreadable: ${located.reason}`);
    checkedAt.set(key, now());
    const scriptPath = scriptPathOf(url)!;
    const stamp = await stampOf([scriptPath, scriptPathOf(located.mapUrl) ?? scriptPath]);
    return parse(key, located.text, located.mapUrl, stamp);
  }

  function pinned(map: CachedMap): Loaded {
    cache.pin(map);
    return { map };
  }

  /** The script's map, pinned for the caller (who releases it), or the note. */
  function load(run: string, url: string): Promise<Loaded> {
    if (scriptPathOf(url) === null) return Promise.resolve({ note: 'not a file' });
    const flight = `${run}\0${url}`;
    const running = loading.get(flight);
    // A second caller shares the first one's load, and pins the map for itself.
    if (running) return running.then((loaded) => ('map' in loaded && !loaded.map.evicted ? pinned(loaded.map) : 'map' in loaded ? load(run, url) : loaded));
    const work = (async (): Promise<Loaded> => {
      const uploaded = await fromUpload(run, url).catch(() => null);
      if (uploaded) return uploaded;
      if (!readLocalFiles) return { note: 'no source map' };
      const key = `file:${url}`;
      const known = misses.get(key);
      if (known && known.until > now()) return { note: known.note };
      return fromDisk(url);
    })();
    loading.set(flight, work);
    void work.finally(() => loading.delete(flight)).catch(() => undefined);
    return work;
  }

  /**
   * One location through a parsed map. V8 gives the position of a function's start, which a
   * compiler's map need not have a segment at exactly: the closest segment at or before it on
   * the same generated line (GREATEST_LOWER_BOUND), else the first after it on that line
   * (LEAST_UPPER_BOUND). source-map counts lines from 1 and columns from 0.
   */
  function mapOne(map: CachedMap, location: GeneratedLocation): SourceLocation {
    const at = { line: location.line, column: Math.max(0, location.col - 1) };
    let found = map.consumer.originalPositionFor({ ...at, bias: SourceMapConsumer.GREATEST_LOWER_BOUND });
    if (found.source === null || found.line === null) found = map.consumer.originalPositionFor({ ...at, bias: SourceMapConsumer.LEAST_UPPER_BOUND });
    if (found.source === null || found.line === null) return generatedLocation(location, 'no mapping at this line');
    let file = map.files.get(found.source);
    if (file === undefined) {
      file = sourceFileName(found.source, cwd);
      map.files.set(found.source, file);
    }
    return { file, line: found.line, col: (found.column ?? 0) + 1, name: found.name ?? '', mapped: true, note: '' };
  }

  return {
    async resolve(run, locations) {
      const out: SourceLocation[] = new Array(locations.length);
      const byUrl = new Map<string, number[]>();
      locations.forEach((l, i) => {
        const list = byUrl.get(l.url);
        if (list) list.push(i);
        else byUrl.set(l.url, [i]);
      });
      for (const [url, indexes] of byUrl) {
        let loaded: Loaded;
        try {
          loaded = await load(run, url);
        } catch (err) {
          loaded = { note: `source map unreadable: ${reasonOf(err)}` };
        }
        if ('note' in loaded) {
          for (const i of indexes) out[i] = generatedLocation(locations[i], loaded.note);
          continue;
        }
        try {
          // Synchronous from here to the release: no other resolve can destroy the consumer.
          for (const i of indexes) out[i] = mapOne(loaded.map, locations[i]);
        } catch (err) {
          for (const i of indexes) out[i] ??= generatedLocation(locations[i], `source map unreadable: ${reasonOf(err)}`);
        } finally {
          cache.release(loaded.map);
        }
      }
      return out;
    },
    close() {
      cache.clear();
      misses.clear();
    },
    stats() {
      return { maps: cache.size, bytes: cache.bytes, misses: misses.size };
    },
  };
}
