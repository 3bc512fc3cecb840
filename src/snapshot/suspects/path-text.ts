import type { SuspectLocation } from '../../shared/suspect-data';
import { typeIndexes, type HeapGraph } from '../heap-graph';
import { KIND_MAP, KIND_OBJECT, KIND_SET, KIND_TIMERS, type ContainerReader } from './container-kinds';
import { createNameMatcher } from './edge-names';

/**
 * Renders a retainer path the way a user reads code: `server.js (module) › responseCache (Map)
 * › [*] › CachedResponse`. A named step (property, context variable) is `name (Class)`; a step
 * through a collection's members (array index, Map or Set slot, key of a dictionary-mode object
 * with 16 keys or more, a Timeout's place on a timer list's chain) is `[*] › Class`,
 * so that the paths to ten thousand entries of one Map have one shape and group into one line.
 * V8's plumbing between the two is left out: a Map's `table` hop, and a closure's `context` hop
 * (the variable it leads to is named instead). A closure is `name() file:line:col`, from the
 * `locations` V8 records for each closure (1-based here, as editors count) and the script its
 * SharedFunctionInfo names; a context is named after its script, `(module)` when it is a
 * script's top scope (its `previous` is not another function's context).
 */
export interface PathText {
  /** The path that starts at `start` and follows `edges`. */
  render(start: number, edges: readonly number[]): string;
  /** How a single node reads (a class name, a closure with its location, a module). */
  label(node: number): string;
  /**
   * The closure and module locations rendered so far whose text occurs in `texts`: the full
   * script url and the 1-based position behind each short `name() file.js:L:C` token, so the
   * collector can map them through source maps and rewrite the texts.
   */
  locationsIn(texts: ReadonlyArray<string | null>): SuspectLocation[];
}

const NAMES = ['table', 'context', 'shared', 'script_or_debug_info', 'script', 'previous', 'system / Context', '_idleNext', '_idlePrev'] as const;
const [TABLE, CONTEXT, SHARED, SCRIPT_OR_DEBUG, SCRIPT, PREVIOUS, CONTEXT_NAME, IDLE_NEXT, IDLE_PREV] = NAMES.map((_, k) => k);
export const SEPARATOR = ' › ';

