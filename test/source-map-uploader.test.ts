import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { SourceMapGenerator } from 'source-map';
import { createSourceMapResolver, createUploadedMaps } from '../src/collector/source-maps';
import { PROTOCOL_VERSION } from '../src/protocol/messages';
import { SOURCE_MAP_PART_CHARS, type SourceMapMessage } from '../src/protocol/alloc-messages';
import { createSourceMapUploader, type SourceMapPart } from '../src/probe/source-map-uploader';
import { compileAudit, profiledFrames, type CompiledAudit } from './helpers/ts-audit';
import { makeTempDir } from './helpers/temp-dir';

/*
 * The probe's source map uploader, in a real child process that loaded a script compiled from
 * TypeScript (external map; inline map with --enable-source-maps, read from Node's own cache),
 * and its parts assembled by the collector's store of uploaded maps and resolved from there with
 * the disk turned off: the path a collector on another machine takes.
 */
const run = promisify(execFile);
const CHILD = path.join(__dirname, 'fixtures', 'source-map-upload-child.js');
const tmp = makeTempDir('source-map-uploader');
after(() => tmp.remove());
let external: CompiledAudit;
let inline: CompiledAudit;

before(async () => {
  [external, inline] = await Promise.all([compileAudit(path.join(tmp.dir, 'external'), 'sourceMap'), compileAudit(path.join(tmp.dir, 'inline'), 'inlineSourceMap')]);
});

interface ChildUpload {
  parts: SourceMapPart[];
  notices: string[];
  stats: { offered: number; uploaded: number; skipped: number; bytes: number };
}

