import { typeIndexes, type HeapGraph } from './heap-graph';

/**
 * The "Constructor" grouping of Chrome DevTools (HeapSnapshot.ts, calculateObjectNames):
 * - `object` and `native` nodes by their name (the constructor / class name; a browser DOM
 *   name like `<div id="a">` is cut to `<div>`);
 * - `closure` -> `Function`, `regexp` -> `RegExp`, `code` -> `(compiled code)`,
 *   `hidden` -> `(system)`;
 * - every other type as `(type)`: `(string)`, `(concatenated string)`, `(sliced string)`,
 *   `(array)`, `(number)`, `(symbol)`, `(bigint)`, `(object shape)`, `(synthetic)`...
 * Two things DevTools does are left out, deliberately: it splits same-named classes by the
 * constructor's source location, and it renames plain `Object`s after their property names
 * ("{a, b}"). Both are display heuristics that make a type's identity depend on details that
 * change between builds and snapshots; a per-type diff across a run needs stable names.
 *
 * Returns a class id per node (written into `into` when given, else a fresh array) and the names.
 */
export function classifyNodes(graph: HeapGraph, into?: Uint32Array): { classOf: Uint32Array; names: string[] } {
  const t = typeIndexes(graph);
  const names: string[] = [];
  const idOfName = new Map<string, number>();
  const intern = (name: string): number => {
    let id = idOfName.get(name);
    if (id === undefined) {
      id = names.length;
      names.push(name);
      idOfName.set(name, id);
    }
    return id;
  };
  // One class per node type, except object/native which are named per string index.
  const byType = new Int32Array(graph.nodeTypeNames.length).fill(-1);
  graph.nodeTypeNames.forEach((typeName, type) => {
    if (type === t.object || type === t.native) return;
    if (type === t.hidden) byType[type] = intern('(system)');
    else if (type === t.code) byType[type] = intern('(compiled code)');
    else if (type === t.closure) byType[type] = intern('Function');
    else if (type === t.regexp) byType[type] = intern('RegExp');
    else byType[type] = intern(`(${typeName})`);
  });
  const byString = new Map<number, number>();
  const classOf = into && into.length >= graph.nodeCount ? into : new Uint32Array(graph.nodeCount);
  const { nodeType, nodeName, strings } = graph;
  for (let i = 0; i < graph.nodeCount; i++) {
    const type = nodeType[i];
    const fixed = byType[type];
    if (fixed >= 0) {
      classOf[i] = fixed;
      continue;
    }
    const s = nodeName[i];
    let id = byString.get(s);
    if (id === undefined) {
      id = intern(displayName(strings.get(s)));
      byString.set(s, id);
    }
    classOf[i] = id;
  }
  return { classOf, names };
}

function displayName(name: string): string {
  if (name.startsWith('<')) {
    const space = name.indexOf(' ');
    return space === -1 ? name : `${name.slice(0, space)}>`;
  }
  if (name.startsWith('Detached <')) {
    const space = name.indexOf(' ', 10);
    return space === -1 ? name : `${name.slice(0, space)}>`;
  }
  return name;
}
