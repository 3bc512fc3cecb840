import type { SuspectPathGroup, SuspectSummary } from '../../shared/suspect-data';
import type { HeapGraph } from '../heap-graph';
import type { ContainerReader } from './container-kinds';
import type { PathText } from './path-text';
import type { RetainerTree } from './retainer-tree';

/** Paths of one shape (path-text.ts collapses indexes and keys), with how many objects have it. */
/** Paths of one shape with their count (the stored form's types: src/shared/suspect-data.ts). */
export type PathGroup = SuspectPathGroup;
export type RetainerPaths = SuspectSummary['paths'];

/**
 * The retainer paths of one suspect: the shortest path from the user roots to the container,
 * and those to a sample of its new members, grouped by shape with a count per group.
 */
export function suspectPaths(graph: HeapGraph, tree: RetainerTree, text: PathText, container: number, members: readonly number[]): RetainerPaths {
  const groups = new Map<string, PathGroup>();
  for (const member of members) {
    const path = pathText(tree, text, member);
    if (path === null) continue;
    const group = groups.get(path);
    if (group) group.count++;
    else groups.set(path, { path, count: 1, exampleId: graph.nodeId[member] });
  }
  return {
    container: pathText(tree, text, container),
    members: [...groups.values()].sort((a, b) => b.count - a.count || (a.path < b.path ? -1 : 1)),
  };
}

function pathText(tree: RetainerTree, text: PathText, node: number): string | null {
  const edges = tree.pathTo(node);
  if (edges === null) return null;
  return text.render(edges.length > 0 ? tree.sourceOf(edges[0]) : node, edges);
}

/**
 * Up to `limit` members of a container allocated since `newSinceId` (V8 ids increase), spread
 * over all of them (every n-th) rather than the first few, so the groups' counts stand for the
 * mix. Falls back to all members when none is new (a container whose entries were replaced).
 */
export function sampleNewMembers(graph: HeapGraph, reader: ContainerReader, container: number, newSinceId: number, limit = 200): number[] {
  const kind = reader.kindOf(container);
  const fresh: number[] = [];
  const all: number[] = [];
  reader.membersOf(container, kind, (member) => {
    if (graph.nodeId[member] > newSinceId) fresh.push(member);
    else all.push(member);
  });
  const pool = fresh.length > 0 ? fresh : all;
  if (pool.length <= limit) return pool;
  const step = pool.length / limit;
  return Array.from({ length: limit }, (_, i) => pool[Math.floor(i * step)]);
}

