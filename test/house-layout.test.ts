import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

/**
 * The rules that keep the house easy to move in (DESIGN.md, "Module layout"): files that read in
 * one sitting, no import cycles, and imports that only point the ways the module table allows.
 * Read from the sources, so a new file that breaks a rule fails here before review.
 */
const root = path.resolve(__dirname, '..', '..');
const MAX_LINES = 400;
const SOURCE_DIRS = ['src', 'ui', 'test', 'bench', 'support', 'scripts', 'samples', 'bin'];
const SOURCE_EXT = /\.(ts|js|cjs|mjs|css|html)$/;

function walk(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(full, out);
    } else if (SOURCE_EXT.test(entry.name)) {
      out.push(full);
    }
  }
  return out;
}

const files = SOURCE_DIRS.flatMap((dir) => walk(path.join(root, dir)));
const rel = (file: string): string => path.relative(root, file).split(path.sep).join('/');

test('no source file is over 400 lines', () => {
  const long = files
    .map((file) => ({ file: rel(file), lines: fs.readFileSync(file, 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_LINES)
    .map((f) => `${f.file} (${f.lines})`);
  assert.deepEqual(long, []);
});

/** Relative imports of a TypeScript file (static, type-only, re-exports and dynamic imports). */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  const pattern = /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:import|require)\(\s*['"](\.[^'"]+)['"]\s*\)/gm;
  for (const match of text.matchAll(pattern)) {
    const spec = match[1] ?? match[2]!;
    const base = path.resolve(path.dirname(file), spec);
    const target = [`${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')].find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
    if (target) found.push(target);
  }
  return found;
}

const tsFiles = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
const graph = new Map(tsFiles.map((file) => [file, relativeImports(file)]));

/**
 * Every import cycle of `graph`: Tarjan's strongly connected components (1972), iterative; a
 * component of two or more files, or a file importing itself, is a cycle.
 */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const enter = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
  };
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ file: string; edge: number }> = [{ file: start, edge: 0 }];
    enter(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = graph.get(frame.file) ?? [];
      if (frame.edge < targets.length) {
        const to = targets[frame.edge++]!;
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          enter(to);
          work.push({ file: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.file, Math.min(low.get(frame.file)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.file, Math.min(low.get(parent.file)!, low.get(frame.file)!));
      if (low.get(frame.file) !== index.get(frame.file)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.file);
      if (component.length > 1 || targets.includes(frame.file)) cycles.push(component.sort());
    }
  }
  return cycles;
}

test('no import cycle, type-only imports included', () => {
  assert.deepEqual(findCycles(graph).map((cycle) => cycle.map(rel)), []);
});

test('the cycle finder finds cycles: a triangle, a self-import, and none in a diamond', () => {
  const triangle = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []]]);
  assert.deepEqual(findCycles(triangle), [['a', 'b', 'c']]);
  assert.deepEqual(findCycles(new Map([['a', ['a']]])), [['a']]);
  const diamond = new Map([['a', ['b', 'c']], ['b', ['d']], ['c', ['d']], ['d', []]]);
  assert.deepEqual(findCycles(diamond), []);
});

/**
 * Who may import whom (DESIGN.md's module table). `api` is the HTTP and live contract between
 * the collector, the CLI and the browser UI: types and constants only.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  'src/shared': [],
  'src/protocol': ['src/shared'],
  'src/probe': ['src/protocol', 'src/shared'],
  'src/snapshot': ['src/shared'],
  'src/trend': ['src/shared'],
  'src/api': ['src/shared', 'src/trend'],
  'src/store': ['src/shared', 'src/protocol'],
  'src/collector': ['src/api', 'src/protocol', 'src/store', 'src/snapshot', 'src/trend', 'src/shared'],
  'src/cli': ['src/api', 'src/collector', 'src/protocol', 'src/store', 'src/snapshot', 'src/trend', 'src/shared'],
  // The browser bundle: the contract, and pure code that runs in a page as it runs in Node.
  'ui/src': ['src/api', 'src/shared', 'src/trend'],
};

function folderOf(file: string): string | undefined {
  const r = rel(file);
  return Object.keys(MAY_IMPORT).find((folder) => r.startsWith(`${folder}/`));
}

test('imports point only the ways the module table allows', () => {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (!from) continue;
    for (const target of targets) {
      const to = folderOf(target);
      if (to === undefined) {
        wrong.push(`${rel(file)} -> ${rel(target)} (outside src/ and ui/src)`);
      } else if (to !== from && !MAY_IMPORT[from]!.includes(to)) {
        wrong.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

test('the import reader sees every kind of import', () => {
  // src/protocol/index.ts re-exports its modules; the CLI loads the store with a dynamic import.
  const reexports = graph.get(path.join(root, 'src', 'protocol', 'index.ts')) ?? [];
  assert.ok(reexports.includes(path.join(root, 'src', 'protocol', 'decode.ts')), 'export ... from');
  const onDemand = graph.get(path.join(root, 'src', 'cli', 'open-store-on-demand.ts')) ?? [];
  assert.ok(onDemand.includes(path.join(root, 'src', 'store', 'open-store.ts')), 'import()');
});

test('no file name means two things: names repeat across folders only for roles', () => {
  // index.ts is a folder's entry, main.ts a program's, report.ts a benchmark's printout.
  const ROLES = new Set(['index.ts', 'main.ts', 'report.ts']);
  const inSource = tsFiles.filter((file) => /^(src|ui|bench|support)\//.test(rel(file)));
  const byName = new Map<string, string[]>();
  for (const file of inSource) byName.set(path.basename(file), [...(byName.get(path.basename(file)) ?? []), rel(file)]);
  const repeated = [...byName].filter(([name, where]) => where.length > 1 && !ROLES.has(name)).map(([, where]) => where.join(' ~ '));
  assert.deepEqual(repeated, []);
});
