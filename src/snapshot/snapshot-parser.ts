import { KEEP_ALL, analysisStrings } from './analysis-strings';
import { createEdgeFields, type EdgeFields } from './edge-fields';
import { allocateGraphArrays, type GraphArrays, type HeapGraph } from './heap-graph';
import { createJsNumberTokenizer } from './js-number-tokenizer';
import { createLocationsSink, type LocationsSink } from './locations-reader';
import { createMetaReader, type MetaReader } from './meta-reader';
import { createNodeFields, type NodeFields } from './node-fields';
import { createNumberArrayReader } from './number-array-reader';
import { snapshotError, syntaxError } from './snapshot-error';
import { MAX_KEPT_STRING_BYTES, createStringTable } from './string-table';
import { createStringsReader, type KeepString } from './strings-reader';
import { isSpace, type ValueReader } from './value-reader';
import { createValueSkipper } from './value-skipper';
import { createWasmNumberTokenizer } from './wasm-number-tokenizer';

/**
 * Streaming .heapsnapshot parser: bytes in, typed arrays out, never the whole text in memory and
 * never `JSON.parse` of the file (V8 strings stop at about 512 MB, and a parsed node array would
 * be a JS array of boxed numbers). The file layout is V8's HeapSnapshotJSONSerializer output:
 * `{"snapshot":{...meta...},"nodes":[...],"edges":[...],"trace_function_infos":[...],
 * "trace_tree":[...],"samples":[...],"locations":[...],"strings":[...]}`. The top-level keys may
 * come in any order except that the header must precede nodes and edges (V8 writes it first);
 * unknown keys are skipped.
 *
 * This file is the top level only: a small state machine over the outer object's keys, ':' and
 * ',', which hands each value to its reader (value-reader.ts) until the reader says it ended:
 *   "snapshot"  meta-reader.ts: the header, validated by snapshot-meta.ts; sizes the arrays;
 *   "nodes"     number-array-reader.ts with a number tokenizer (number-tokenizer.ts) feeding
 *   "edges"       node-fields.ts / edge-fields.ts, which fill the graph's typed arrays;
 *   "strings"   strings-reader.ts into string-table.ts, keeping what analysis-strings.ts picks;
 *   "locations" locations-reader.ts, when asked to keep them (the retainer paths show them);
 *   any other   value-skipper.ts, in constant memory.
 *
 * Every failure is an LW_ERR_SNAPSHOT_* error: TRUNCATED when the input ends early, SYNTAX for a
 * byte that cannot appear there (including "1,,2" and "1 2" in a number array), META for a bad
 * header, COUNTS when the arrays disagree with the declared counts, INDEX for a type, node or
 * string index out of range, STRING for a string V8 could not have written (longer than its
 * 512 MiB limit).
 */

export interface SnapshotParserOptions {
  /** Total input size in bytes: the declared counts are checked against it before allocating. */
  inputBytes: number;
  /**
   * Which strings to keep: all, or only those the type analysis needs (names of object and native
   * nodes, names of internal edges, which is where V8 writes WeakMap ephemeron edges).
   */
  keepStrings: 'all' | 'analysis';
  /** Which number tokenizer to use: WebAssembly (default, falls back to JavaScript) or JavaScript. */
  tokenizer?: 'wasm' | 'js';
  /** Keep the closures' source locations (`locations`); skipped by default. */
  keepLocations?: boolean;
}

export interface SnapshotParser {
  write(chunk: Buffer): void;
  /** Finishes parsing and returns the graph; throws LW_ERR_SNAPSHOT_TRUNCATED if input is missing. */
  end(): HeapGraph;
}

/** The sections a snapshot must have; their readers start after the value's opening bracket. */
const SECTIONS = ['snapshot', 'nodes', 'edges', 'strings'];

// States of the outer object.
const TOP_START = 0;
const EXPECT_KEY_OR_END = 1;
const EXPECT_KEY = 2;
const IN_KEY = 3;
const EXPECT_COLON = 4;
const EXPECT_VALUE = 5;
const IN_VALUE = 6; // the current reader has the bytes
const AFTER_VALUE = 7;
const DONE = 8;