async function uploadInChild(script: string, nodeArgs: string[] = []): Promise<ChildUpload> {
  const { stdout } = await run(process.execPath, [...nodeArgs, CHILD, script], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as ChildUpload;
}

const message = (part: SourceMapPart, seq: number, run = 'run-1'): SourceMapMessage => ({ v: PROTOCOL_VERSION, type: 'source-map', run, boot: 'boot-1', seq, ...part });

test('a child with an external map uploads it once, whole and hashed; node:, node_modules and non-files are skipped', async () => {
  const got = await uploadInChild(external.script);
  const mapText = fs.readFileSync(`${external.script}.map`, 'utf8');
  assert.equal(got.parts.length, 1);
  const [part] = got.parts;
  assert.equal(part.url, external.script);
  assert.equal(part.mapUrl, pathToFileURL(`${external.script}.map`).href);
  assert.equal(part.data, mapText);
  assert.equal(part.sha256, createHash('sha256').update(mapText).digest('hex'));
  assert.deepEqual([part.part, part.parts], [0, 1]);
  assert.equal(got.stats.offered, 4, 'each url once, the repeat not counted');
  assert.equal(got.stats.uploaded, 1);
  assert.deepEqual(got.notices, []);
});

test('with --enable-source-maps the inline map comes from Node\'s cache; assembled and resolved without the disk', async () => {
  const got = await uploadInChild(inline.script, ['--enable-source-maps']);
  assert.equal(got.parts.length, 1);
  const map = JSON.parse(got.parts.map((p) => p.data).join('')) as { sources: string[]; mappings: string };
  assert.ok(map.mappings.length > 0 && map.sources.some((s) => s.endsWith('audit.ts')), JSON.stringify(map.sources));
  assert.equal(got.parts[0].mapUrl, pathToFileURL(inline.script).href, 'an inline map resolves from its script');

  const store = createUploadedMaps({ dir: path.join(tmp.dir, 'collector-maps') });
  for (const [i, part] of got.parts.entries()) await store.onPart(message(part, i + 1));
  assert.equal(store.stats().stored, 1);
  const frames = await profiledFrames(inline.script);
  const remember = frames.find((f) => f.fn === 'remember' && f.url === inline.script)!;
  const resolver = createSourceMapResolver({ uploaded: store, readLocalFiles: false, cwd: inline.dir });
  const [mapped] = await resolver.resolve('run-1', [remember]);
  assert.equal(`${mapped.file}:${mapped.line}`, `src/audit.ts:${inline.lineOf('export function remember(')}`);
  const [otherRun] = await resolver.resolve('run-2', [remember]);
  assert.equal(otherRun.note, 'no source map', 'the index is per run; the disk is not read');
  resolver.close();
});

/** A deterministic map of about `chars` characters (one generated line per mapping). */
function bigMap(lines: number): string {
  const generator = new SourceMapGenerator({ file: 'big.js' });
  for (let line = 1; line <= lines; line++) generator.addMapping({ generated: { line, column: 0 }, original: { line: line * 2, column: 4 }, source: `src/module-${line % 50}.ts`, name: `fn${line}` });
  return generator.toString();
}

test('a large map goes in parts, paced: the queue never holds much more than the pace', async () => {
  const dir = path.join(tmp.dir, 'paced');
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(dir, 'big.js');
  const text = bigMap(120_000);
  assert.ok(text.length > 3 * SOURCE_MAP_PART_CHARS, `${text.length} characters`);
  fs.writeFileSync(script, '"use strict";\n//# sourceMappingURL=big.js.map\n');
  fs.writeFileSync(`${script}.map`, text);
  let queued = 300 * 1024; // the queue already holds samples
  let highest = 0;
  const parts: SourceMapPart[] = [];
  const pace = 600 * 1024;
  const uploader = createSourceMapUploader({
    push: (part) => {
      parts.push(part);
      queued += part.data.length;
      highest = Math.max(highest, queued);
    },
    queueBytes: () => queued,
    notice: (line) => assert.fail(line),
    paceBytes: pace,
    pollMs: 5,
    useNodeSourceMaps: false,
  });
  // The transport: acks take a while, so the uploader has to wait between parts.
  const drain = setInterval(() => (queued = Math.max(300 * 1024, queued - 128 * 1024)), 10);
  uploader.offer([script]);
  await uploader.idle();
  clearInterval(drain);
  assert.equal(parts.length, Math.ceil(text.length / SOURCE_MAP_PART_CHARS));
  assert.ok(highest <= pace, `queue reached ${highest}`);
  assert.deepEqual(parts.map((p) => p.part), parts.map((_, i) => i));
  assert.equal(parts.map((p) => p.data).join(''), text);

  // Out of order, with a resend, into the collector's store: one verified file.
  const store = createUploadedMaps({ dir: path.join(tmp.dir, 'paced-maps') });
  const shuffled = [...parts.slice(1).reverse(), parts[1], parts[0]];
  for (const [i, part] of shuffled.entries()) await store.onPart(message(part, i + 1));
  const found = await store.lookup('run-1', script);
  assert.ok(found);
  assert.equal(fs.readFileSync(found.path, 'utf8'), text);
});

test('bounds: a map over the per-map or per-boot budget is not uploaded, with one notice', async () => {
  const dir = path.join(tmp.dir, 'bounds');
  fs.mkdirSync(dir, { recursive: true });
  const scripts = ['a', 'b', 'c'].map((name) => {
    const script = path.join(dir, `${name}.js`);
    fs.writeFileSync(script, '"use strict";\n');
    fs.writeFileSync(`${script}.map`, bigMap(name === 'a' ? 2000 : 200));
    return script;
  });
  const notices: string[] = [];
  const parts: SourceMapPart[] = [];
  const uploader = createSourceMapUploader({
    push: (part) => parts.push(part),
    queueBytes: () => 0,
    notice: (line) => notices.push(line),
    maxMapBytes: 20_000,
    maxTotalBytes: fs.statSync(`${scripts[1]}.map`).size + 100,
    useNodeSourceMaps: false,
  });
  uploader.offer(scripts);
  await uploader.idle();
  assert.deepEqual(parts.map((p) => path.basename(p.url)), ['b.js'], 'a is too big, c beyond the boot budget');
  assert.equal(notices.length, 2, notices.join('\n'));
  assert.match(notices[0], /^leakwatch probe: source map of .*a\.js not uploaded: .*a\.js\.map: \d+ bytes, more than the 20000 read$/);
  assert.match(notices[1], /^leakwatch probe: source maps beyond \d+ bytes in all are not uploaded \(from .*c\.js on\)$/);
  assert.deepEqual(uploader.stats().skipped, 2);
});

test('stop() ends an upload waiting for room in the queue', async () => {
  const parts: SourceMapPart[] = [];
  const uploader = createSourceMapUploader({ push: (part) => parts.push(part), queueBytes: () => 4 * 1024 * 1024, notice: () => undefined, pollMs: 5, useNodeSourceMaps: false });
  uploader.offer([external.script]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  uploader.stop();
  await uploader.idle();
  assert.equal(parts.length, 0);
});
