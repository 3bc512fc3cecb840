/*
 * The probe-only package (packages/probe, `leakwatch-probe`) as a production image gets it:
 * `npm pack` of it (its prepack builds it from src/), the tarball unpacked into a temp app's
 * node_modules next to `ws` and nothing else, and real apps attached every documented way to a
 * real `leakwatch collect` (embedded ClickHouse), whose API must then hold each run's samples.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { RunSummary } from '../src/shared/run-data';
import { REPO_ROOT, startCli, type CliProcess } from './helpers/cli';
import { freePort } from './helpers/free-port';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

const run = promisify(execFile);
const PACKAGE_DIR = path.join(REPO_ROOT, 'packages', 'probe');
const MAX_PACKED_BYTES = 100_000;

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

const temp = makeTempDir('probe-package');
const appDir = path.join(temp.dir, 'app');
const installed = path.join(appDir, 'node_modules', 'leakwatch-probe');
const wsReal = fs.realpathSync(path.join(REPO_ROOT, 'node_modules', 'ws'));
let packed: PackResult;
let collector: CliProcess;
let ingest: string;
let api: string;

/*
 * The apps. Each prints one JSON line when done: the run id of the probe that startProbe() returns
 * (for the attach entries: the preloaded one, since a second call returns the running probe) and,
 * for CommonJS, every module file it loaded.
 */
const APPS: Record<string, string> = {
  'app.js': `
const { startProbe } = require('leakwatch-probe');
const keep = [];
const churn = setInterval(() => { keep.push(Buffer.alloc(256).toString('hex')); if (keep.length > 2000) keep.length = 0; }, 10);
setTimeout(() => {
  clearInterval(churn);
  process.stdout.write(JSON.stringify({ runId: startProbe().runId, loaded: Object.keys(require.cache) }) + '\\n');
}, Number(process.env.APP_MS));
`,
  'app.mjs': `
import { startProbe } from 'leakwatch-probe';
const keep = [];
const churn = setInterval(() => { keep.push(Buffer.alloc(256).toString('hex')); if (keep.length > 2000) keep.length = 0; }, 10);
await new Promise((resolve) => setTimeout(resolve, Number(process.env.APP_MS)));
clearInterval(churn);
process.stdout.write(JSON.stringify({ runId: startProbe().runId }) + '\\n');
`,
  'api.cjs': `
const { startProbe, stopProbe } = require('leakwatch-probe');
const probe = startProbe({ collector: process.env.APP_COLLECTOR, runId: process.env.APP_RUN, runName: 'package-api', interval: '200ms' });
if (startProbe() !== probe) throw new Error('startProbe() returns the running probe');
const keep = [];
const churn = setInterval(() => { keep.push(Buffer.alloc(256).toString('hex')); if (keep.length > 2000) keep.length = 0; }, 10);
setTimeout(() => {
  clearInterval(churn);
  stopProbe(15_000).then(({ flushed }) => {
    if (!flushed) process.exit(5);
    process.stdout.write(JSON.stringify({ runId: probe.runId, loaded: Object.keys(require.cache) }) + '\\n');
  });
}, Number(process.env.APP_MS));
`,
  'api.mjs': `
import { createRequire } from 'node:module';
import { startProbe, stopProbe } from 'leakwatch-probe';
// import and require must reach one module instance, or an app mixing them would run two probes.
if (createRequire(import.meta.url)('leakwatch-probe').startProbe !== startProbe) throw new Error('two copies of the probe');
const probe = startProbe({ collector: process.env.APP_COLLECTOR, runId: process.env.APP_RUN, runName: 'package-api', interval: '200ms' });
const keep = [];
const churn = setInterval(() => { keep.push(Buffer.alloc(256).toString('hex')); if (keep.length > 2000) keep.length = 0; }, 10);
await new Promise((resolve) => setTimeout(resolve, Number(process.env.APP_MS)));
clearInterval(churn);
const { flushed } = await stopProbe(15_000);
if (!flushed) process.exit(5);
process.stdout.write(JSON.stringify({ runId: probe.runId }) + '\\n');
`,
};