export function createPathText(graph: HeapGraph, containers: ContainerReader): PathText {
  const { nodeType, nodeName, firstEdge, edgeType, edgeName, edgeTarget, strings, nodeCount } = graph;
  const t = typeIndexes(graph);
  const propertyEdge = graph.edgeTypeNames.indexOf('property');
  const contextEdge = graph.edgeTypeNames.indexOf('context');
  const names = createNameMatcher(strings, NAMES);
  let owners: Map<number, number> | null = null;
  let locationAt: Map<number, number> | null = null;
  /** Every location token rendered, by its text (one per closure or module shown). */
  const rendered = new Map<string, SuspectLocation>();

  const target = (node: number, name: number): number => {
    for (let e = firstEdge[node]; e < firstEdge[node + 1]; e++) if (edgeType[e] === t.internalEdge && names.is(edgeName[e], name)) return edgeTarget[e];
    return -1;
  };
  const isContext = (node: number) => node >= 0 && names.is(nodeName[node], CONTEXT_NAME) && nodeType[node] !== t.closure;

  /** A closure whose context is each context (one pass over the closures, on first need). */
  function ownerOf(context: number): number {
    if (!owners) {
      owners = new Map();
      for (let node = 0; node < nodeCount; node++) {
        if (nodeType[node] !== t.closure) continue;
        const c = target(node, CONTEXT);
        if (c >= 0 && !owners.has(c)) owners.set(c, node);
      }
    }
    return owners.get(context) ?? -1;
  }

  /** The script a closure's SharedFunctionInfo names: its full name, and the short one shown. */
  function scriptOf(closure: number): { url: string; short: string } {
    const shared = target(closure, SHARED);
    if (shared < 0) return { url: '', short: '' };
    let script = target(shared, SCRIPT_OR_DEBUG);
    if (script < 0) script = target(shared, SCRIPT);
    const url = script >= 0 ? strings.get(nodeName[script]) : '';
    return { url, short: url.startsWith('node:') ? url : url.slice(url.lastIndexOf('/') + 1) };
  }

  /** Where V8 says the closure starts, 1-based (line 0 when the snapshot has no location). */
  function positionOf(closure: number): { line: number; col: number } {
    const locations = graph.locations;
    if (!locations) return { line: 0, col: 0 };
    if (!locationAt) {
      locationAt = new Map();
      for (let i = 0; i + 3 < locations.length; i += 4) locationAt.set(locations[i], i);
    }
    const i = locationAt.get(closure);
    return i === undefined ? { line: 0, col: 0 } : { line: locations[i + 2] + 1, col: locations[i + 3] + 1 };
  }

  function remember(token: string, fn: string, url: string, closure: number, module: boolean): string {
    if (!rendered.has(token)) rendered.set(token, { token, fn, url, ...positionOf(closure), module });
    return token;
  }

  function closureLabel(closure: number): string {
    const name = strings.get(nodeName[closure]) || '(anonymous)';
    const script = scriptOf(closure);
    if (!script.short) return `${name}()`;
    const { line, col } = positionOf(closure);
    return remember(`${name}() ${script.short}${line > 0 ? `:${line}:${col}` : ''}`, name, script.url, closure, false);
  }

  function label(node: number): string {
    const type = nodeType[node];
    if (isContext(node)) {
      const owner = ownerOf(node);
      if (owner < 0) return '(context)';
      const top = !isContext(target(node, PREVIOUS));
      const script = scriptOf(owner);
      // A module is placed by one of its closures: the map names the source that closure is in.
      return top && script.short ? remember(`${script.short} (module)`, '', script.url, owner, true) : `${closureLabel(owner)} (scope)`;
    }
    if (type === t.closure) return closureLabel(node);
    if (type === t.object || type === t.native) return strings.get(nodeName[node]) || '(object)';
    if (type === t.hidden) return '(system)';
    return `(${graph.nodeTypeNames[type]})`;
  }

  /**
   * A dictionary-mode object with many keys is a container whose keys are data (`sessions[id]`):
   * collapsed. Not the path's start, though: the global object is a dictionary too, and its keys
   * are the global variables a user looks for.
   */
  function collapsesKeys(node: number, kind: number): boolean {
    return kind === KIND_OBJECT && containers.isDictionary(node) && containers.entriesOf(node, kind) >= 16;
  }

  function render(start: number, edges: readonly number[]): string {
    const parts = [label(start)];
    let from = start;
    let inTable = false; // the previous hop entered a Map or Set backing
    let inChain = false; // the previous hop went along a timer list's chain
    for (const e of edges) {
      const to = edgeTarget[e];
      const type = edgeType[e];
      const kind = containers.kindOf(from);
      const chainHop = type === propertyEdge && (names.is(edgeName[e], IDLE_NEXT) || names.is(edgeName[e], IDLE_PREV));
      if (chainHop && (inChain || kind === KIND_TIMERS)) {
        // A timer list's position is its index: the n-th Timeout of Node's doubly linked list
        // (lib/internal/linkedlist.js) is n hops from either end, one member `[*] › Timeout`.
        if (inChain) parts[parts.length - 1] = label(to);
        else parts.push('[*]', label(to));
        inChain = true;
        inTable = false;
        from = to;
        continue;
      }
      inChain = false;
      if (type === t.internalEdge && (kind === KIND_MAP || kind === KIND_SET) && names.is(edgeName[e], TABLE)) {
        inTable = true;
      } else if (type === t.internalEdge && nodeType[from] === t.closure && names.is(edgeName[e], CONTEXT)) {
        inTable = false;
      } else if (inTable || type === t.elementEdge || (type === propertyEdge && from !== start && collapsesKeys(from, kind))) {
        parts.push('[*]', label(to));
        inTable = false;
      } else {
        const name = type === t.elementEdge || type === t.hiddenEdge ? String(edgeName[e]) : strings.get(edgeName[e]);
        parts.push(`${type === propertyEdge || type === contextEdge ? name : `<${name}>`} (${label(to)})`);
        inTable = false;
      }
      from = to;
    }
    return parts.join(SEPARATOR);
  }

  function locationsIn(texts: ReadonlyArray<string | null>): SuspectLocation[] {
    const present = texts.filter((t): t is string => t !== null);
    return [...rendered.values()].filter((l) => present.some((t) => t.includes(l.token))).map((l) => ({ ...l }));
  }

  return { render, label, locationsIn };
}
