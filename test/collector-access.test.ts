import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startCollector, type Collector } from '../src/collector/collector';
import { isLeakwatchError } from '../src/shared/errors';
import { createLogger } from '../src/shared/log';
import path from 'node:path';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { connectRawProbe } from './helpers/raw-probe';
import { makeTempDir } from './helpers/temp-dir';

/*
 * The collector's access layer against a real collector on the real store: the bind policy, the
 * read token on every HTTP route and the live socket, the sign-in cookie, the Host / Origin /
 * Sec-Fetch-Site checks, and that neither token ever shows in the log or an answer.
 */

const PROBE_TOKEN = 'probe-token-7f3a9c1e5b2d4086';
const READ_TOKEN = 'read-token-c81d2e7b9a4f6035';
const temp = makeTempDir('collector-access');
const fx = { store: undefined as unknown as Store };
const logLines: string[] = [];
let guarded: Collector;

before(async () => {
  fx.store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  guarded = await startCollector({ store: fx.store, port: 0, token: PROBE_TOKEN, readToken: READ_TOKEN, log: createLogger('debug', (l) => logLines.push(l)), flushIntervalMs: 100 });
});

after(async () => {
  await guarded?.close();
  await fx.store?.close();
  temp.remove();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with full control of the headers (fetch will not send a foreign Host). */
function request(base: string, pathAndQuery: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const url = new URL(pathAndQuery, base);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function errorCode(answer: Answer): string | undefined {
  return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
}

/** Resolves with the HTTP status a refused upgrade answered with, or 101 when it opened. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

test('beyond loopback the collector refuses to start without both tokens, and starts with --insecure-no-auth (logged)', { timeout: 30_000 }, async () => {
  for (const tokens of [{}, { token: PROBE_TOKEN }, { readToken: READ_TOKEN }]) {
    await assert.rejects(startCollector({ store: fx.store, host: '0.0.0.0', port: 0, log: createLogger('silent'), ...tokens }), (err: unknown) => {
      assert.ok(isLeakwatchError(err) && err.code === 'LW_ERR_INSECURE_BIND', String(err));
      assert.match(err.message, /--insecure-no-auth/);
      return true;
    });
  }
  await assert.rejects(startCollector({ store: fx.store, port: 0, token: PROBE_TOKEN, readToken: PROBE_TOKEN, log: createLogger('silent') }), /must differ/);

  const warnings: string[] = [];
  const open = await startCollector({ store: fx.store, host: '0.0.0.0', port: 0, insecureNoAuth: true, log: createLogger('warn', (l) => warnings.push(l)) });
  try {
    assert.match(warnings.join('\n'), /--insecure-no-auth.*anyone who reaches/);
    const runs = await request(`http://127.0.0.1:${open.port}`, '/api/runs');
    assert.equal(runs.status, 200);
  } finally {
    await open.close();
  }
  const both = await startCollector({ store: fx.store, host: '0.0.0.0', port: 0, token: PROBE_TOKEN, readToken: READ_TOKEN, log: createLogger('silent') });
  await both.close();
});

test('with a read token every API route, page and the live socket need it, even on loopback', { timeout: 30_000 }, async () => {
  const probe = await connectRawProbe(`${guarded.url.replace('http', 'ws')}/ingest`, 'guarded-run', undefined, { authorization: `Bearer ${PROBE_TOKEN}` });
  try {
    await probe.waitForAck(probe.sendBatch(2)).catch((err: Error) => assert.fail(`${err.message}: ${logLines.join(" / ")}`));
  } finally {
    await probe.close();
  }
  for (const [method, route] of [['GET', '/api/health'], ['GET', '/api/runs'], ['GET', '/api/runs/guarded-run/series'], ['GET', '/api/runs/guarded-run/snapshots'], ['POST', '/api/runs/guarded-run/snapshots'], ['GET', '/api/runs/guarded-run/snapshots/x/download'], ['POST', '/api/runs/guarded-run/end'], ['GET', '/app.js']] as const) {
    for (const headers of <Record<string, string>[]>[{}, { authorization: `Bearer ${PROBE_TOKEN}` }, { authorization: `Bearer ${READ_TOKEN}x` }, { cookie: `leakwatch_session=${READ_TOKEN}` }]) {
      const answer = await request(guarded.url, route, { method, headers });
      assert.equal(answer.status, 401, `${method} ${route} ${JSON.stringify(headers)}`);
      assert.equal(errorCode(answer), 'LW_ERR_AUTH');
    }
  }
  // A page is answered with the way to the sign-in form.
  const page = await request(guarded.url, '/runs/guarded-run?from=1');
  assert.equal(page.status, 303);
  assert.equal(page.headers.location, `/sign-in?next=${encodeURIComponent('/runs/guarded-run?from=1')}`);

  const withToken = await request(guarded.url, '/api/runs', { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  assert.equal(withToken.status, 200);
  assert.ok((JSON.parse(withToken.body) as { runs: { id: string }[] }).runs.some((r) => r.id === 'guarded-run'));

  const live = `${guarded.url.replace('http', 'ws')}/live`;
  assert.equal(await upgradeStatus(live, {}), 401);
  assert.equal(await upgradeStatus(live, { authorization: `Bearer ${PROBE_TOKEN}` }), 401);
  assert.equal(await upgradeStatus(live, { authorization: `Bearer ${READ_TOKEN}` }), 101);
});

test('sign-in: a wrong token gets the form again, the right one an HttpOnly SameSite=Strict cookie that is not the token', { timeout: 30_000 }, async () => {
  const form = await request(guarded.url, '/sign-in?next=/runs/a');
  assert.equal(form.status, 200);
  assert.match(form.body, /name="next" value="\/runs\/a"/);
  const post = (token: string, next: string) =>
    request(guarded.url, '/sign-in', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: guarded.url }, body: new URLSearchParams({ token, next }).toString() });

  const wrong = await post(PROBE_TOKEN, '/runs/a');
  assert.equal(wrong.status, 401);
  assert.match(wrong.body, /LW_ERR_AUTH: wrong read token/);
  assert.equal(wrong.headers['set-cookie'], undefined);
  assert.ok(!wrong.body.includes(PROBE_TOKEN));

  const right = await post(READ_TOKEN, '//evil.example/x');
  assert.equal(right.status, 303);
  assert.equal(right.headers.location, '/', 'an off-site next is not followed');
  const cookie = right.headers['set-cookie']?.[0] ?? '';
  assert.match(cookie, /^leakwatch_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
  assert.ok(!cookie.includes(READ_TOKEN));
  const session = cookie.split(';')[0];

  assert.equal((await request(guarded.url, '/api/runs', { headers: { cookie: session } })).status, 200);
  assert.equal((await upgradeStatus(`${guarded.url.replace('http', 'ws')}/live`, { cookie: session, origin: guarded.url })), 101);
  assert.equal((await request(guarded.url, '/api/runs', { headers: { cookie: `${session}x` } })).status, 401);
});

test('foreign Host and Origin headers and cross-site requests are refused (DNS rebinding, CSRF), also without a read token', { timeout: 30_000 }, async () => {
  const open = await startCollector({ store: fx.store, port: 0, log: createLogger('silent') });
  try {
    const base = open.url;
    const host = new URL(base).host;
    // Loopback names pass; a rebinding name resolving to 127.0.0.1 does not.
    assert.equal((await request(base, '/api/runs', { headers: { host: `localhost:${open.port}` } })).status, 200);
    const rebound = await request(base, '/api/runs', { headers: { host: `evil.example:${open.port}` } });
    assert.equal(rebound.status, 403);
    assert.equal(errorCode(rebound), 'LW_ERR_ORIGIN');
    // A page elsewhere posting to the collector (snapshot request, end run): refused by Origin or Sec-Fetch-Site.
    for (const headers of <Record<string, string>[]>[{ origin: 'http://evil.example' }, { origin: 'null' }, { origin: `https://${host}` }, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }, { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' }]) {
      const posted = await request(base, '/api/runs/nope/end', { method: 'POST', headers, body: '{}' });
      assert.equal(posted.status, 403, JSON.stringify(headers));
      assert.equal(errorCode(posted), 'LW_ERR_ORIGIN');
    }
    // The same POST from the UI itself reaches the route (404: no such run).
    assert.equal((await request(base, '/api/runs/nope/end', { method: 'POST', headers: { origin: base, 'sec-fetch-site': 'same-origin' }, body: '{}' })).status, 404);
    // A link to the UI from elsewhere is a navigation: it opens the page.
    assert.equal((await request(base, '/', { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } })).status, 200);
    // Sockets: a browser page elsewhere can reach neither the live socket nor the probe endpoint.
    const ws = base.replace('http', 'ws');
    assert.equal(await upgradeStatus(`${ws}/live`, { origin: 'http://evil.example' }), 403);
    assert.equal(await upgradeStatus(`${ws}/ingest`, { origin: 'http://evil.example' }), 403);
    assert.equal(await upgradeStatus(`${ws}/live`, { origin: base }), 101);
    // Probes reach the collector by any name of its host (a container's service name): no Host check there.
    assert.equal(await upgradeStatus(`${ws}/ingest`, { host: `collector.internal:${open.port}` }), 101);
  } finally {
    await open.close();
  }
});

test('beyond loopback the Host header must name the collector: --allowed-host names, or the bound address', { timeout: 30_000 }, async () => {
  const named = await startCollector({ store: fx.store, host: '0.0.0.0', port: 0, insecureNoAuth: true, allowedHosts: ['leakwatch.internal'], log: createLogger('silent') });
  try {
    const base = `http://127.0.0.1:${named.port}`;
    assert.equal((await request(base, '/api/runs', { headers: { host: `leakwatch.internal:${named.port}` } })).status, 200);
    assert.equal((await request(base, '/api/runs', { headers: { host: `LEAKWATCH.internal` } })).status, 200);
    assert.equal((await request(base, '/api/runs', { headers: { host: `other.internal:${named.port}` } })).status, 403);
  } finally {
    await named.close();
  }
});

test('neither token appears in the log or in any answer', { timeout: 30_000 }, async () => {
  // Refusals of both kinds, with the wrong token and with the other one, are logged.
  const wrongProbe = new WebSocket(`${guarded.url.replace('http', 'ws')}/ingest`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  await new Promise((resolve) => wrongProbe.on('close', resolve));
  const answers = await Promise.all([
    request(guarded.url, '/api/runs', { headers: { authorization: `Bearer ${PROBE_TOKEN}` } }),
    request(guarded.url, '/api/runs', { headers: { authorization: `Bearer ${READ_TOKEN}` } }),
    request(guarded.url, '/api/runs/guarded-run', { headers: { authorization: `Bearer ${READ_TOKEN}` } }),
    request(guarded.url, '/api/health', { headers: { authorization: `Bearer ${READ_TOKEN}` } }),
    request(guarded.url, '/sign-in'),
  ]);
  assert.ok(logLines.some((l) => /refused: LW_ERR_AUTH/.test(l)), 'the refusal is logged');
  const everything = [...logLines, ...answers.map((a) => a.body + JSON.stringify(a.headers))].join('\n');
  assert.ok(!everything.includes(PROBE_TOKEN), 'probe token shown');
  assert.ok(!everything.includes(READ_TOKEN), 'read token shown');
});
