import type { HeapGraph } from './heap-graph';
import { snapshotError } from './snapshot-error';
import { MAX_META_BYTES, parseSnapshotMeta, type SnapshotMeta } from './snapshot-meta';
import { MAX_KEPT_STRING_BYTES, createStringTable } from './string-table';
import { createWasmTokenizer } from './wasm-tokenizer';

/**
 * Streaming .heapsnapshot parser: bytes in, typed arrays out, never the whole text in memory and
 * never `JSON.parse` of the file (V8 strings stop at about 512 MB, and a parsed node array would
 * be a JS array of boxed numbers). The file layout is V8's HeapSnapshotJSONSerializer output:
 * `{"snapshot":{...meta...},"nodes":[...],"edges":[...],"trace_function_infos":[...],
 * "trace_tree":[...],"samples":[...],"locations":[...],"strings":[...]}`. The top-level keys may
 * come in any order except that the header must precede nodes and edges (V8 writes it first);
 * unknown keys are skipped. `nodes` and `edges` are parsed straight into per-field typed arrays,
 * keeping only the fields the analysis needs; strings are kept only when asked for.
 *
 * Every failure is an LW_ERR_SNAPSHOT_* error: TRUNCATED when the input ends early, SYNTAX for a
 * byte that cannot appear there (including "1,,2" and "1 2" in a number array), META for a bad header, COUNTS when the arrays disagree with the
 * declared counts, INDEX for a type, node or string index out of range, STRING for a string V8
 * could not have written (longer than its 512 MiB limit).
 */

/** V8's maximum string length is just under 2^29 characters; a string above 512 MiB cannot be real. */
const MAX_STRING_BYTES = 512 * 1024 * 1024;
const MAX_U32 = 0xffff_ffff;

// Top-level states.
const TOP_START = 0;
const EXPECT_KEY_OR_END = 1;
const EXPECT_KEY = 2;
const IN_KEY = 3;
const EXPECT_COLON = 4;
const EXPECT_VALUE = 5;
const AFTER_VALUE = 6;
const IN_META = 7;
const IN_NODES = 8;
const IN_EDGES = 9;
const IN_STRINGS = 10;
const IN_SKIP = 11;
const DONE = 12;

// States inside the strings array.
const STR_EXPECT_FIRST = 0;
const STR_EXPECT_VALUE = 1;
const STR_IN = 2;
const STR_AFTER = 3;

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
}

export interface SnapshotParser {
  write(chunk: Buffer): void;
  /** Finishes parsing and returns the graph; throws LW_ERR_SNAPSHOT_TRUNCATED if input is missing. */
  end(): HeapGraph;
}

/** Input window of the WebAssembly tokenizer: small, its output area (8 bytes per number) is in memory for good. */
const WASM_WINDOW_BYTES = 64 * 1024;

/** Tokenizer modes, carried across chunks in carry[2]. */
const EXPECT_NUMBER = 0; // after '[' or ','
const IN_NUMBER = 1;
const AFTER_NUMBER = 2; // whitespace after a number: only ',' or ']' may follow

/** Tokenizer errors, reported in carry[3]. */
const EMPTY_ELEMENT = 1;
const MISSING_COMMA = 2;
const LEADING_ZERO = 3;

/**
 * The hot loop of the loader: tokenizes non-negative integers separated by ',' (and whitespace)
 * into `out`, from `i` until a byte that is none of those (']' or an error) or the end of `buf`.
 * carry[0] holds the number in progress and carry[2] the mode across calls; on return carry[1]
 * is the count written and carry[3] an error (then the returned index is where it is). Digits
 * are consumed by an inner loop, so the per-byte work on the common path is a load, a compare
 * and a multiply-add. Kept free of closures so V8 optimizes it once and keeps it optimized.
 */