before(async () => {
  // Packed as `npm publish` would: npm runs the package's prepack, which builds it from src/.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', temp.dir], { cwd: PACKAGE_DIR, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
  [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[];
  fs.mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', path.join(temp.dir, packed.filename), '-C', installed, '--strip-components=1']);
  // What `npm install leakwatch-probe` adds next to it: ws, and nothing of the collector.
  fs.symlinkSync(wsReal, path.join(appDir, 'node_modules', 'ws'), 'dir');
  for (const [name, text] of Object.entries(APPS)) fs.writeFileSync(path.join(appDir, name), text);

  const port = await freePort();
  collector = startCli(['collect', '--port', String(port), '--data', path.join(temp.dir, 'data')]);
  await collector.waitForLine(/listening on/, 90_000);
  ingest = `ws://127.0.0.1:${port}/ingest`;
  api = `http://127.0.0.1:${port}`;
});

after(async () => {
  if (collector && collector.child.exitCode === null) {
    collector.child.kill('SIGTERM');
    await collector.exited;
  }
  temp.remove();
});

test('the packed probe is small, its only dependency is ws, and it holds the built entries and their types', () => {
  process.stdout.write(`# leakwatch-probe: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.files.length} files\n`);
  assert.ok(packed.size < MAX_PACKED_BYTES, `packed ${packed.size} bytes, more than ${MAX_PACKED_BYTES}`);
  assert.ok(packed.unpackedSize < 4 * MAX_PACKED_BYTES, `${packed.unpackedSize} bytes unpacked`);
  const paths = packed.files.map((f) => f.path).sort();
  for (const entry of ['README.md', 'package.json', 'dist/index.cjs', 'dist/index.mjs', 'dist/index.d.cts', 'dist/index.d.mts', 'dist/register.cjs', 'dist/register.mjs', 'dist/probe.cjs']) {
    assert.ok(paths.includes(entry), `${entry} is in the package`);
  }
  assert.deepEqual(paths.filter((p) => !p.startsWith('dist/') && p !== 'README.md' && p !== 'package.json'), [], 'nothing but dist/, README.md and package.json');
  assert.ok(!paths.some((p) => p.endsWith('.ts') && !p.endsWith('.d.ts') && !p.endsWith('.d.cts') && !p.endsWith('.d.mts')), 'no TypeScript sources');

  const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'leakwatch-probe');
  assert.deepEqual(Object.keys(manifest.dependencies), ['ws']);
  assert.equal(manifest.dependencies.ws, root.dependencies.ws, 'the same ws range as the collector');
  for (const field of ['optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies']) assert.equal(manifest[field], undefined, field);
  assert.equal(manifest.engines.node, root.engines.node);
  assert.equal(manifest.version, root.version, 'released in step with leakwatch');
  assert.equal(root.dependencies['leakwatch-probe'], manifest.version, 'leakwatch depends on this version');
  assert.deepEqual(Object.keys(manifest.exports).sort(), ['.', './package.json', './register']);
});

