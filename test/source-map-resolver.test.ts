import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { SourceMapGenerator } from 'source-map';
import { createSourceMapResolver } from '../src/collector/source-maps';
import { dataUrlText, lastSourceMappingUrl, mapFileOf, scriptPathOf } from '../src/shared/source-map-url';
import { compileAudit, profiledFrames, type CompiledAudit, type ProfiledFrame } from './helpers/ts-audit';
import { makeTempDir } from './helpers/temp-dir';

/*
 * The collector's resolver on real tsc output: a TypeScript fixture compiled with the project's
 * tsc (external and inline maps), the generated locations taken from a real V8 sampling heap
 * profile of the compiled script (where each allocating function starts), and each resolved back
 * to the .ts line that function is declared on.
 */
const tmp = makeTempDir('source-map-resolver');
after(() => tmp.remove());
let external: CompiledAudit;
let inline: CompiledAudit;
let frames: ProfiledFrame[];

before(async () => {
  [external, inline] = await Promise.all([compileAudit(path.join(tmp.dir, 'external'), 'sourceMap'), compileAudit(path.join(tmp.dir, 'inline'), 'inlineSourceMap')]);
  frames = await profiledFrames(external.script);
});

/** The profile's frame of `fn` in the compiled script (its url as V8 gave it). */
function frameOf(fn: string, script = external.script): ProfiledFrame {
  const frame = frames.find((f) => f.fn === fn && f.url === external.script);
  assert.ok(frame, `no ${fn} frame in ${JSON.stringify(frames.map((f) => `${f.fn}@${f.url}`))}`);
  return { ...frame, url: script };
}

