import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startCollector, type Collector } from '../src/collector/collector';
import { createProbe } from '../src/probe';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import { createLogger } from '../src/shared/log';
import { resolveProbeConfig } from '../src/shared/probe-config';
import type { RunSummary } from '../src/shared/run-data';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { makeSelfSignedCert } from './helpers/self-signed-cert';
import { makeTempDir } from './helpers/temp-dir';
import { waitFor } from './helpers/wait-for';

/*
 * A real app process with the probe attached by LEAKWATCH_* variables, talking wss:// to a
 * collector serving a self-signed certificate (trusted through LEAKWATCH_CA). Its heap snapshot,
 * asked for and downloaded through the collector's https API with the read token, must not hold
 * the probe token, though the app copied its environment; nor may the run's stored command line.
 */

const PROBE_TOKEN = 'probe-token-3b7e90d1c4a25f68';
const READ_TOKEN = 'read-token-5e0c2a9f71d8b346';
const ARGV_SECRET = 'argv-secret-9d14e6b0a37c52f8';
const register = path.resolve(__dirname, '..', 'src', 'probe', 'register.js');
const appScript = path.join(__dirname, 'fixtures', 'secret-holder-app.js');

const temp = makeTempDir('token-hygiene');
const logLines: string[] = [];
let store: Store;
let collector: Collector;
/** The same collector's setup without TLS: the plain ws:// path keeps no token either. */
let plain: Collector;
let tls: ReturnType<typeof makeSelfSignedCert>;

before(async () => {
  tls = makeSelfSignedCert(temp.dir);
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({
    store,
    port: 0,
    token: PROBE_TOKEN,
    readToken: READ_TOKEN,
    tls: { cert: tls.cert, key: tls.key },
    snapshotDir: path.join(temp.dir, 'snapshots'),
    flushIntervalMs: 100,
    log: createLogger('debug', (l) => logLines.push(l)),
  });
  plain = await startCollector({ store, port: 0, token: PROBE_TOKEN, readToken: READ_TOKEN, snapshotDir: path.join(temp.dir, 'snapshots-plain'), flushIntervalMs: 100, log: createLogger('debug', (l) => logLines.push(l)) });
});

after(async () => {
  await collector?.close();
  await plain?.close();
  await store?.close();
  temp.remove();
});

/** One request to the collector's https API with the read token, trusting the test's certificate. */
function api(base: string, method: string, route: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = (base.startsWith('https:') ? https : http).request(new URL(route, base), { method, ca: tls.cert, headers: { authorization: `Bearer ${READ_TOKEN}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function apiJson<T>(base: string, method: string, route: string): Promise<{ status: number; body: T }> {
  const answer = await api(base, method, route);
  return { status: answer.status, body: JSON.parse(answer.body.toString('utf8')) as T };
}

test('the collector serves https; a probe without the CA cannot connect and says why', { timeout: 30_000 }, async () => {
  assert.match(collector.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const notices: string[] = [];
  const probe = createProbe(resolveProbeConfig({ collector: collector.url, token: PROBE_TOKEN, interval: 100, allocSampling: false, uploadSourceMaps: false }), (l) => notices.push(l));
  try {
    await waitFor('the certificate refusal', () => notices.some((n) => /LW_ERR_COLLECTOR_UNREACHABLE.*(self-signed|certificate)/i.test(n)));
    assert.equal(probe.stats().connected, false);
  } finally {
    await probe.stop(200);
  }
});

for (const scheme of ['wss', 'ws'] as const) {
  test(`a heap snapshot of an app started with LEAKWATCH_TOKEN (${scheme}://), taken and downloaded through the collector, does not hold the token`, { timeout: 120_000 }, async () => {
    const runId = `token-hygiene-${scheme}`;
    const base = scheme === 'wss' ? collector.url : plain.url;
    let stderr = '';
    const child = fork(appScript, ['--api-token', ARGV_SECRET, `--password=${ARGV_SECRET}`], {
      execArgv: ['-r', register],
      env: {
        ...process.env,
        LEAKWATCH_COLLECTOR: `${base.replace('http', 'ws')}/ingest`,
        LEAKWATCH_TOKEN: PROBE_TOKEN,
        LEAKWATCH_CA: tls.certFile,
        LEAKWATCH_RUN_ID: runId,
        LEAKWATCH_INTERVAL: '200ms',
        LEAKWATCH_SNAPSHOT_DIR: temp.dir,
        LEAKWATCH_ALLOC_SAMPLING: 'off',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const ready = await new Promise<{ marker: string }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { marker: string }));
        child.once('exit', (code) => reject(new Error(`app exited ${code}: ${stderr}`)));
      });
      const run = await waitFor('the run over wss', async () => {
        const answer = await apiJson<{ run?: RunSummary }>(base, 'GET', `/api/runs/${runId}`);
        return answer.status === 200 && answer.body.run;
      }, 30_000);
      // The stored command line keeps the flags but not their secret values.
      assert.deepEqual(run.argv.slice(1), ['--api-token', '[redacted]', '--password=[redacted]']);

      const asked = await apiJson<{ snapshot: SnapshotRecord }>(base, 'POST', `/api/runs/${runId}/snapshots`);
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const sid = asked.body.snapshot.id;
      await waitFor('the snapshot stored', async () => {
        const list = await apiJson<{ snapshots: SnapshotRecord[] }>(base, 'GET', `/api/runs/${runId}/snapshots`);
        const snap = list.body.snapshots.find((s) => s.id === sid);
        if (snap?.status === 'failed' || snap?.status === 'refused') throw new Error(`snapshot ${snap.status}: ${snap.reason}`);
        return snap && snap.storedSize > 0 && snap.status !== 'uploading';
      }, 90_000, 250);
      const file = await api(base, 'GET', `/api/runs/${runId}/snapshots/${sid}/download`);
      assert.equal(file.status, 200);
      assert.ok(file.body.includes(ready.marker), 'the search finds what the app holds');
      assert.ok(file.body.includes('"snapshot"') && file.body.length > 100_000, 'a heap snapshot');
      assert.ok(!file.body.includes(PROBE_TOKEN), 'the probe token is in the heap snapshot');
      // The app's own process.argv is on its heap, secrets and all (docs/security.md): only the stored hello is redacted.
    } finally {
      child.disconnect();
      child.kill('SIGKILL');
    }
    const everything = [stderr, ...logLines].join('\n');
    assert.ok(!everything.includes(PROBE_TOKEN) && !everything.includes(READ_TOKEN), 'a token in the app\'s stderr or the collector\'s log');
  });
}
