import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { startCollector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import { runCli, startCli } from './helpers/cli';
import { makeSelfSignedCert } from './helpers/self-signed-cert';
import { makeTempDir } from './helpers/temp-dir';

/*
 * The access flags as a user meets them, through the real bin: the refusal to listen beyond
 * loopback without tokens, TLS files that cannot be used, and a shared collector (every
 * interface, tokens from files, https) that `leakwatch runs` reaches only with the read token.
 */

const temp = makeTempDir('cli-access');
const PROBE_TOKEN = 'probe-token-a4c09e7d2b6f1835';
const READ_TOKEN = 'read-token-60f3b8e1d9c27a54';

after(() => temp.remove());

/** The one line a user error prints, and its exit code 64. */
function assertUserError(result: { code: number | null; stdout: string; stderr: string }, code: string): void {
  assert.equal(result.code, 64, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], new RegExp(`^leakwatch: ${code}: `));
}

test('collect (and run) beyond loopback without both tokens refuses to start (LW_ERR_INSECURE_BIND, exit 64), before touching the data directory', { timeout: 30_000 }, async () => {
  const data = path.join(temp.dir, 'refused');
  const tokenFile = path.join(temp.dir, 'only-probe-token');
  fs.writeFileSync(tokenFile, `${PROBE_TOKEN}\n`);
  const results = await Promise.all([
    runCli(['collect', '--host', '0.0.0.0', '--port', '0', '--data', data]),
    runCli(['collect', '--host', '0.0.0.0', '--port', '0', '--data', data, '--token-file', tokenFile]),
    runCli(['run', '--host', '0.0.0.0', '--port', '0', '--data', data, '--', process.execPath, '-e', '1']),
  ]);
  for (const result of results) assertUserError(result, 'LW_ERR_INSECURE_BIND');
  assert.match(results[0].stderr, /--insecure-no-auth/);
  // run's embedded collector has no read token: it points to collect for a shared one.
  assert.match(results[2].stderr, /loopback only.*leakwatch collect/);
  assert.match(results[1].stderr, /needs a read token/);
  assert.equal(fs.existsSync(data), false);
});

test('TLS files that cannot be read or used are one LW_ERR_TLS line, exit 64', { timeout: 60_000 }, async () => {
  const garbage = path.join(temp.dir, 'garbage.pem');
  fs.writeFileSync(garbage, 'not a certificate\n');
  const [missing, half, unusable] = await Promise.all([
    runCli(['collect', '--port', '0', '--data', path.join(temp.dir, 'tls-missing'), '--tls-cert', path.join(temp.dir, 'nope.pem'), '--tls-key', garbage]),
    runCli(['collect', '--port', '0', '--data', path.join(temp.dir, 'tls-half'), '--tls-cert', garbage]),
    runCli(['collect', '--port', '0', '--data', path.join(temp.dir, 'tls-garbage'), '--tls-cert', garbage, '--tls-key', garbage]),
  ]);
  assertUserError(missing, 'LW_ERR_TLS');
  assert.match(missing.stderr, /nope\.pem/);
  assertUserError(half, 'LW_ERR_TLS');
  assertUserError(unusable, 'LW_ERR_TLS');
});

