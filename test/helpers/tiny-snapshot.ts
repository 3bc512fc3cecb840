/**
 * Builds small heap graphs in V8's .heapsnapshot JSON layout, so tests can state a graph by hand
 * and know its dominators and retained sizes exactly.
 *
 * The meta block mirrors what `v8.writeHeapSnapshot()` writes in Node 20 (node_fields with
 * `detachedness`, the `wasm object` node type, trace/sample/location field lists), and the text
 * layout mirrors V8's serializer: one node / edge / string per line, so truncating the text at a
 * line boundary lands between records exactly as it would in a real file.
 */

/** V8's node types in V8's order; the index is the number written in the `type` field. */
export const NODE_TYPES = [
  'hidden',
  'array',
  'string',
  'object',
  'code',
  'closure',
  'regexp',
  'number',
  'native',
  'synthetic',
  'concatenated string',
  'sliced string',
  'symbol',
  'bigint',
  'object shape',
  'wasm object',
] as const;

/** V8's edge types in V8's order. */
export const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'] as const;

export type TinyNodeType = (typeof NODE_TYPES)[number];
export type TinyEdgeType = (typeof EDGE_TYPES)[number];

export const NODE_FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'] as const;
export const EDGE_FIELDS = ['type', 'name_or_index', 'to_node'] as const;

/** The meta object exactly as Node 20's V8 writes it. */
export function v8SnapshotMeta(): Record<string, unknown> {
  return {
    node_fields: [...NODE_FIELDS],
    node_types: [[...NODE_TYPES], 'string', 'number', 'number', 'number', 'number', 'number'],
    edge_fields: [...EDGE_FIELDS],
    edge_types: [[...EDGE_TYPES], 'string_or_number', 'node'],
    trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
    trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
    sample_fields: ['timestamp_us', 'last_assigned_id'],
    location_fields: ['object_index', 'script_id', 'line', 'column'],
  };
}

export interface TinyNodeOptions {
  /** Snapshot object id; defaults to V8's scheme of odd ids (root = 1). */
  id?: number;
  detachedness?: number;
}

export interface TinySnapshot {
  /** Ordinal of the synthetic root (always 0, as in V8's snapshots). */
  readonly root: number;
  /** Adds a node and returns its ordinal (position in the nodes array / node field count). */
  node(type: TinyNodeType, name: string, selfSize: number, options?: TinyNodeOptions): number;
  /**
   * Adds an edge `from -> to`. `nameOrIndex` is a name for named edge types and a number for
   * `element` and `hidden` edges (V8 writes an index for those, a string index for the rest).
   */
  edge(from: number, to: number, type: TinyEdgeType, nameOrIndex?: string | number): void;
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** The snapshot as V8 would write it (`rawUtf8`: non-ASCII left unescaped, as other writers do). */
  toJson(options?: { rawUtf8?: boolean }): string;
  /** The same data as a plain object (for tests that corrupt one field before serialising). */
  toObject(): TinySnapshotObject;
}

export interface TinySnapshotObject {
  snapshot: { meta: Record<string, unknown>; node_count: number; edge_count: number; trace_function_count: number };
  nodes: number[];
  edges: number[];
  trace_function_infos: number[];
  trace_tree: number[];
  samples: number[];
  locations: number[];
  strings: string[];
}

interface TinyNode {
  type: number;
  name: string;
  id: number;
  selfSize: number;
  detachedness: number;
}

interface TinyEdge {
  type: number;
  nameOrIndex: string | number;
  to: number;
}

