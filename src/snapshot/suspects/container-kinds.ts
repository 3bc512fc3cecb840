import { typeIndexes, type HeapGraph } from '../heap-graph';
import { createNameMatcher } from './edge-names';

/**
 * Which nodes of a V8 heap snapshot are containers (objects that hold a variable number of other
 * objects), and how many entries each holds. Recognised from the shapes V8's HeapSnapshotGenerator
 * (V8HeapExplorer::Extract*References) writes, as checked on Node 20's snapshots:
 *
 * - `Array` (object node named "Array"): one `element` edge per element holding a heap object,
 *   on the array itself (its FixedArray backing is reported as an `elements` internal edge).
 * - listener list: an Array reached by a property edge from an EventEmitter's `_events` object
 *   (`emitter._events.request = [f1, f2, ...]`, Node's lib/events.js), so it is named apart.
 * - `Map` / `Set`: an internal `table` edge to the OrderedHashMap/OrderedHashSet backing, whose
 *   slots are internal edges named by slot index. A Map entry takes three slots (key, value,
 *   chain), a Set entry two (key, chain); keys and values that are heap objects have edges. A key
 *   and its value are the only two edges with adjacent slot numbers, so entries = edges minus
 *   adjacent pairs, whatever the bucket count. Smi keys and values (small integers) are not heap
 *   objects and are not seen: a Set of small integers shows its backing's bytes only.
 * - dictionary object (any other `object` node): each value is a `property` edge named by its key
 *   (element edges for integer keys); in dictionary mode its `properties` internal edge leads to
 *   the NameDictionary "(object properties)", whose key strings are edges too (key, value,
 *   details: the same adjacent-pair rule), which counts entries whose values are small integers.
 * - closure context ("system / Context"): one `context` edge per captured variable.
 * - timer list (`TimersList`, Node's lib/internal/timers.js): a linked list through `_idleNext`;
 *   its entries are the Timeout objects on the chain, up to MAX_CHAIN.
 */
export const CONTAINER_KINDS = ['array', 'map', 'set', 'object', 'context', 'listeners', 'timers'] as const;
export type ContainerKind = (typeof CONTAINER_KINDS)[number];
export const KIND_ARRAY = 0;
export const KIND_MAP = 1;
export const KIND_SET = 2;
export const KIND_OBJECT = 3;
export const KIND_CONTEXT = 4;
export const KIND_LISTENERS = 5;
export const KIND_TIMERS = 6;
export const NOT_A_CONTAINER = 255;

/** A timer chain longer than this is counted as this long (a bound on one container's work). */
const MAX_CHAIN = 1_000_000;

const NAMES = ['table', 'properties', 'elements', '_events', '__proto__', 'map', '_idleNext', 'Map', 'Set', 'Array', 'system / Context', 'TimersList', '(object properties)'] as const;
const [TABLE, PROPERTIES, , EVENTS, PROTO, , IDLE_NEXT, MAP_NAME, SET_NAME, ARRAY_NAME, CONTEXT_NAME, TIMERS_NAME, DICTIONARY_NAME] = NAMES.map((_, k) => k);

export interface ContainerReader {
  /** The node's container kind (KIND_*), or NOT_A_CONTAINER. */
  kindOf(node: number): number;
  /** Entries the container holds (see above), 0 for a node that is not one. */
  entriesOf(node: number, kind: number): number;
  /** Self size of the container plus its backing store (table, properties dictionary). */
  bytesOf(node: number, kind: number): number;
  /** Calls `visit` with each node the container holds as an entry (keys and values). */
  membersOf(node: number, kind: number, visit: (member: number) => void): void;
  /** True for an object in dictionary mode (its properties in a NameDictionary): keys as data. */
  isDictionary(node: number): boolean;
}