test('a shared collector: every interface, tokens from files, https; runs --collector needs LEAKWATCH_READ_TOKEN', { timeout: 60_000 }, async () => {
  const { certFile, keyFile } = makeSelfSignedCert(temp.dir);
  const tokenFile = path.join(temp.dir, 'probe-token');
  const readTokenFile = path.join(temp.dir, 'read-token');
  fs.writeFileSync(tokenFile, `${PROBE_TOKEN}\n`, { mode: 0o600 });
  fs.writeFileSync(readTokenFile, `${READ_TOKEN}\n`, { mode: 0o600 });
  const args = ['collect', '--host', '0.0.0.0', '--port', '0', '--data', path.join(temp.dir, 'shared'), '--token-file', tokenFile, '--read-token-file', readTokenFile, '--tls-cert', certFile, '--tls-key', keyFile];
  assert.ok(!args.join(' ').includes(PROBE_TOKEN) && !args.join(' ').includes(READ_TOKEN), 'the command line (ps) holds no token');
  const collect = startCli(args);
  try {
    const [, port] = await collect.waitForLine(/listening on https:\/\/0\.0\.0\.0:(\d+)/);
    const url = `https://127.0.0.1:${port}`;
    const trust = { NODE_EXTRA_CA_CERTS: certFile, LEAKWATCH_READ_TOKEN: '' };
    const [without, withProbeToken, withReadToken] = await Promise.all([
      runCli(['runs', '--collector', url], trust),
      runCli(['runs', '--collector', url], { ...trust, LEAKWATCH_READ_TOKEN: PROBE_TOKEN }),
      runCli(['runs', '--collector', url], { ...trust, LEAKWATCH_READ_TOKEN_FILE: readTokenFile }),
    ]);
    assertUserError(without, 'LW_ERR_AUTH');
    assertUserError(withProbeToken, 'LW_ERR_AUTH');
    assert.equal(withReadToken.code, 0, withReadToken.stderr);
    for (const r of [without, withProbeToken, withReadToken]) assert.ok(!(r.stdout + r.stderr).includes(READ_TOKEN));
  } finally {
    collect.child.kill('SIGTERM');
    await collect.exited;
  }
  const output = collect.stdout() + collect.stderr();
  assert.ok(!output.includes(PROBE_TOKEN) && !output.includes(READ_TOKEN), output);
});

/** A command whose node process starts another node process, each reporting what it sees. */
const PROCESS_TREE = `
const { spawn } = require('node:child_process');
const report = (who) => console.log('TREE ' + JSON.stringify({ who, pid: process.pid, token: process.env.LEAKWATCH_TOKEN ?? null, file: process.env.LEAKWATCH_TOKEN_FILE ?? null }));
report('parent');
const child = spawn(process.execPath, ['-e', \`(\${report})('child'); setTimeout(() => {}, 1500);\`], { stdio: 'inherit' });
child.on('exit', () => setTimeout(() => {}, 300));
`;

test('run --token-file: both node processes of a command attach with the token, none has it in its environment, and its file is gone after', { timeout: 90_000 }, async () => {
  const store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'tree-data') }, retentionDays: 30 });
  const lines: string[] = [];
  const collector = await startCollector({ store, port: 0, token: PROBE_TOKEN, readToken: READ_TOKEN, flushIntervalMs: 100, snapshotDir: path.join(temp.dir, 'tree-snapshots'), log: createLogger('info', (l) => lines.push(l)) });
  try {
    const tokenFile = path.join(temp.dir, 'tree-token');
    fs.writeFileSync(tokenFile, PROBE_TOKEN, { mode: 0o600 });
    const script = path.join(temp.dir, 'tree.js');
    fs.writeFileSync(script, PROCESS_TREE);
    const result = await runCli(['run', '--collector', collector.url, '--token-file', tokenFile, '--interval', '200ms', '--', process.execPath, script], { LEAKWATCH_READ_TOKEN: READ_TOKEN, LEAKWATCH_TOKEN: '' });
    assert.equal(result.code, 0, result.stderr);
    const runId = /\/runs\/([\w-]+)/.exec(result.stdout)?.[1];
    assert.ok(runId, result.stdout);
    const seen = result.stdout.split('\n').filter((l) => l.startsWith('TREE ')).map((l) => JSON.parse(l.slice(5)) as { who: string; pid: number; token: string | null; file: string | null });
    assert.deepEqual(seen.map((s) => s.who).sort(), ['child', 'parent']);
    for (const s of seen) {
      assert.equal(s.token, null, `${s.who} has LEAKWATCH_TOKEN in its environment`);
      assert.ok(s.file && !s.file.includes(PROBE_TOKEN), `${s.who}: ${s.file}`);
      assert.equal(fs.existsSync(s.file), false, 'the token file outlived the run');
    }
    const connected = lines.filter((l) => l.includes(`probe connected: run ${runId}`));
    for (const s of seen) assert.ok(connected.some((l) => l.includes(`pid ${s.pid} `)), `${s.who} (pid ${s.pid}) attached: ${connected.join(' / ')}`);
    assert.ok(!lines.some((l) => l.includes('refused')), lines.join('\n'));
  } finally {
    await collector.close();
    await store.close();
  }
});