test('the bundles require nothing but node built-ins, ws and their own files', () => {
  const dist = path.join(installed, 'dist');
  const code = fs.readdirSync(dist).filter((f) => /\.(c|m)?js$/.test(f));
  assert.ok(code.length >= 5, code.join(', '));
  const builtins = new Set(builtinModules);
  const foreign: string[] = [];
  for (const file of code) {
    const text = fs.readFileSync(path.join(dist, file), 'utf8');
    // Every way a bundle can load a module: require(), static import/export-from, import().
    const specifiers = [...text.matchAll(/\brequire\(\s*(["'`])([^"'`]*)\1\s*\)|\bfrom\s*(["'])([^"']+)\3|\bimport\s*(["'])([^"']+)\5|\bimport\(\s*(["'`])([^"'`]*)\7\s*\)/g)].map((m) => m[2] ?? m[4] ?? m[6] ?? m[8]);
    // A computed require/import cannot be checked by reading: there must be none.
    const computed = text.match(/\brequire\(\s*[^"'`\s)]/g) ?? [];
    assert.deepEqual(computed, [], `${file} has a computed require`);
    for (const spec of specifiers) {
      const ok = spec === 'ws' || spec.startsWith('node:') || builtins.has(spec) || (spec.startsWith('./') && code.includes(spec.slice(2)));
      if (!ok) foreign.push(`${file}: ${spec}`);
    }
  }
  assert.deepEqual(foreign, []);
  assert.match(fs.readFileSync(path.join(dist, 'probe.cjs'), 'utf8'), /require\("ws"\)/, 'ws stays external, the package dependency');
});

test('no node_modules above the temp app: the apps below resolve only leakwatch-probe and ws', () => {
  const found: string[] = [];
  for (let dir = path.dirname(appDir); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'node_modules'))) found.push(dir);
    if (path.dirname(dir) === dir) break;
  }
  assert.deepEqual(found, [], 'a node_modules folder above the app would let a stray require succeed');
  assert.deepEqual(fs.readdirSync(path.join(appDir, 'node_modules')).sort(), ['leakwatch-probe', 'ws']);
});

/** Runs one app to its end and returns its report line; throws with its output if it fails. */
async function runApp(args: string[], env: NodeJS.ProcessEnv): Promise<{ runId: string; loaded?: string[] }> {
  const { stdout, stderr } = await run(process.execPath, args, { cwd: appDir, env: { ...process.env, APP_MS: '1500', ...env }, timeout: 60_000 });
  assert.equal(stderr, '', 'the probe said nothing on stderr');
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/** The collector's record of the run once at least `min` samples are stored. */
async function storedRun(runId: string, min = 3): Promise<RunSummary> {
  return waitFor(`samples of ${runId} in the collector`, async () => {
    const { status, body } = await getJson<{ run: RunSummary }>(`${api}/api/runs/${runId}`);
    return status === 200 && body.run.sampleCount >= min ? body.run : undefined;
  }, 60_000, 250);
}

/** Every module a CommonJS app loaded is its own file, the package's, or ws's. */
function assertOnlyPackageModules(loaded: string[] | undefined, app: string): void {
  assert.ok(loaded && loaded.length > 0);
  const allowed = [path.join(installed, 'dist') + path.sep, wsReal + path.sep];
  const foreign = loaded.filter((file) => file !== path.join(appDir, app) && !allowed.some((dir) => file.startsWith(dir)));
  assert.deepEqual(foreign, []);
  assert.ok(loaded.some((f) => f.startsWith(path.join(installed, 'dist', 'probe.cjs'))), 'the probe came from the package');
}

const attachEnv = (runId: string) => ({ LEAKWATCH_COLLECTOR: ingest, LEAKWATCH_RUN_ID: runId, LEAKWATCH_RUN_NAME: runId, LEAKWATCH_INTERVAL: '200ms' });

test('node -r leakwatch-probe/register app.js (CommonJS): samples reach the collector', { timeout: 120_000 }, async () => {
  const report = await runApp(['-r', 'leakwatch-probe/register', 'app.js'], attachEnv('pkg-require'));
  assert.equal(report.runId, 'pkg-require', 'the app\'s startProbe() is the preloaded probe');
  assertOnlyPackageModules(report.loaded, 'app.js');
  assert.equal((await storedRun('pkg-require')).name, 'pkg-require');
});

test('node --import leakwatch-probe/register app.mjs (ESM): samples reach the collector', { timeout: 120_000 }, async () => {
  const report = await runApp(['--import', 'leakwatch-probe/register', 'app.mjs'], attachEnv('pkg-import'));
  assert.equal(report.runId, 'pkg-import', 'the app\'s imported startProbe() is the preloaded probe');
  assert.equal((await storedRun('pkg-import')).name, 'pkg-import');
});

test('NODE_OPTIONS="--require leakwatch-probe/register" node app.js: samples reach the collector', { timeout: 120_000 }, async () => {
  const report = await runApp(['app.js'], { ...attachEnv('pkg-node-options'), NODE_OPTIONS: '--require leakwatch-probe/register' });
  assert.equal(report.runId, 'pkg-node-options');
  assertOnlyPackageModules(report.loaded, 'app.js');
  assert.equal((await storedRun('pkg-node-options')).name, 'pkg-node-options');
});

test('startProbe() from require(\'leakwatch-probe\'): samples reach the collector', { timeout: 120_000 }, async () => {
  const report = await runApp(['api.cjs'], { APP_COLLECTOR: ingest, APP_RUN: 'pkg-api-cjs' });
  assert.equal(report.runId, 'pkg-api-cjs');
  assertOnlyPackageModules(report.loaded, 'api.cjs');
  const stored = await storedRun('pkg-api-cjs');
  assert.equal(stored.name, 'package-api');
});

test('startProbe() from import { startProbe } from \'leakwatch-probe\': samples reach the collector', { timeout: 120_000 }, async () => {
  const report = await runApp(['api.mjs'], { APP_COLLECTOR: ingest, APP_RUN: 'pkg-api-esm' });
  assert.equal(report.runId, 'pkg-api-esm');
  const stored = await storedRun('pkg-api-esm');
  assert.equal(stored.name, 'package-api');
});

test('the package\'s types serve TypeScript apps in ESM and CommonJS (and reject a misspelt option)', { timeout: 60_000 }, async () => {
  // @types/node is the app's own devDependency, as in any TypeScript app.
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', '@types'), path.join(appDir, 'node_modules', '@types'), 'dir');
  try {
    const body = (from: string) => `${from}
const options: ProbeOptions = { collector: 'ws://127.0.0.1:9/ingest', runName: 'typed', interval: '1s', labels: { env: 'ci' } };
const probe: ProbeHandle = startProbe(options);
const id: string = probe.runId;
const stopped: Promise<{ flushed: boolean }> = stopProbe(100);
// @ts-expect-error the option is "collector"
startProbe({ colector: 'ws://127.0.0.1:9/ingest' });
export { id, stopped };
`;
    fs.writeFileSync(path.join(appDir, 'typed.mts'), body("import { startProbe, stopProbe, type ProbeOptions, type ProbeHandle } from 'leakwatch-probe';"));
    fs.writeFileSync(path.join(appDir, 'typed.cts'), body("import { startProbe, stopProbe, type ProbeOptions, type ProbeHandle } from 'leakwatch-probe';"));
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'typed.mts', 'typed.cts'];
    const result = await run(process.execPath, args, { cwd: appDir }).then(() => ({ code: 0, out: '' }), (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }));
    assert.equal(result.code, 0, result.out);
  } finally {
    fs.unlinkSync(path.join(appDir, 'node_modules', '@types'));
  }
});

test("under leakwatch run's preload (the leakwatch package's build), the app's own leakwatch-probe finds the same probe", { timeout: 120_000 }, async () => {
  // Two copies of the probe in one process: the CLI's NODE_OPTIONS preload and the app's bundle.
  const rootRegister = path.join(__dirname, '..', 'src', 'probe', 'register.js');
  const report = await runApp(['-r', rootRegister, 'app.js'], attachEnv('pkg-two-copies'));
  assert.equal(report.runId, 'pkg-two-copies', "the app's startProbe() returned the preloaded probe, not a second one");
  const stored = await storedRun('pkg-two-copies');
  assert.equal(stored.name, 'pkg-two-copies');
});
