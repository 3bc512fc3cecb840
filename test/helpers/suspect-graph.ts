import { loadSnapshotText } from '../../src/snapshot/load-snapshot';
import type { HeapGraph } from '../../src/snapshot/heap-graph';
import { buildLabelledGraph, type EdgeSpec, type NodeSpec } from './labelled-graph';
import { NODE_FIELDS, serializeV8Layout } from './tiny-snapshot';

/**
 * A small heap in the shapes V8 writes for a Node service (checked on Node 20's snapshots):
 * a module (its function's context, found through a closure whose SharedFunctionInfo names the
 * script) holding `responseCache`, a Map whose OrderedHashMap table has key and value slots
 * (3 + 3i, 4 + 3i), and `sessions`, a plain object used as a dictionary; the global object holding
 * `bus`, an EventEmitter whose `_events.tick` is a listener array of closures; and a timer list.
 */
export const ENTRIES = 20;

export interface SuspectGraph {
  graph: HeapGraph;
  ordinal: Map<string, number>;
}

/** The heap with `entries` entries in each container (ids of entry i are the same at any count). */
export function serviceHeap(extraNodes: NodeSpec[] = [], extraEdges: EdgeSpec[] = [], entries = ENTRIES): SuspectGraph {
  const nodes: NodeSpec[] = [
    ['gcroots', 'synthetic', '(GC roots)', 0],
    ['global', 'object', 'global', 40],
    ['ctx', 'object', 'system / Context', 72],
    ['handler', 'closure', 'handler', 64],
    ['sfi', 'code', 'handler', 56],
    ['script', 'code', '/srv/app/server.js', 144],
    ['map', 'object', 'Map', 32],
    ['table', 'array', '', 1000],
    ['dict', 'object', 'Object', 24],
    ['backing', 'array', '(object properties)', 500],
    ['bus', 'object', 'EventEmitter', 56],
    ['events', 'object', 'Object', 24],
    ['listeners', 'object', 'Array', 32],
    ['list', 'object', 'TimersList', 136],
    ...extraNodes,
  ];
  const edges: EdgeSpec[] = [
    ['root', 'gcroots', 'element', 1],
    ['root', 'global', 'shortcut', 'global'],
    ['global', 'handler', 'property', 'handler'],
    ['global', 'bus', 'property', 'bus'],
    ['global', 'list', 'property', 'timers'],
    ['handler', 'ctx', 'internal', 'context'],
    ['handler', 'sfi', 'internal', 'shared'],
    ['sfi', 'script', 'internal', 'script_or_debug_info'],
    ['ctx', 'map', 'context', 'responseCache'],
    ['ctx', 'dict', 'context', 'sessions'],
    ['map', 'table', 'internal', 'table'],
    ['dict', 'backing', 'internal', 'properties'],
    ['bus', 'events', 'property', '_events'],
    ['events', 'listeners', 'property', 'tick'],
  ];
  for (let i = 0; i < entries; i++) {
    nodes.push([`key${i}`, 'string', `/item/${i}`, 24], [`value${i}`, 'object', 'CachedResponse', 32]);
    edges.push(['table', `key${i}`, 'internal', String(3 + 3 * i)], ['table', `value${i}`, 'internal', String(4 + 3 * i)]);
    nodes.push([`session${i}`, 'object', 'Session', 48], [`sessionKey${i}`, 'string', `s${i}`, 16]);
    edges.push(['dict', `session${i}`, 'property', `s${i}`], ['backing', `sessionKey${i}`, 'internal', String(3 + 3 * i)], ['backing', `session${i}`, 'internal', String(4 + 3 * i)]);
    nodes.push([`onTick${i}`, 'closure', 'onTick', 56]);
    edges.push(['listeners', `onTick${i}`, 'element', i], [`onTick${i}`, 'ctx', 'internal', 'context'], [`onTick${i}`, 'sfi', 'internal', 'shared']);
    nodes.push([`timeout${i}`, 'object', 'Timeout', 120]);
    edges.push([i === 0 ? 'list' : `timeout${i - 1}`, `timeout${i}`, 'property', '_idleNext']);
  }
  edges.push([`timeout${entries - 1}`, 'list', 'property', '_idleNext'], ...extraEdges);
  const { snapshot, ordinal } = buildLabelledGraph(nodes, edges);
  const object = snapshot.toObject();
  // V8 records where each closure was defined: (node index, script id, line, column), 0-based.
  object.locations = [ordinal.get('handler')! * NODE_FIELDS.length, 3, 11, 4];
  for (let i = 0; i < entries; i++) object.locations.push(ordinal.get(`onTick${i}`)! * NODE_FIELDS.length, 3, 40, 19);
  const graph = loadSnapshotText(serializeV8Layout(object), { keepLocations: true });
  return { graph, ordinal };
}
