import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LineageBody } from '../src/api/http-contract';
import { startCollector, type Collector } from '../src/collector/collector';
import { readGitHead } from '../src/probe/lineage-git';
import { findLockFile, readLockFile } from '../src/probe/lineage-lock';
import { fitFrame, collectLineage } from '../src/probe/lineage';
import { decodeProbeMessage } from '../src/protocol/decode';
import { encodeMessage } from '../src/protocol/encode';
import { MAX_MESSAGE_BYTES } from '../src/protocol/messages';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { startProjectApp, writeProject } from './helpers/lineage-project';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * Lineage end to end: a real app process with the real probe, started in a project directory
 * that has a package.json, a package-lock.json v3 and a git checkout; the collector stores what
 * the probe read and GET /api/runs/:id/lineage returns it. Then the readers on their own, for
 * the cases a deployment has: a worktree's `.git` file, a detached HEAD, packed refs, yarn and
 * pnpm locks, and a lock too large for one frame.
 */
const tmp = makeTempDir('lineage');
const COMMIT = 'c0ffee'.padEnd(40, '1');
let store: Store | undefined;
let collector: Collector | undefined;
const children: ChildProcess[] = [];

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(tmp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger('warn'), snapshotDir: path.join(tmp.dir, 'snapshots') });
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await collector?.close();
  await store?.close();
  tmp.remove();
});

test('a real probe in a project directory records its app, commit, lock hash, dependencies and versions', { timeout: 90_000 }, async () => {
  const dir = path.join(tmp.dir, 'shop');
  writeProject(dir, {
    name: 'shop-api',
    version: '2.3.4',
    direct: { express: ['^4.18.0', '4.18.2'], lodash: ['~4.17.0', '4.17.21'] },
    transitive: { 'body-parser': '1.20.1', 'express/node_modules/debug': '2.6.9', debug: '4.3.4' },
    commit: COMMIT,
  });
  const child = startProjectApp(dir, `${collector!.url.replace('http', 'ws')}/ingest`, 'lineage-run');
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  children.push(child);
  const body = await waitFor('the stored lineage', async () => {
    const res = await getJson<LineageBody>(`${collector!.url}/api/runs/lineage-run/lineage`);
    return res.status === 200 && res.body.boots.length > 0 ? res.body : undefined;
  }, 60_000, 250);
  const [boot] = body.boots;
  assert.equal(boot.appName, 'shop-api');
  assert.equal(boot.appVersion, '2.3.4');
  assert.equal(boot.gitCommit, COMMIT);
  assert.equal(boot.gitBranch, 'main');
  assert.equal(boot.lockKind, 'package-lock');
  const { createHash } = await import('node:crypto');
  assert.equal(boot.lockSha256, createHash('sha256').update(fs.readFileSync(path.join(dir, 'package-lock.json'))).digest('hex'));
  assert.equal(boot.nodeVersion, process.version);
  assert.equal(boot.v8Version, process.versions.v8);
  assert.match(boot.probeVersion, /^\d+\.\d+\.\d+/);
  assert.deepEqual(boot.dependencies, [
    { name: 'express', version: '4.18.2', direct: true, range: '^4.18.0' },
    { name: 'lodash', version: '4.17.21', direct: true, range: '~4.17.0' },
    { name: 'body-parser', version: '1.20.1', direct: false, range: '' },
    { name: 'debug', version: '2.6.9', direct: false, range: '' },
    { name: 'debug', version: '4.3.4', direct: false, range: '' },
  ]);
  assert.equal(boot.omitted, 0);
  assert.deepEqual(boot.notes, []);
  assert.equal(stderr.includes('lineage'), false, stderr);
  // The collector stored it once although the probe keeps sending batches.
  assert.equal((await store!.queryLineage('lineage-run')).length, 1);
});