/** The compiled script under a new name in its own directory, with its map (or none) as `arrange` leaves it. */
function variant(name: string, arrange: (script: string, mapText: string) => void): string {
  const dir = path.join(tmp.dir, name, 'dist');
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(dir, 'audit.js');
  const code = fs.readFileSync(external.script, 'utf8');
  fs.writeFileSync(script, code.replace(/\/\/# sourceMappingURL=.*\s*$/, ''));
  arrange(script, fs.readFileSync(`${external.script}.map`, 'utf8'));
  return script;
}

test('external map (tsc --sourceMap): functions resolve to the .ts lines they are declared on', async () => {
  const resolver = createSourceMapResolver({ cwd: external.dir });
  const names = ['remember', 'record', 'step'];
  const got = await resolver.resolve('run', names.map((fn) => frameOf(fn)));
  const want = [external.lineOf('export function remember('), external.lineOf('record(entry: AuditEntry): number {'), external.lineOf('export function step(')];
  assert.deepEqual(got.map((l) => `${l.file}:${l.line} ${l.mapped} ${l.note}`), want.map((line) => `src/audit.ts:${line} true `));
  // The compiler erased the interfaces above them: the generated lines are not the original ones.
  assert.notEqual(frameOf('remember').line, want[0]);
  assert.ok(got.every((l) => l.col >= 1));
  assert.deepEqual(resolver.stats().maps, 1, 'one parsed map for the three frames');
  resolver.close();
});

test('inline map (tsc --inlineSourceMap), by path and by file:// URL: the same lines', async () => {
  const resolver = createSourceMapResolver({ cwd: inline.dir });
  assert.match(fs.readFileSync(inline.script, 'utf8'), /sourceMappingURL=data:application\/json;base64,/);
  const remember = frameOf('remember', inline.script);
  const got = await resolver.resolve('run', [remember, { ...remember, url: pathToFileURL(inline.script).href }]);
  for (const l of got) assert.equal(`${l.file}:${l.line}:${l.mapped}`, `src/audit.ts:${inline.lineOf('export function remember(')}:true`);
  resolver.close();
});

test('a sourceMappingURL naming another file, a .map beside without a comment, a map in another directory', async () => {
  const renamed = variant('renamed', (script, map) => {
    fs.writeFileSync(path.join(path.dirname(script), 'audit.sourcemap.json'), map);
    fs.appendFileSync(script, '//# sourceMappingURL=audit.sourcemap.json\n');
  });
  const beside = variant('beside', (script, map) => fs.writeFileSync(`${script}.map`, map));
  const elsewhere = variant('elsewhere', (script, map) => {
    // The map moved one directory down: its `../src/audit.ts` then resolves from there.
    const mapDir = path.join(path.dirname(script), 'maps');
    fs.mkdirSync(mapDir);
    fs.writeFileSync(path.join(mapDir, 'audit.js.map'), map.replace('"sourceRoot":""', '"sourceRoot":"../"'));
    fs.appendFileSync(script, '//# sourceMappingURL=maps/audit.js.map\n');
  });
  const resolver = createSourceMapResolver({ cwd: tmp.dir });
  const got = await resolver.resolve('run', [frameOf('remember', renamed), frameOf('remember', beside), frameOf('remember', elsewhere)]);
  const line = external.lineOf('export function remember(');
  assert.deepEqual(got.map((l) => `${l.file}:${l.line}`), [`renamed/src/audit.ts:${line}`, `beside/src/audit.ts:${line}`, `elsewhere/src/audit.ts:${line}`]);
  resolver.close();
});

test('missing, broken and useless maps fall back to the generated location and say why', async () => {
  const missing = variant('missing', () => undefined);
  const broken = variant('broken', (script) => fs.writeFileSync(`${script}.map`, '{"version":3,"mappings":'));
  const notV3 = variant('not-v3', (script) => fs.writeFileSync(`${script}.map`, '{"version":2}'));
  const gone = variant('gone', (script) => fs.appendFileSync(script, '//# sourceMappingURL=nowhere.js.map\n'));
  const resolver = createSourceMapResolver({ cwd: tmp.dir });
  const remember = frameOf('remember');
  const got = await resolver.resolve('run', [
    { ...remember, url: missing },
    { ...remember, url: broken },
    { ...remember, url: notV3 },
    { ...remember, url: gone },
    { ...remember, url: 'node:internal/streams/readable' },
    { ...remember, url: external.script, line: 100_000 },
    { ...remember, url: path.join(tmp.dir, 'no-such-script.js') },
  ]);
  assert.deepEqual(got.map((l) => l.mapped), [false, false, false, false, false, false, false]);
  assert.equal(got[0].note, 'no source map');
  assert.equal(got[0].file, missing, 'the generated location');
  assert.equal(got[0].line, remember.line);
  assert.match(got[1].note, /^source map unreadable: .*JSON/);
  assert.equal(got[2].note, 'source map unreadable: not a version 3 source map');
  assert.match(got[3].note, /^source map unreadable: .*nowhere\.js\.map: not found$/);
  assert.equal(got[4].note, 'not a file');
  assert.equal(got[4].file, 'node:internal/streams/readable');
  assert.equal(got[5].note, 'no mapping at this line');
  assert.equal(got[6].note, 'no source map');
  resolver.close();
});

test('a rebuilt map is read again; a miss is remembered until its time is up', async () => {
  let now = 1_000;
  const script = variant('rebuilt', () => undefined);
  const resolver = createSourceMapResolver({ cwd: tmp.dir, recheckMs: 0, missTtlMs: 10_000, now: () => now });
  const remember = { ...frameOf('remember'), url: script };
  assert.equal((await resolver.resolve('run', [remember]))[0].note, 'no source map');
  fs.writeFileSync(`${script}.map`, fs.readFileSync(`${external.script}.map`));
  assert.equal((await resolver.resolve('run', [remember]))[0].note, 'no source map', 'still remembered as a miss');
  now += 10_001;
  assert.equal((await resolver.resolve('run', [remember]))[0].mapped, true);
  // The same map, its source renamed: a new mtime and size, so it is parsed again.
  fs.writeFileSync(`${script}.map`, fs.readFileSync(`${external.script}.map`, 'utf8').replace('../src/audit.ts', '../src/audit-renamed.ts'));
  assert.equal((await resolver.resolve('run', [remember]))[0].file, 'rebuilt/src/audit-renamed.ts');
  resolver.close();
});

test('data URLs: base64 with charset variants, percent-encoded JSON, wrong media types', async () => {
  const map = '{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}';
  const b64 = Buffer.from(map).toString('base64');
  for (const header of ['application/json;base64', 'application/json;charset=utf-8;base64', 'application/json;charset:utf-8;base64', 'application/json;charset=UTF-8;BASE64']) {
    assert.equal(dataUrlText(`data:${header},${b64}`), map, header);
  }
  assert.equal(dataUrlText(`data:application/json,${encodeURIComponent(map)}`), map);
  assert.equal(dataUrlText('audit.js.map'), null);
  assert.throws(() => dataUrlText(`data:text/plain;base64,${b64}`), /text\/plain/);
  // Through the resolver: a generated script whose line 2 is a.ts line 1, inline and percent-encoded.
  const generator = new SourceMapGenerator({ file: 'gen.js' });
  generator.addMapping({ generated: { line: 2, column: 0 }, original: { line: 7, column: 2 }, source: 'lib/a.ts', name: 'greet' });
  const script = path.join(tmp.dir, 'gen', 'gen.js');
  fs.mkdirSync(path.dirname(script), { recursive: true });
  fs.writeFileSync(script, `"use strict";\nfunction greet() { return 1; }\n//# sourceMappingURL=data:application/json;charset=utf-8,${encodeURIComponent(generator.toString())}\n`);
  const resolver = createSourceMapResolver({ cwd: tmp.dir });
  const [got] = await resolver.resolve('run', [{ url: script, line: 2, col: 15, fn: 'greet' }]);
  assert.deepEqual(got, { file: 'gen/lib/a.ts', line: 7, col: 3, name: 'greet', mapped: true, note: '' });
  resolver.close();
});

test('the comment rules: the last line comment wins, string literals do not count, urls resolve against the script', () => {
  assert.equal(lastSourceMappingUrl('x;\n//# sourceMappingURL=a.map\n//# sourceMappingURL=b.map\n'), 'b.map');
  assert.equal(lastSourceMappingUrl('x;\n//@ sourceMappingURL=old.map'), 'old.map');
  assert.equal(lastSourceMappingUrl('const s = "//# sourceMappingURL=not.map";\n'), null);
  assert.equal(mapFileOf('/app/dist/a.js', '../maps/a%20b.map'), '/app/maps/a b.map');
  assert.equal(mapFileOf('/app/dist/a.js', 'file:///elsewhere/a.map'), '/elsewhere/a.map');
  assert.equal(mapFileOf('/app/dist/a.js', 'https://cdn.example/a.map'), null);
  assert.equal(scriptPathOf('file:///app/dist/a.js'), '/app/dist/a.js');
  assert.equal(scriptPathOf('node:events'), null);
  assert.equal(scriptPathOf('evalmachine.<anonymous>'), null);
});