/** A graph with only the synthetic root (ordinal 0, empty name, id 1, size 0, like V8's). */
export function createTinySnapshot(): TinySnapshot {
  const nodes: TinyNode[] = [];
  const edgesByNode: TinyEdge[][] = [];
  let edgeCount = 0;

  const snapshot: TinySnapshot = {
    root: 0,
    node(type, name, selfSize, options = {}) {
      const typeIndex = NODE_TYPES.indexOf(type);
      if (typeIndex < 0) throw new Error(`unknown node type ${type}`);
      const ordinal = nodes.length;
      nodes.push({ type: typeIndex, name, id: options.id ?? ordinal * 2 + 1, selfSize, detachedness: options.detachedness ?? 0 });
      edgesByNode.push([]);
      return ordinal;
    },
    edge(from, to, type, nameOrIndex) {
      const typeIndex = EDGE_TYPES.indexOf(type);
      if (typeIndex < 0) throw new Error(`unknown edge type ${type}`);
      if (!(from >= 0 && from < nodes.length) || !(to >= 0 && to < nodes.length)) throw new Error(`edge ${from} -> ${to}: no such node`);
      const numbered = type === 'element' || type === 'hidden';
      const value = nameOrIndex ?? (numbered ? edgesByNode[from].length : `e${edgeCount}`);
      if (numbered !== (typeof value === 'number')) throw new Error(`${type} edge wants a ${numbered ? 'number' : 'name'}`);
      edgesByNode[from].push({ type: typeIndex, nameOrIndex: value, to });
      edgeCount++;
    },
    get nodeCount() {
      return nodes.length;
    },
    get edgeCount() {
      return edgeCount;
    },
    toObject() {
      // V8's string table starts with "<dummy>"; names are interned in first-use order.
      const strings: string[] = ['<dummy>'];
      const stringIndex = new Map<string, number>();
      const intern = (s: string): number => {
        let index = stringIndex.get(s);
        if (index === undefined) {
          index = strings.length;
          strings.push(s);
          stringIndex.set(s, index);
        }
        return index;
      };
      const fieldCount = NODE_FIELDS.length;
      const nodeArray: number[] = [];
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i];
        nodeArray.push(n.type, intern(n.name), n.id, n.selfSize, edgesByNode[i].length, 0, n.detachedness);
      }
      const edgeArray: number[] = [];
      for (const list of edgesByNode) {
        for (const e of list) {
          const nameOrIndex = typeof e.nameOrIndex === 'number' ? e.nameOrIndex : intern(e.nameOrIndex);
          edgeArray.push(e.type, nameOrIndex, e.to * fieldCount);
        }
      }
      return {
        snapshot: { meta: v8SnapshotMeta(), node_count: nodes.length, edge_count: edgeCount, trace_function_count: 0 },
        nodes: nodeArray,
        edges: edgeArray,
        trace_function_infos: [],
        trace_tree: [],
        samples: [],
        locations: [],
        strings,
      };
    },
    toJson(options) {
      return serializeV8Layout(snapshot.toObject(), options);
    },
  };
  snapshot.node('synthetic', '', 0, { id: 1 });
  return snapshot;
}

/**
 * A JSON string literal as V8's serializer writes it: besides JSON's escapes, every character
 * outside printable ASCII becomes a \uXXXX escape with upper-case hex digits (here a surrogate
 * pair becomes two escapes; V8 itself writes the low 16 bits of the code point).
 */
export function v8StringLiteral(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

/** Writes a snapshot object with V8's line layout (records separated by "\n,"). */
export function serializeV8Layout(s: TinySnapshotObject, options: { rawUtf8?: boolean } = {}): string {
  const literal = options.rawUtf8 ? (str: string) => JSON.stringify(str) : v8StringLiteral;
  const rows = (values: number[], width: number): string => {
    const lines: string[] = [];
    for (let i = 0; i < values.length; i += width) lines.push(values.slice(i, i + width).join(','));
    return lines.join('\n,');
  };
  const meta = (s.snapshot.meta ?? {}) as { node_fields?: unknown; edge_fields?: unknown };
  const nodeWidth = Array.isArray(meta.node_fields) && meta.node_fields.length > 0 ? meta.node_fields.length : NODE_FIELDS.length;
  const edgeWidth = Array.isArray(meta.edge_fields) && meta.edge_fields.length > 0 ? meta.edge_fields.length : EDGE_FIELDS.length;
  return (
    `{"snapshot":${JSON.stringify(s.snapshot)},\n` +
    `"nodes":[${rows(s.nodes, nodeWidth)}\n],\n` +
    `"edges":[${rows(s.edges, edgeWidth)}\n],\n` +
    `"trace_function_infos":${JSON.stringify(s.trace_function_infos)},\n` +
    `"trace_tree":${JSON.stringify(s.trace_tree)},\n` +
    `"samples":${JSON.stringify(s.samples)},\n` +
    `"locations":[${rows(s.locations, 4)}${s.locations.length > 0 ? '\n' : ''}],\n` +
    `"strings":[${s.strings.map(literal).join(',\n')}]}`
  );
}
