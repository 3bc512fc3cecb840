import type { SourceMapConsumer } from 'source-map';

/**
 * Parsed source maps kept between resolves, bounded by the maps' sizes (least recently used go
 * first). source-map 0.7's consumers hold their parsed mappings in WebAssembly memory that the
 * garbage collector does not see, so an evicted consumer must be `destroy()`ed, and never while
 * a resolve is reading it: a resolve `pin`s what it uses and `release`s it after its synchronous
 * lookups, and an entry is destroyed only once it is unpinned.
 */
export interface CachedMap {
  consumer: SourceMapConsumer;
  /** The map text's length: its weight in the budget (the parsed form grows with it). */
  bytes: number;
  /** The map's own URL (file:// for a file; the script's for an inline map). */
  mapUrl: string;
  /** Source name (as the consumer returns it) -> the file a user reads, filled on first use. */
  files: Map<string, string>;
  /** What checks the entry is still current (a disk map's mtimes; '' for content-addressed). */
  stamp: string;
  pins: number;
  evicted: boolean;
}

export interface ConsumerCache {
  get(key: string): CachedMap | undefined;
  /** Adds (pinned once for the caller) and evicts the least recently used beyond the budget. */
  add(key: string, entry: Omit<CachedMap, 'pins' | 'evicted'>): CachedMap;
  pin(entry: CachedMap): void;
  release(entry: CachedMap): void;
  /** Forgets one key (a changed file), destroying its consumer once unpinned. */
  drop(key: string): void;
  readonly bytes: number;
  readonly size: number;
  /** Destroys everything not in use now, the rest when released. */
  clear(): void;
}

export function createConsumerCache(maxBytes: number): ConsumerCache {
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recent.
  const entries = new Map<string, CachedMap>();
  let bytes = 0;

  const destroyIfIdle = (entry: CachedMap) => {
    if (entry.evicted && entry.pins === 0) entry.consumer.destroy();
  };
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.bytes;
    entry.evicted = true;
    destroyIfIdle(entry);
  };
  const trim = () => {
    for (const key of entries.keys()) {
      if (bytes <= maxBytes || entries.size <= 1) break;
      remove(key);
    }
  };

  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry;
    },
    add(key, fields) {
      remove(key);
      const entry: CachedMap = { ...fields, pins: 1, evicted: false };
      entries.set(key, entry);
      bytes += entry.bytes;
      trim();
      return entry;
    },
    pin(entry) {
      entry.pins++;
    },
    release(entry) {
      entry.pins = Math.max(0, entry.pins - 1);
      destroyIfIdle(entry);
    },
    drop: remove,
    get bytes() {
      return bytes;
    },
    get size() {
      return entries.size;
    },
    clear() {
      for (const key of [...entries.keys()]) remove(key);
    },
  };
}