test('git: a worktree .git file with commondir and packed refs, a detached HEAD, no checkout', async () => {
  const main = path.join(tmp.dir, 'git-main');
  fs.mkdirSync(path.join(main, '.git', 'worktrees', 'feature'), { recursive: true });
  fs.writeFileSync(path.join(main, '.git', 'packed-refs'), `# pack-refs with: peeled fully-peeled sorted\n${'a'.repeat(40)} refs/heads/feature\n${'b'.repeat(40)} refs/tags/v1\n`);
  fs.writeFileSync(path.join(main, '.git', 'worktrees', 'feature', 'HEAD'), 'ref: refs/heads/feature\n');
  fs.writeFileSync(path.join(main, '.git', 'worktrees', 'feature', 'commondir'), '../..\n');
  const worktree = path.join(tmp.dir, 'git-feature');
  fs.mkdirSync(path.join(worktree, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(worktree, '.git'), `gitdir: ${path.join(main, '.git', 'worktrees', 'feature')}\n`);
  assert.deepEqual(await readGitHead(path.join(worktree, 'lib')), { commit: 'a'.repeat(40), branch: 'feature' });

  const detached = path.join(tmp.dir, 'git-detached');
  fs.mkdirSync(path.join(detached, '.git'), { recursive: true });
  fs.writeFileSync(path.join(detached, '.git', 'HEAD'), `${'d'.repeat(40)}\n`);
  assert.deepEqual(await readGitHead(detached), { commit: 'd'.repeat(40), branch: '' });

  const unborn = path.join(tmp.dir, 'git-unborn');
  fs.mkdirSync(path.join(unborn, '.git'), { recursive: true });
  fs.writeFileSync(path.join(unborn, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  assert.deepEqual(await readGitHead(unborn), { commit: '', branch: 'main' });
});

test('yarn v1, yarn berry and pnpm locks give names and versions; the nearest lock is found above the app', async () => {
  const yarnDir = path.join(tmp.dir, 'yarn-app', 'packages', 'api');
  fs.mkdirSync(yarnDir, { recursive: true });
  fs.writeFileSync(path.join(tmp.dir, 'yarn-app', 'yarn.lock'), [
    '# THIS IS AN AUTOGENERATED FILE.', '# yarn lockfile v1', '',
    '"@babel/core@^7.0.0", "@babel/core@^7.1.0":', '  version "7.22.5"', '  resolved "https://registry.yarnpkg.com/x"', '',
    'lodash@^4.17.0:', '  version "4.17.21"', '',
  ].join('\n'));
  const found = await findLockFile(yarnDir);
  assert.equal(found?.kind, 'yarn');
  const yarn = await readLockFile(found!.file, found!.kind, 100);
  assert.deepEqual(yarn.packages, [{ name: '@babel/core', version: '7.22.5' }, { name: 'lodash', version: '4.17.21' }]);
  assert.match(yarn.sha256, /^[0-9a-f]{64}$/);

  const berry = path.join(tmp.dir, 'berry.lock');
  fs.writeFileSync(berry, ['__metadata:', '  version: 6', '', '"app@workspace:.":', '  version: 0.0.0-use.local', '', '"ms@npm:^2.1.1":', '  version: 2.1.3', ''].join('\n'));
  assert.deepEqual((await readLockFile(berry, 'yarn', 100)).packages, [{ name: 'ms', version: '2.1.3' }]);

  const pnpm = path.join(tmp.dir, 'pnpm-lock.yaml');
  fs.writeFileSync(pnpm, ["lockfileVersion: '9.0'", '', 'importers:', '  .:', '    dependencies:', '      ms:', '        specifier: ^2.1.1', '', 'packages:', '', '  ms@2.1.3:', '    resolution: {integrity: sha512-x}', '', "  '@types/node@20.1.0':", '    resolution: {integrity: sha512-y}', '', '  react-dom@18.2.0(react@18.2.0):', '    resolution: {}', '', 'snapshots:', '', '  ms@2.1.3: {}', ''].join('\n'));
  assert.deepEqual((await readLockFile(pnpm, 'pnpm', 100)).packages, [{ name: 'ms', version: '2.1.3' }, { name: '@types/node', version: '20.1.0' }, { name: 'react-dom', version: '18.2.0' }]);
});

test('a huge lock file is bounded: the message fits the frame limit, the rest is counted as omitted, and it decodes', async () => {
  const dir = path.join(tmp.dir, 'huge');
  const transitive: Record<string, string> = {};
  for (let i = 0; i < 9000; i++) transitive[`some-rather-long-package-name-number-${i}/node_modules/nested-dependency-${i}`] = `1.${i}.0-beta.${i}`;
  writeProject(dir, { name: 'huge', version: '1.0.0', direct: { a: ['^1.0.0', '1.0.0'] }, transitive });
  const facts = await collectLineage({ script: path.join(dir, 'src', 'app.js'), cwd: dir, probeVersion: '0.1.0' });
  const text = encodeMessage({ v: 1, type: 'lineage', run: 'r', boot: 'b', seq: 1, ...facts });
  assert.ok(Buffer.byteLength(text) < MAX_MESSAGE_BYTES, `${Buffer.byteLength(text)} bytes`);
  assert.ok(facts.omitted > 0 && facts.dependencies.length + facts.omitted === 9001, `${facts.dependencies.length} + ${facts.omitted}`);
  assert.deepEqual(facts.dependencies[0], { name: 'a', version: '1.0.0', direct: true, range: '^1.0.0' });
  const decoded = decodeProbeMessage(text, false, { now: Date.now() });
  assert.equal(decoded.type, 'lineage');
  assert.deepEqual(fitFrame(facts).dependencies.length, facts.dependencies.length);
});

test('decode refuses lineage fields out of range', () => {
  const good = { v: 1, type: 'lineage', run: 'r', boot: 'b', seq: 1, at: Date.now(), appName: 'a', appVersion: '1', gitCommit: '', gitBranch: '', lockKind: '', lockSha256: '', nodeVersion: 'v20', v8Version: '11', probeVersion: '0.1.0', dependencies: [], omitted: 0, notes: [] };
  assert.equal(decodeProbeMessage(JSON.stringify(good)).type, 'lineage');
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ gitCommit: 'not-hex' }, /gitCommit/],
    [{ lockSha256: 'A'.repeat(64) }, /lockSha256/],
    [{ lockKind: 'bower' }, /lockKind/],
    [{ dependencies: [{ name: 'x'.repeat(215), version: '1', direct: true, range: '' }] }, /name/],
    [{ dependencies: [{ name: 'x', version: '1', direct: 'yes', range: '' }] }, /direct/],
    [{ dependencies: Array.from({ length: 5001 }, () => ({ name: 'x', version: '1', direct: false, range: '' })) }, /at most 5000/],
    [{ omitted: -1 }, /omitted/],
    [{ notes: Array.from({ length: 9 }, () => 'n') }, /notes/],
  ];
  for (const [change, message] of bad) assert.throws(() => decodeProbeMessage(JSON.stringify({ ...good, ...change })), message, JSON.stringify(change).slice(0, 80));
});