function tokenizeNumbers(buf: Buffer, i: number, out: Float64Array, carry: Float64Array): number {
  const len = buf.length;
  let v = carry[0];
  let mode = carry[2];
  let k = 0;
  carry[3] = 0;
  while (i < len) {
    const c = buf[i];
    if (c === 0x2c) {
      if (mode === EXPECT_NUMBER) {
        carry[3] = EMPTY_ELEMENT;
        break;
      }
      out[k++] = v;
      v = 0;
      mode = EXPECT_NUMBER;
      i++;
      continue;
    }
    let d = c - 0x30;
    if (d >= 0 && d <= 9) {
      if (mode === AFTER_NUMBER) {
        carry[3] = MISSING_COMMA;
        break;
      }
      // JSON forbids leading zeros ("07"); a number continued from the previous chunk counts too.
      const leadingZero = mode === EXPECT_NUMBER ? d === 0 && i + 1 < len && buf[i + 1] >= 0x30 && buf[i + 1] <= 0x39 : v === 0;
      if (leadingZero) {
        carry[3] = LEADING_ZERO;
        break;
      }
      do {
        v = v * 10 + d;
        if (++i === len) break;
        d = buf[i] - 0x30;
      } while (d >= 0 && d <= 9);
      mode = IN_NUMBER;
      continue;
    }
    if (c === 0x0a || c === 0x20 || c === 0x0d || c === 0x09) {
      if (mode === IN_NUMBER) mode = AFTER_NUMBER;
      i++;
      continue;
    }
    break;
  }
  carry[0] = v;
  carry[1] = k;
  carry[2] = mode;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function syntax(what: string, at: number): never {
  throw snapshotError('LW_ERR_SNAPSHOT_SYNTAX', `${what} at byte ${at}`);
}

export function createSnapshotParser(options: SnapshotParserOptions): SnapshotParser {
  let state = TOP_START;
  let consumed = 0; // bytes of earlier chunks
  let key = '';
  let keyParts: number[] = [];
  const seen = new Set<string>();

  let meta: SnapshotMeta | null = null;
  let metaParts: Buffer[] = [];
  let metaBytes = 0;
  let metaDepth = 0;
  let metaInString = false;
  let metaEscape = false;

  let skipDepth = 0;
  let skipInString = false;
  let skipEscape = false;
  let skipScalar = false;

  // Number-array state shared by nodes and edges (only one is open at a time).
  let numFirst = true; // no number yet after '['

  // Nodes.
  let nodeType = new Uint8Array(0);
  let nodeName = new Uint32Array(0);
  let nodeId = new Uint32Array(0);
  let selfSize = new Float64Array(0);
  let firstEdge = new Uint32Array(1);
  let nodeOrdinal = 0;
  let nodeField = 0;
  let edgeSum = 0;
  // Edges.
  let edgeType = new Uint8Array(0);
  let edgeName = new Uint32Array(0);
  let edgeTarget = new Uint32Array(0);
  let edgeOrdinal = 0;
  let edgeField = 0;
  // Largest string index used as a node name, as a string-named edge's name, and as an internal
  // edge's name: tracked while storing, so the strings can be chosen and checked without more passes.
  let maxNodeName = -1;
  let maxNamedEdgeName = -1;
  let maxInternalEdgeName = -1;
  let elementEdgeType = -1;
  let hiddenEdgeType = -1;
  let internalEdgeType = -1;

  // Strings.
  const strings = createStringTable({ maxStringBytes: options.keepStrings === 'analysis' ? MAX_KEPT_STRING_BYTES : undefined });
  let strState = STR_EXPECT_FIRST;
  let strBytes = 0;
  let strEscape = 0; // 0 none, 1 after backslash, 2..5 hex digits still expected (5 - strEscape + 1)
  let strHasEscape = false;
  let keepString: ((index: number) => 0 | 1 | 2) | null = null;

  function allocate(m: SnapshotMeta): void {
    // Node and edge types share one buffer: once the analysis has classified the edges, both are
    // dead and the dominator search reuses the space (dominators.ts).
    const types = new ArrayBuffer(m.nodeCount + m.edgeCount);
    nodeType = new Uint8Array(types, 0, m.nodeCount);
    nodeName = new Uint32Array(m.nodeCount);
    nodeId = new Uint32Array(m.nodeCount);
    selfSize = new Float64Array(m.nodeCount);
    firstEdge = new Uint32Array(m.nodeCount + 1);
    edgeType = new Uint8Array(types, m.nodeCount, m.edgeCount);
    edgeName = new Uint32Array(m.edgeCount);
    edgeTarget = new Uint32Array(m.edgeCount);
  }

  /**
   * Marks the strings the analysis needs; called when the strings array starts (V8 writes it
   * last). Names of object and native nodes are class names; internal edge names may be WeakMap
   * ephemeron names (kept only if they look like one). Everything else is skipped.
   */
  function chooseStrings(): (index: number) => 0 | 1 | 2 {
    if (options.keepStrings === 'all' || !meta || !seen.has('nodes') || !seen.has('edges')) return () => 2;
    const objectType = meta.nodeTypeNames.indexOf('object');
    const nativeType = meta.nodeTypeNames.indexOf('native');
    const internalEdge = internalEdgeType;
    const max = Math.max(0, maxNodeName, maxInternalEdgeName);
    const names = new Uint8Array((max >>> 3) + 1);
    const internal = new Uint8Array((max >>> 3) + 1);
    for (let i = 0; i < meta.nodeCount; i++) {
      const t = nodeType[i];
      if (t === objectType || t === nativeType) names[nodeName[i] >>> 3] |= 1 << (nodeName[i] & 7);
    }
    for (let e = 0; e < meta.edgeCount; e++) {
      if (edgeType[e] === internalEdge) internal[edgeName[e] >>> 3] |= 1 << (edgeName[e] & 7);
    }
    return (index) => {
      if (index > max) return 0;
      const bit = 1 << (index & 7);
      return (names[index >>> 3] & bit) !== 0 ? 2 : (internal[index >>> 3] & bit) !== 0 ? 1 : 0;
    };
  }

  // ---- number arrays -------------------------------------------------------------------------

  function endNodes(at: number): void {
    const m = meta!;
    if (nodeOrdinal !== m.nodeCount || nodeField !== 0) {
      throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `nodes holds ${nodeOrdinal * m.nodeFieldCount + nodeField} numbers, node_count ${m.nodeCount} needs ${m.nodeCount * m.nodeFieldCount} (byte ${at})`);
    }
    if (edgeSum !== m.edgeCount) {
      throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `the nodes' edge counts add up to ${edgeSum}, edge_count is ${m.edgeCount}`);
    }
  }

  function endEdges(at: number): void {
    const m = meta!;
    if (edgeOrdinal !== m.edgeCount || edgeField !== 0) {
      throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `edges holds ${edgeOrdinal * m.edgeFieldCount + edgeField} numbers, edge_count ${m.edgeCount} needs ${m.edgeCount * m.edgeFieldCount} (byte ${at})`);
    }
  }

  // Field kinds: what to do with the k-th number of a node or an edge.
  const SKIP = 0;
  const NODE_TYPE = 1;
  const NODE_NAME = 2;
  const NODE_ID = 3;
  const NODE_SIZE = 4;
  const NODE_EDGES = 5;
  const EDGE_TYPE = 6;
  const EDGE_NAME = 7;
  const EDGE_TO = 8;
  let nodeKinds = new Uint8Array(0);
  let edgeKinds = new Uint8Array(0);
  /** Numbers of the current chunk, tokenized before they are distributed to the field arrays. */
  let scratch = new Float64Array(0);
  const carry = new Float64Array(4);
  /** The WebAssembly tokenizer (wasm-tokenizer.ts); the JavaScript one when it is unavailable or turned off. */
  const wasm = options.tokenizer === 'js' ? null : createWasmTokenizer(WASM_WINDOW_BYTES);

  function prepareFields(m: SnapshotMeta): void {
    elementEdgeType = m.edgeTypeNames.indexOf('element');
    hiddenEdgeType = m.edgeTypeNames.indexOf('hidden');
    internalEdgeType = m.edgeTypeNames.indexOf('internal');
    nodeKinds = new Uint8Array(m.nodeFieldCount);
    nodeKinds[m.nodeTypeOffset] = NODE_TYPE;
    nodeKinds[m.nodeNameOffset] = NODE_NAME;
    nodeKinds[m.nodeIdOffset] = NODE_ID;
    nodeKinds[m.nodeSelfSizeOffset] = NODE_SIZE;
    nodeKinds[m.nodeEdgeCountOffset] = NODE_EDGES;
    edgeKinds = new Uint8Array(m.edgeFieldCount);
    edgeKinds[m.edgeTypeOffset] = EDGE_TYPE;
    edgeKinds[m.edgeNameOffset] = EDGE_NAME;
    edgeKinds[m.edgeToNodeOffset] = EDGE_TO;
  }

  /**
   * Distributes `count` tokenized numbers to the node arrays. Whole nodes go through a loop that
   * reads each field at its fixed offset (several times cheaper than a per-number switch); the
   * careful per-number path finishes a node split across chunks and names any bad value.
   */
  function storeNodes(values: Float64Array, count: number, at: number): void {
    const m = meta!;
    const nf = m.nodeFieldCount;
    const typeCount = m.nodeTypeNames.length;
    const nodeLimit = m.nodeCount;
    const edgeLimit = m.edgeCount;
    let j = 0;
    while (j < count) {
      if (nodeField === 0) {
        const types = nodeType;
        const names = nodeName;
        const ids = nodeId;
        const sizes = selfSize;
        const first = firstEdge;
        const tOff = m.nodeTypeOffset;
        const nOff = m.nodeNameOffset;
        const iOff = m.nodeIdOffset;
        const sOff = m.nodeSelfSizeOffset;
        const eOff = m.nodeEdgeCountOffset;
        let n = nodeOrdinal;
        let sum = edgeSum;
        let maxName = maxNodeName;
        const whole = Math.min(Math.floor((count - j) / nf), nodeLimit - n);
        for (let w = 0; w < whole; w++) {
          const t = values[j + tOff];
          const name = values[j + nOff];
          const id = values[j + iOff];
          const size = values[j + sOff];
          const edges = values[j + eOff];
          if (t >= typeCount || name > MAX_U32 || id > MAX_U32 || size > Number.MAX_SAFE_INTEGER || sum + edges > edgeLimit) break;
          sum += edges;
          if (name > maxName) maxName = name;
          types[n] = t;
          names[n] = name;
          ids[n] = id;
          sizes[n] = size;
          first[n + 1] = sum;
          n++;
          j += nf;
        }
        nodeOrdinal = n;
        edgeSum = sum;
        maxNodeName = maxName;
        if (j >= count) break;
      }
      nodeValue(values[j], at);
      j++;
    }
  }

  function nodeValue(v: number, at: number): void {
    const m = meta!;
    const f = nodeField;
    const n = nodeOrdinal;
    if (n >= m.nodeCount) throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `nodes has more than node_count (${m.nodeCount}) nodes (near byte ${at})`);
    switch (nodeKinds[f]) {
      case NODE_TYPE:
        if (v >= m.nodeTypeNames.length) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `node ${n} has type ${v}, there are ${m.nodeTypeNames.length} node types`);
        nodeType[n] = v;
        break;
      case NODE_NAME:
        if (v > MAX_U32) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `node ${n} has name index ${v}`);
        nodeName[n] = v;
        if (v > maxNodeName) maxNodeName = v;
        break;
      case NODE_ID:
        if (v > MAX_U32) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `node ${n} has id ${v}, above 2^32`);
        nodeId[n] = v;
        break;
      case NODE_SIZE:
        if (v > Number.MAX_SAFE_INTEGER) throw snapshotError('LW_ERR_SNAPSHOT_SYNTAX', `node ${n} has self size ${v}, beyond exact integers`);
        selfSize[n] = v;
        break;
      case NODE_EDGES:
        edgeSum += v;
        if (edgeSum > m.edgeCount) throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `the nodes' edge counts exceed edge_count (${m.edgeCount}) at node ${n}`);
        firstEdge[n + 1] = edgeSum;
        break;
    }
    if (f + 1 === m.nodeFieldCount) {
      nodeField = 0;
      nodeOrdinal = n + 1;
    } else {
      nodeField = f + 1;
    }
  }

  /** Distributes `count` tokenized numbers to the edge arrays (same split as storeNodes). */
  function storeEdges(values: Float64Array, count: number, at: number): void {
    const m = meta!;
    const ef = m.edgeFieldCount;
    const nf = m.nodeFieldCount;
    const typeCount = m.edgeTypeNames.length;
    const nodeIndexLimit = m.nodeCount * nf;
    let j = 0;
    while (j < count) {
      if (edgeField === 0) {
        const types = edgeType;
        const names = edgeName;
        const targets = edgeTarget;
        const tOff = m.edgeTypeOffset;
        const nOff = m.edgeNameOffset;
        const toOff = m.edgeToNodeOffset;
        let e = edgeOrdinal;
        let maxNamed = maxNamedEdgeName;
        let maxInternal = maxInternalEdgeName;
        const element = elementEdgeType;
        const hidden = hiddenEdgeType;
        const internal = internalEdgeType;
        const whole = Math.min(Math.floor((count - j) / ef), m.edgeCount - e);
        for (let w = 0; w < whole; w++) {
          const t = values[j + tOff];
          const name = values[j + nOff];
          const to = values[j + toOff];
          const target = Math.floor(to / nf);
          if (t >= typeCount || name > MAX_U32 || to >= nodeIndexLimit || target * nf !== to) break;
          if (t !== element && t !== hidden && name > maxNamed) {
            maxNamed = name;
            if (t === internal && name > maxInternal) maxInternal = name;
          } else if (t === internal && name > maxInternal) {
            maxInternal = name;
          }
          types[e] = t;
          names[e] = name;
          targets[e] = target;
          e++;
          j += ef;
        }
        edgeOrdinal = e;
        maxNamedEdgeName = maxNamed;
        maxInternalEdgeName = maxInternal;
        if (j >= count) break;
      }
      edgeValue(values[j], at);
      j++;
    }
  }

  function edgeValue(v: number, at: number): void {
    const m = meta!;
    const f = edgeField;
    const e = edgeOrdinal;
    if (e >= m.edgeCount) throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `edges has more than edge_count (${m.edgeCount}) edges (near byte ${at})`);
    switch (edgeKinds[f]) {
      case EDGE_TYPE:
        if (v >= m.edgeTypeNames.length) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `edge ${e} has type ${v}, there are ${m.edgeTypeNames.length} edge types`);
        edgeType[e] = v;
        break;
      case EDGE_NAME:
        if (v > MAX_U32) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `edge ${e} has name or index ${v}, above 2^32`);
        edgeName[e] = v;
        break;
      case EDGE_TO: {
        const nf = m.nodeFieldCount;
        const target = Math.floor(v / nf);
        if (target * nf !== v || target >= m.nodeCount) {
          throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `edge ${e} points to nodes[${v}], which is not the start of one of the ${m.nodeCount} nodes`);
        }
        edgeTarget[e] = target;
        break;
      }
    }
    if (f + 1 === m.edgeFieldCount) {
      const t = edgeType[e];
      const name = edgeName[e];
      if (t !== elementEdgeType && t !== hiddenEdgeType && name > maxNamedEdgeName) maxNamedEdgeName = name;
      if (t === internalEdgeType && name > maxInternalEdgeName) maxInternalEdgeName = name;
      edgeField = 0;
      edgeOrdinal = e + 1;
    } else {
      edgeField = f + 1;
    }
  }

  /**
   * Scans a number array from `i`; returns the index after its closing ']' (or buf.length).
   * The hot loop only tokenizes into `scratch`: digits accumulate, ',' ends a number; everything
   * else takes the rare path. V8 writes only non-negative integers here, one node per line
   * ("...,0\n,9,..."). Two cases are not told apart from valid input by the loop, to keep it
   * tight: an empty element ("1,,2" reads as 1,0,2) and digits split by whitespace ("1 2" reads as
   * 12). Both change how many numbers there are, so the count check rejects them (COUNTS).
   */
  function numbers(buf: Buffer, i: number, isNodes: boolean): number {
    const len = buf.length;
    for (;;) {
      // The WebAssembly tokenizer takes the input in windows of its buffer's size.
      const windowEnd = wasm ? Math.min(len, i + wasm.input.length) : len;
      let stop: number;
      let values: Float64Array;
      if (wasm) {
        wasm.input.set(buf.subarray(i, windowEnd));
        stop = i + wasm.run(windowEnd - i, carry);
        values = wasm.output;
      } else {
        if (scratch.length < (len >>> 1) + 2) scratch = new Float64Array((len >>> 1) + 2);
        stop = tokenizeNumbers(buf, i, scratch, carry);
        values = scratch;
      }
      let k = carry[1];
      if (carry[3] === EMPTY_ELEMENT) syntax('empty array element', consumed + stop);
      if (carry[3] === MISSING_COMMA) syntax('missing "," between numbers', consumed + stop);
      if (carry[3] === LEADING_ZERO) syntax('a number with a leading zero', consumed + stop);
      let closed = false;
      if (stop < windowEnd) {
        const c = buf[stop];
        if (c !== 0x5d) syntax(`unexpected ${JSON.stringify(String.fromCharCode(c))} in a number array`, consumed + stop);
        if (carry[2] !== EXPECT_NUMBER) values[k++] = carry[0];
        else if (!(numFirst && k === 0)) syntax('trailing "," in array', consumed + stop);
        closed = true;
      }
      if (k > 0) numFirst = false;
      if (isNodes) storeNodes(values, k, consumed + stop);
      else storeEdges(values, k, consumed + stop);
      if (closed) {
        carry[0] = 0;
        carry[2] = EXPECT_NUMBER;
        numFirst = true;
        if (isNodes) endNodes(consumed + stop);
        else endEdges(consumed + stop);
        state = AFTER_VALUE;
        return stop + 1;
      }
      if (windowEnd >= len) return len;
      i = windowEnd;
    }
  }

  // ---- strings ---------------------------------------------------------------------------------

  function stringsArray(buf: Buffer, i: number): number {
    const len = buf.length;
    let backslash = -2; // cached position of the next '\' at or after the scan position (-1: none)
    while (i < len) {
      if (strState === STR_IN) {
        const start = i;
        // Finish an escape that began in the previous chunk (or just now).
        while (strEscape !== 0 && i < len) {
          const c = buf[i];
          if (strEscape === 1) {
            if (c === 0x75) strEscape = 2;
            else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) strEscape = 0;
            else syntax('invalid escape in a string', consumed + i);
          } else {
            const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
            if (!hex) syntax('invalid \\u escape in a string', consumed + i);
            strEscape = strEscape === 5 ? 0 : strEscape + 1;
          }
          i++;
        }
        if (i >= len) {
          strings.append(buf, start, len, strHasEscape);
          strBytes += len - start;
          break;
        }
        const quote = buf.indexOf(0x22, i);
        if (backslash !== -1 && backslash < i) backslash = buf.indexOf(0x5c, i);
        const stop = quote === -1 ? len : quote;
        if (backslash !== -1 && backslash < stop) {
          // An escape before the closing quote: keep scanning after it.
          strHasEscape = true;
          strEscape = 1;
          i = backslash + 1;
          strings.append(buf, start, i, true);
          strBytes += i - start;
          continue;
        }
        strings.append(buf, start, stop, strHasEscape);
        strBytes += stop - start;
        if (strBytes > MAX_STRING_BYTES) {
          throw snapshotError('LW_ERR_SNAPSHOT_STRING', `string ${strings.count} is longer than 512 MiB, more than V8 can write`);
        }
        if (quote === -1) {
          i = len;
          break;
        }
        strings.end();
        strState = STR_AFTER;
        i = quote + 1;
        continue;
      }
      const c = buf[i];
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (strState === STR_AFTER) {
        if (c === 0x2c) strState = STR_EXPECT_VALUE;
        else if (c === 0x5d) return closeStrings(i);
        else syntax(`unexpected ${JSON.stringify(String.fromCharCode(c))} after a string`, consumed + i);
        i++;
        continue;
      }
      // STR_EXPECT_FIRST or STR_EXPECT_VALUE
      if (c === 0x22) {
        strState = STR_IN;
        strBytes = 0;
        strHasEscape = false;
        strings.begin(keepString!(strings.count));
        i++;
        continue;
      }
      if (c === 0x5d && strState === STR_EXPECT_FIRST) return closeStrings(i);
      syntax('expected a string', consumed + i);
    }
    if (strState === STR_IN && strBytes > MAX_STRING_BYTES) {
      throw snapshotError('LW_ERR_SNAPSHOT_STRING', `string ${strings.count} is longer than 512 MiB, more than V8 can write`);
    }
    return len;
  }

  function closeStrings(i: number): number {
    state = AFTER_VALUE;
    return i + 1;
  }

  // ---- header and skipped values ------------------------------------------------------------

  function metaValue(buf: Buffer, i: number): number {
    const len = buf.length;
    const start = i;
    for (; i < len; i++) {
      const c = buf[i];
      if (metaInString) {
        if (metaEscape) metaEscape = false;
        else if (c === 0x5c) metaEscape = true;
        else if (c === 0x22) metaInString = false;
      } else if (c === 0x22) metaInString = true;
      else if (c === 0x7b || c === 0x5b) metaDepth++;
      else if (c === 0x7d || c === 0x5d) {
        metaDepth--;
        if (metaDepth === 0) {
          metaParts.push(Buffer.from(buf.subarray(start, i + 1)));
          const text = Buffer.concat(metaParts).toString('utf8');
          metaParts = [];
          meta = parseSnapshotMeta(text, options.inputBytes);
          allocate(meta);
          prepareFields(meta);
          state = AFTER_VALUE;
          return i + 1;
        }
      }
    }
    metaBytes += len - start;
    if (metaBytes > MAX_META_BYTES) throw snapshotError('LW_ERR_SNAPSHOT_META', `the snapshot header is larger than ${MAX_META_BYTES} bytes`);
    metaParts.push(Buffer.from(buf.subarray(start, len)));
    return len;
  }

  /** Skips any JSON value (depth counting, string aware) in constant memory. */
  function skipValue(buf: Buffer, i: number): number {
    const len = buf.length;
    for (; i < len; i++) {
      const c = buf[i];
      if (skipInString) {
        if (skipEscape) skipEscape = false;
        else if (c === 0x5c) skipEscape = true;
        else if (c === 0x22) {
          skipInString = false;
          if (skipDepth === 0) {
            state = AFTER_VALUE;
            return i + 1;
          }
        }
        continue;
      }
      if (c === 0x22) skipInString = true;
      else if (c === 0x7b || c === 0x5b) skipDepth++;
      else if (c === 0x7d || c === 0x5d) {
        if (skipDepth === 0) {
          // The end of the enclosing object: a scalar value just ended.
          if (!skipScalar) syntax('unexpected closing bracket', consumed + i);
          state = AFTER_VALUE;
          return i;
        }
        skipDepth--;
        if (skipDepth === 0) {
          state = AFTER_VALUE;
          return i + 1;
        }
      } else if (c === 0x2c && skipDepth === 0) {
        if (!skipScalar) syntax('unexpected ","', consumed + i);
        state = AFTER_VALUE;
        return i;
      } else if (skipDepth === 0 && !isSpace(c)) {
        skipScalar = true;
      }
    }
    return len;
  }

  // ---- top level -------------------------------------------------------------------------------

  function startValue(c: number, at: number): void {
    if (seen.has(key)) syntax(`duplicate "${key}" section`, at);
    seen.add(key);
    if (key === 'snapshot') {
      if (c !== 0x7b) syntax('"snapshot" must be an object', at);
      // The opening brace is consumed by the caller.
      metaDepth = 1;
      metaParts = [Buffer.from('{')];
      metaBytes = 1;
      metaInString = false;
      metaEscape = false;
      state = IN_META;
    } else if (key === 'nodes' || key === 'edges') {
      if (!meta) throw snapshotError('LW_ERR_SNAPSHOT_META', `"${key}" comes before the "snapshot" header`);
      if (c !== 0x5b) syntax(`"${key}" must be an array`, at);
      state = key === 'nodes' ? IN_NODES : IN_EDGES;
    } else if (key === 'strings') {
      if (c !== 0x5b) syntax('"strings" must be an array', at);
      keepString = chooseStrings();
      strState = STR_EXPECT_FIRST;
      state = IN_STRINGS;
    } else {
      skipDepth = 0;
      skipInString = false;
      skipEscape = false;
      skipScalar = false;
      state = IN_SKIP;
    }
  }

  function write(buf: Buffer): void {
    const len = buf.length;
    let i = 0;
    while (i < len) {
      switch (state) {
        case IN_NODES:
          i = numbers(buf, i, true);
          continue;
        case IN_EDGES:
          i = numbers(buf, i, false);
          continue;
        case IN_STRINGS:
          i = stringsArray(buf, i);
          continue;
        case IN_META:
          i = metaValue(buf, i);
          continue;
        case IN_SKIP:
          i = skipValue(buf, i);
          continue;
        case IN_KEY: {
          const c = buf[i++];
          if (c === 0x22) {
            key = Buffer.from(keyParts).toString('utf8');
            keyParts = [];
            state = EXPECT_COLON;
          } else if (keyParts.length < 64) keyParts.push(c);
          continue;
        }
        default:
          break;
      }
      const c = buf[i];
      if (isSpace(c) || (state === TOP_START && consumed + i < 3 && (c === 0xef || c === 0xbb || c === 0xbf))) {
        i++;
        continue;
      }
      const at = consumed + i;
      switch (state) {
        case TOP_START:
          if (c !== 0x7b) syntax('a heap snapshot starts with "{"', at);
          state = EXPECT_KEY_OR_END;
          break;
        case EXPECT_KEY_OR_END:
        case EXPECT_KEY:
          if (c === 0x22) {
            keyParts = [];
            state = IN_KEY;
          } else if (c === 0x7d && state === EXPECT_KEY_OR_END) state = DONE;
          else syntax('expected a key', at);
          break;
        case EXPECT_COLON:
          if (c !== 0x3a) syntax('expected ":"', at);
          state = EXPECT_VALUE;
          break;
        case EXPECT_VALUE:
          startValue(c, at);
          // The opening bracket is consumed here, except by the generic skipper, which counts it.
          if ((state as number) === IN_SKIP) continue;
          break;
        case AFTER_VALUE:
          if (c === 0x2c) state = EXPECT_KEY;
          else if (c === 0x7d) state = DONE;
          else syntax('expected "," or "}"', at);
          break;
        case DONE:
          syntax('data after the end of the snapshot', at);
      }
      i++;
    }
    consumed += len;
  }

  function end(): HeapGraph {
    if (state !== DONE) {
      const where = state === IN_NODES ? ' inside "nodes"' : state === IN_EDGES ? ' inside "edges"' : state === IN_STRINGS ? ' inside "strings"' : '';
      throw snapshotError('LW_ERR_SNAPSHOT_TRUNCATED', `the snapshot ends early${where} after ${consumed} bytes`);
    }
    for (const section of ['snapshot', 'nodes', 'edges', 'strings']) {
      if (!seen.has(section)) throw snapshotError('LW_ERR_SNAPSHOT_META', `the snapshot has no "${section}" section`);
    }
    const m = meta!;
    const stringCount = strings.count;
    // Name indices must point into the string table (element and hidden edges carry an index
    // instead); the largest ones were tracked while storing, the culprit is looked up on failure.
    if (maxNodeName >= stringCount) {
      const i = nodeName.findIndex((name) => name >= stringCount);
      throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `node ${i} has name index ${nodeName[i]}, there are ${stringCount} strings`);
    }
    if (maxNamedEdgeName >= stringCount) {
      let e = 0;
      while (edgeType[e] === elementEdgeType || edgeType[e] === hiddenEdgeType || edgeName[e] < stringCount) e++;
      throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `edge ${e} has name index ${edgeName[e]}, there are ${stringCount} strings`);
    }
    return {
      nodeCount: m.nodeCount,
      edgeCount: m.edgeCount,
      nodeTypeNames: m.nodeTypeNames,
      edgeTypeNames: m.edgeTypeNames,
      nodeType,
      nodeName,
      nodeId,
      selfSize,
      firstEdge,
      edgeType,
      edgeName,
      edgeTarget,
      strings,
      byteLength: consumed,
    };
  }

  return { write, end };
}