/** One pass over the property edges finds the listener lists; the rest is read per node. */
export function createContainerReader(graph: HeapGraph): ContainerReader {
  const { nodeCount, nodeType, nodeName, firstEdge, edgeType, edgeName, edgeTarget, selfSize, strings } = graph;
  const t = typeIndexes(graph);
  const propertyEdge = graph.edgeTypeNames.indexOf('property');
  const contextEdge = graph.edgeTypeNames.indexOf('context');
  const names = createNameMatcher(strings, NAMES);
  const slotNumber = new Map<number, number>();
  const listenerArrays = findListenerArrays();

  function findListenerArrays(): Uint8Array {
    const marks = new Uint8Array(nodeCount);
    for (let node = 0; node < nodeCount; node++) {
      if (nodeType[node] !== t.object) continue;
      for (let e = firstEdge[node]; e < firstEdge[node + 1]; e++) {
        if (edgeType[e] !== propertyEdge || !names.is(edgeName[e], EVENTS)) continue;
        const events = edgeTarget[e];
        for (let f = firstEdge[events]; f < firstEdge[events + 1]; f++) {
          const list = edgeTarget[f];
          if (edgeType[f] === propertyEdge && nodeType[list] === t.object && names.is(nodeName[list], ARRAY_NAME)) marks[list] = 1;
        }
      }
    }
    return marks;
  }

  /** Target of the node's first edge of `type` named `name`, or -1. */
  function namedTarget(node: number, type: number, name: number): number {
    for (let e = firstEdge[node]; e < firstEdge[node + 1]; e++) if (edgeType[e] === type && names.is(edgeName[e], name)) return edgeTarget[e];
    return -1;
  }

  /** The slot index an internal edge of a hash table is named by (-1 for "map" and other names). */
  function slotOf(stringIndex: number): number {
    let slot = slotNumber.get(stringIndex);
    if (slot === undefined) {
      const text = strings.get(stringIndex);
      slot = /^\d+$/.test(text) ? Number(text) : -1;
      if (slotNumber.size < 1_000_000) slotNumber.set(stringIndex, slot);
    }
    return slot;
  }

  /** Entries of a hash table backing: its slot edges minus key-value pairs (adjacent slots). */
  function tableEntries(table: number): number {
    let edges = 0;
    let pairs = 0;
    let previous = -2;
    for (let e = firstEdge[table]; e < firstEdge[table + 1]; e++) {
      if (edgeType[e] !== t.internalEdge) continue;
      const slot = slotOf(edgeName[e]);
      if (slot < 0) continue;
      edges++;
      if (slot === previous + 1) {
        pairs++;
        previous = -2; // a value ends its entry: the next adjacent slot is not its pair
      } else {
        previous = slot;
      }
    }
    return edges - pairs;
  }

  /** A Map's values: the second of each adjacent pair of slots, and each lone slot (a Smi key's value, or an object key with a Smi value). */
  function mapValues(table: number, visit: (member: number) => void): void {
    let pending = -1; // a slot edge not yet known to be a key or a lone entry
    let previous = -2;
    const flush = () => {
      if (pending >= 0) visit(edgeTarget[pending]);
      pending = -1;
    };
    for (let e = firstEdge[table]; e < firstEdge[table + 1]; e++) {
      if (edgeType[e] !== t.internalEdge) continue;
      const slot = slotOf(edgeName[e]);
      if (slot < 0) continue;
      if (slot === previous + 1 && pending >= 0) {
        pending = -1;
        visit(edgeTarget[e]);
        previous = -2;
      } else {
        flush();
        pending = e;
        previous = slot;
      }
    }
    flush();
  }

  function kindOf(node: number): number {
    const type = nodeType[node];
    if (type !== t.object && type !== t.hidden) return NOT_A_CONTAINER;
    switch (names.which(nodeName[node])) {
      case CONTEXT_NAME:
        return KIND_CONTEXT;
      case MAP_NAME:
        return namedTarget(node, t.internalEdge, TABLE) >= 0 ? KIND_MAP : KIND_OBJECT;
      case SET_NAME:
        return namedTarget(node, t.internalEdge, TABLE) >= 0 ? KIND_SET : KIND_OBJECT;
      case ARRAY_NAME:
        return listenerArrays[node] ? KIND_LISTENERS : KIND_ARRAY;
      case TIMERS_NAME:
        return KIND_TIMERS;
      default:
        return type === t.object ? KIND_OBJECT : NOT_A_CONTAINER;
    }
  }

  function countEdges(node: number, type: number, skipName = -1): number {
    let n = 0;
    for (let e = firstEdge[node]; e < firstEdge[node + 1]; e++) if (edgeType[e] === type && !(skipName >= 0 && names.is(edgeName[e], skipName))) n++;
    return n;
  }

  /** The dictionary backing of an object, or -1 (fast-mode objects have none worth counting). */
  function dictionaryOf(node: number): number {
    const backing = namedTarget(node, t.internalEdge, PROPERTIES);
    return backing >= 0 && names.is(nodeName[backing], DICTIONARY_NAME) ? backing : -1;
  }

  function forChain(list: number, visit: (member: number) => void): number {
    let n = 0;
    let at = namedTarget(list, propertyEdge, IDLE_NEXT);
    while (at >= 0 && at !== list && n < MAX_CHAIN) {
      visit(at);
      n++;
      at = namedTarget(at, propertyEdge, IDLE_NEXT);
    }
    return n;
  }

  function entriesOf(node: number, kind: number): number {
    switch (kind) {
      case KIND_ARRAY:
      case KIND_LISTENERS:
        return countEdges(node, t.elementEdge);
      case KIND_MAP:
      case KIND_SET:
        return tableEntries(namedTarget(node, t.internalEdge, TABLE));
      case KIND_OBJECT: {
        const own = countEdges(node, propertyEdge, PROTO) + countEdges(node, t.elementEdge);
        const dictionary = dictionaryOf(node);
        return dictionary < 0 ? own : Math.max(own, tableEntries(dictionary));
      }
      case KIND_CONTEXT:
        return countEdges(node, contextEdge);
      case KIND_TIMERS:
        return forChain(node, () => {});
      default:
        return 0;
    }
  }

  function bytesOf(node: number, kind: number): number {
    const backing = kind === KIND_MAP || kind === KIND_SET ? namedTarget(node, t.internalEdge, TABLE) : kind === KIND_OBJECT ? dictionaryOf(node) : -1;
    return selfSize[node] + (backing >= 0 ? selfSize[backing] : 0);
  }

  function membersOf(node: number, kind: number, visit: (member: number) => void): void {
    const each = (from: number, type: number, skipName = -1) => {
      for (let e = firstEdge[from]; e < firstEdge[from + 1]; e++) {
        if (edgeType[e] !== type || (skipName >= 0 && names.is(edgeName[e], skipName))) continue;
        if (type === t.internalEdge && slotOf(edgeName[e]) < 0) continue;
        visit(edgeTarget[e]);
      }
    };
    if (kind === KIND_ARRAY || kind === KIND_LISTENERS) each(node, t.elementEdge);
    else if (kind === KIND_MAP) mapValues(namedTarget(node, t.internalEdge, TABLE), visit);
    else if (kind === KIND_SET) each(namedTarget(node, t.internalEdge, TABLE), t.internalEdge);
    else if (kind === KIND_OBJECT) {
      each(node, propertyEdge, PROTO);
      each(node, t.elementEdge);
    } else if (kind === KIND_CONTEXT) each(node, contextEdge);
    else if (kind === KIND_TIMERS) forChain(node, visit);
  }

  return { kindOf, entriesOf, bytesOf, membersOf, isDictionary: (node) => dictionaryOf(node) >= 0 };
}
