import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SourceMapConsumer, type RawSourceMap } from 'source-map';
import { SAMPLES } from './helpers/cli';

/*
 * The TypeScript samples as `npm run build` compiled them (samples/<name>/dist/), read the way a
 * collector meets an app's maps: the `//# sourceMappingURL=` comment tsc writes last in each
 * file names a .map file beside it or carries the map in a `data:` URL; the map's `sources`,
 * resolved against the map's own URL (source map spec, "Resolving Sources"), are the .ts files
 * in samples/<name>/src/; and every function, constructor and growing call of a .ts file maps
 * back from where tsc put it to its own line. samples/README.md quotes the growing calls'
 * file:line, which this test reads from the sources rather than hard-coding.
 */

interface TsSample {
  folder: string;
  maps: 'external' | 'inline';
  /** The call that adds to the leaking container, as written in the .ts file and its output. */
  growing?: { file: string; call: string };
}

const TS_SAMPLES: TsSample[] = [
  { folder: 'ts-leaky-audit-server', maps: 'external', growing: { file: 'audit.ts', call: 'auditTrail.push(entry)' } },
  { folder: 'ts-leaky-presence-server', maps: 'inline', growing: { file: 'presence.ts', call: 'this.online.add(presence)' } },
  { folder: 'ts-healthy-cache-server', maps: 'external' },
];

const MAPPING_URL = /\n\/\/# sourceMappingURL=(\S+)\s*$/;
const INLINE_PREFIX = 'data:application/json;base64,';

interface CompiledFile {
  ts: string;
  js: string;
  /** Where the map's relative `sources` are resolved from: the .map file, or the script for an inline map. */
  mapUrl: string;
  map: RawSourceMap;
}

function compiledFiles(sample: TsSample): CompiledFile[] {
  const src = path.join(SAMPLES, sample.folder, 'src');
  const dist = path.join(SAMPLES, sample.folder, 'dist');
  return fs.readdirSync(src).filter((name) => name.endsWith('.ts')).map((name) => {
    const ts = path.join(src, name);
    const js = path.join(dist, name.replace(/\.ts$/, '.js'));
    assert.ok(fs.existsSync(js), `${path.relative(SAMPLES, js)} is built`);
    const comment = MAPPING_URL.exec(fs.readFileSync(js, 'utf8'));
    assert.ok(comment, `${path.relative(SAMPLES, js)} ends with a sourceMappingURL comment`);
    const url = comment[1]!;
    if (sample.maps === 'inline') {
      assert.ok(url.startsWith(INLINE_PREFIX), `${name}: an inline map, got ${url.slice(0, 40)}`);
      assert.equal(fs.existsSync(`${js}.map`), false, `${name}: no .map file beside an inline-mapped script`);
      return { ts, js, mapUrl: pathToFileURL(js).href, map: JSON.parse(Buffer.from(url.slice(INLINE_PREFIX.length), 'base64').toString('utf8')) as RawSourceMap };
    }
    assert.equal(url, `${path.basename(js)}.map`, `${name}: names the .map file beside it`);
    const mapFile = path.join(dist, url);
    return { ts, js, mapUrl: pathToFileURL(mapFile).href, map: JSON.parse(fs.readFileSync(mapFile, 'utf8')) as RawSourceMap };
  });
}

/** 1-based line and 0-based column of the `n`-th occurrence of `text`, as source-map counts them. */
function positionOf(source: string, text: string, n = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = source.indexOf(text, at + 1);
    assert.ok(at >= 0, `"${text}" #${i + 1} in the file`);
  }
  const before = source.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length };
}

/** Function and constructor declarations, as `function name(` and `constructor(` read in both the .ts and the .js. */
function declarations(ts: string): Array<{ text: string; n: number }> {
  const found: Array<{ text: string; n: number }> = [];
  const seen = new Map<string, number>();
  for (const match of ts.matchAll(/\b(function \w+\(|constructor\()/g)) {
    const text = match[1]!;
    found.push({ text, n: seen.get(text) ?? 0 });
    seen.set(text, (seen.get(text) ?? 0) + 1);
  }
  return found;
}

test('every TypeScript sample is listed here with the maps its tsconfig asks for', () => {
  const folders = fs.readdirSync(SAMPLES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(SAMPLES, entry.name, 'tsconfig.json')))
    .map((entry) => entry.name).sort();
  assert.deepEqual(folders, TS_SAMPLES.map((s) => s.folder).sort());
  for (const sample of TS_SAMPLES) {
    const config = fs.readFileSync(path.join(SAMPLES, sample.folder, 'tsconfig.json'), 'utf8');
    assert.match(config, sample.maps === 'inline' ? /"inlineSourceMap": true/ : /"sourceMap": true/, `${sample.folder}'s tsconfig.json`);
  }
});

for (const sample of TS_SAMPLES) {
  test(`${sample.folder}: each compiled file's map (${sample.maps}) names its .ts source and maps it line for line`, async () => {
    const files = compiledFiles(sample);
    assert.ok(files.length >= 2, 'an app of more than one module');
    for (const file of files) {
      const tsText = fs.readFileSync(file.ts, 'utf8');
      const jsText = fs.readFileSync(file.js, 'utf8');
      await SourceMapConsumer.with(file.map, file.mapUrl, (consumer) => {
        assert.deepEqual(consumer.sources.map((source) => fileURLToPath(source)), [file.ts], 'sources resolve to the file in src/');
        const content = consumer.sourceContentFor(consumer.sources[0]!, true);
        // Inline sources are the text the build read: a stale build would differ here.
        if (sample.maps === 'inline') assert.equal(content, tsText, 'inlineSources carries the .ts text');
        else assert.equal(content, null, 'an external map points at its sources instead of carrying them');
        const decls = declarations(tsText);
        assert.ok(decls.length > 0, `${path.basename(file.ts)} declares functions`);
        for (const { text, n } of decls) {
          const original = consumer.originalPositionFor(positionOf(jsText, text, n));
          assert.equal(original.line, positionOf(tsText, text, n).line, `${text}… #${n + 1} maps back to its .ts line`);
        }
      });
    }
  });
}

for (const sample of TS_SAMPLES.filter((s) => s.growing)) {
  const { file, call } = sample.growing!;
  test(`${sample.folder}: the growing call ${call} maps to src/${file}, and samples/README.md quotes that line`, async () => {
    const compiled = compiledFiles(sample).find((f) => path.basename(f.ts) === file)!;
    const tsAt = positionOf(fs.readFileSync(compiled.ts, 'utf8'), call);
    const jsAt = positionOf(fs.readFileSync(compiled.js, 'utf8'), call);
    assert.notEqual(jsAt.line, tsAt.line, 'tsc moved it (the map has work to do)');
    const original = await SourceMapConsumer.with(compiled.map, compiled.mapUrl, (consumer) => consumer.originalPositionFor(jsAt));
    assert.deepEqual({ file: fileURLToPath(original.source!), line: original.line, column: original.column }, { file: compiled.ts, ...tsAt });
    const readme = fs.readFileSync(path.join(SAMPLES, 'README.md'), 'utf8');
    assert.ok(readme.includes(`src/${file}:${tsAt.line}`), `the README names src/${file}:${tsAt.line}`);
  });
}