test('under a launcher whose script is inside node_modules (npm start, npx), the app is the working directory\'s', async () => {
  const dir = path.join(tmp.dir, 'launched');
  writeProject(dir, { name: 'launched-app', version: '0.3.0', direct: { ms: ['^2.1.0', '2.1.3'] } });
  const npmBin = path.join(dir, 'node_modules', 'npm', 'bin');
  fs.mkdirSync(npmBin, { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'npm', 'package.json'), JSON.stringify({ name: 'npm', version: '10.8.2' }));
  fs.writeFileSync(path.join(npmBin, 'npm-cli.js'), '');
  const launcher = await collectLineage({ script: path.join(npmBin, 'npm-cli.js'), cwd: dir, probeVersion: '0.1.0' });
  assert.deepEqual([launcher.appName, launcher.appVersion, launcher.lockKind], ['launched-app', '0.3.0', 'package-lock']);
  // Reached through a link outside node_modules, as /usr/bin/npm is: the same.
  const usrBin = path.join(tmp.dir, 'usr-bin');
  fs.mkdirSync(usrBin, { recursive: true });
  fs.symlinkSync(path.join(npmBin, 'npm-cli.js'), path.join(usrBin, 'npm'));
  const linked = await collectLineage({ script: path.join(usrBin, 'npm'), cwd: dir, probeVersion: '0.1.0' });
  assert.deepEqual([linked.appName, linked.appVersion], ['launched-app', '0.3.0']);
  // The app's own entry script finds the same package.json one level up (src/app.js).
  const app = await collectLineage({ script: 'src/app.js', cwd: dir, probeVersion: '0.1.0' });
  assert.deepEqual([app.appName, app.dependencies], ['launched-app', [{ name: 'ms', version: '2.1.3', direct: true, range: '^2.1.0' }]]);
  // No package.json anywhere up to the root is no app, not an error.
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-lineage-bare-'));
  try {
    const none = await collectLineage({ script: undefined, cwd: bare, probeVersion: '0.1.0' });
    assert.deepEqual([none.appName, none.gitCommit, none.lockKind, none.dependencies, none.notes], ['', '', '', [], []]);
    assert.equal(none.nodeVersion, process.version);
  } finally {
    fs.rmSync(bare, { recursive: true, force: true });
  }
});

test('reading a large lock file lets the app\'s timers run throughout (chunked, with event-loop turns between)', { timeout: 60_000 }, async () => {
  const dir = path.join(tmp.dir, 'busy');
  const transitive: Record<string, string> = {};
  for (let i = 0; i < 40_000; i++) transitive[`pkg-${i}/node_modules/nested-${i}`] = `1.${i}.0`;
  writeProject(dir, { name: 'busy', version: '1.0.0', direct: {}, transitive });
  assert.ok(fs.statSync(path.join(dir, 'package-lock.json')).size > 4 * 1024 * 1024);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const facts = await collectLineage({ script: path.join(dir, 'src', 'app.js'), cwd: dir, probeVersion: '0.1.0' });
    assert.equal(facts.dependencies.length + facts.omitted, 40_000);
  } finally {
    clearInterval(timer);
  }
  // Over a hundred 32 KiB chunks, each followed by a turn of the loop: the app's 1 ms timer keeps firing.
  assert.ok(ticks >= 20, `the app's timer fired ${ticks} times while the lock file was read`);
});