export function createSnapshotParser(options: SnapshotParserOptions): SnapshotParser {
  const tokenizer = (options.tokenizer === 'js' ? null : createWasmNumberTokenizer()) ?? createJsNumberTokenizer();
  const strings = createStringTable({ maxStringBytes: options.keepStrings === 'analysis' ? MAX_KEPT_STRING_BYTES : undefined });
  const seen = new Set<string>();
  let state = TOP_START;
  let consumed = 0; // bytes of earlier chunks
  let keyBytes: number[] = [];
  let key = '';
  let reader: ValueReader | null = null;
  // Set once the header is read: the arrays it sizes and the sinks that fill them.
  let metaReader: MetaReader | null = null;
  let arrays: GraphArrays | null = null;
  let nodes: NodeFields | null = null;
  let edges: EdgeFields | null = null;
  let locations: LocationsSink | null = null;

  /** The reader for the value of `key`, whose first byte `c` is at file offset `at`. */
  function startValue(c: number, at: number): ValueReader {
    if (seen.has(key)) syntaxError(`duplicate "${key}" section`, at);
    seen.add(key);
    switch (key) {
      case 'snapshot':
        if (c !== 0x7b) syntaxError('"snapshot" must be an object', at);
        return (metaReader = createMetaReader(options.inputBytes));
      case 'nodes':
      case 'edges':
        if (!nodes || !edges) throw snapshotError('LW_ERR_SNAPSHOT_META', `"${key}" comes before the "snapshot" header`);
        if (c !== 0x5b) syntaxError(`"${key}" must be an array`, at);
        return createNumberArrayReader(tokenizer, key === 'nodes' ? nodes : edges);
      case 'strings':
        if (c !== 0x5b) syntaxError('"strings" must be an array', at);
        return createStringsReader(strings, chooseStrings());
      case 'locations':
        if (!options.keepLocations) return createValueSkipper();
        if (!metaReader?.meta) throw snapshotError('LW_ERR_SNAPSHOT_META', '"locations" comes before the "snapshot" header');
        if (c !== 0x5b) syntaxError('"locations" must be an array', at);
        locations = createLocationsSink(metaReader.meta.nodeFieldCount, metaReader.meta.nodeCount);
        return createNumberArrayReader(tokenizer, locations);
      default:
        return createValueSkipper();
    }
  }

  function endValue(): void {
    if (key === 'snapshot') {
      const meta = metaReader!.meta!;
      arrays = allocateGraphArrays(meta.nodeCount, meta.edgeCount);
      nodes = createNodeFields(meta, arrays);
      edges = createEdgeFields(meta, arrays);
    }
    reader = null;
    state = AFTER_VALUE;
  }

  function chooseStrings(): KeepString {
    if (options.keepStrings === 'all' || !arrays || !seen.has('nodes') || !seen.has('edges')) return KEEP_ALL;
    return analysisStrings(metaReader!.meta!, arrays, nodes!.maxName, edges!.maxInternalName, edges!.internalType);
  }

  function write(buf: Buffer): void {
    const len = buf.length;
    let i = 0;
    while (i < len) {
      if (state === IN_VALUE) {
        i = reader!.feed(buf, i, len, consumed);
        if (reader!.done) endValue();
        continue;
      }
      const c = buf[i];
      if (state === IN_KEY) {
        i++;
        if (c !== 0x22) {
          if (keyBytes.length < 64) keyBytes.push(c);
          continue;
        }
        key = Buffer.from(keyBytes).toString('utf8');
        state = EXPECT_COLON;
        continue;
      }
      // A UTF-8 byte order mark may precede the opening brace.
      if (isSpace(c) || (state === TOP_START && consumed + i < 3 && (c === 0xef || c === 0xbb || c === 0xbf))) {
        i++;
        continue;
      }
      const at = consumed + i;
      switch (state) {
        case TOP_START:
          if (c !== 0x7b) syntaxError('a heap snapshot starts with "{"', at);
          state = EXPECT_KEY_OR_END;
          break;
        case EXPECT_KEY_OR_END:
        case EXPECT_KEY:
          if (c === 0x22) {
            keyBytes = [];
            state = IN_KEY;
          } else if (c === 0x7d && state === EXPECT_KEY_OR_END) state = DONE;
          else syntaxError('expected a key', at);
          break;
        case EXPECT_COLON:
          if (c !== 0x3a) syntaxError('expected ":"', at);
          state = EXPECT_VALUE;
          break;
        case EXPECT_VALUE:
          reader = startValue(c, at);
          state = IN_VALUE;
          // The skipper reads a value from its first byte; the other readers start after it.
          if (!SECTIONS.includes(key) && !(key === 'locations' && locations)) continue;
          break;
        case AFTER_VALUE:
          if (c === 0x2c) state = EXPECT_KEY;
          else if (c === 0x7d) state = DONE;
          else syntaxError('expected "," or "}"', at);
          break;
        case DONE:
          syntaxError('data after the end of the snapshot', at);
      }
      i++;
    }
    consumed += len;
  }

  function end(): HeapGraph {
    if (state !== DONE) {
      const where = state === IN_VALUE && key !== 'snapshot' && SECTIONS.includes(key) ? ` inside "${key}"` : '';
      throw snapshotError('LW_ERR_SNAPSHOT_TRUNCATED', `the snapshot ends early${where} after ${consumed} bytes`);
    }
    for (const section of SECTIONS) {
      if (!seen.has(section)) throw snapshotError('LW_ERR_SNAPSHOT_META', `the snapshot has no "${section}" section`);
    }
    const meta = metaReader!.meta!;
    // Name indices must point into the string table (element and hidden edges carry an index instead).
    nodes!.checkNames(strings.count);
    edges!.checkNames(strings.count);
    return {
      nodeCount: meta.nodeCount,
      edgeCount: meta.edgeCount,
      nodeTypeNames: meta.nodeTypeNames,
      edgeTypeNames: meta.edgeTypeNames,
      ...arrays!,
      strings,
      byteLength: consumed,
      ...(locations ? { locations: locations.result() } : {}),
    };
  }

  return { write, end };
}
