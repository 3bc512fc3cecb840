import fs from 'node:fs';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { LeakwatchError } from '../../shared/errors';
import type { SnapshotRecord } from '../../shared/snapshot-data';
import { diffTypeRows } from '../../snapshot/diff-types';
import type { Store } from '../../store/store-interface';
import { sendJson } from '../http-errors';
import { isSafeSegment } from './files';
import { diffStoredNodeIndexes } from './node-index-file';
import type { SnapshotService } from './service';

import { bootOf } from '../boot-param';

function badRequest(message: string): LeakwatchError {
  return new LeakwatchError('LW_ERR_BAD_REQUEST', message);
}

async function snapshotOf(snapshots: SnapshotService, runId: string, sid: string): Promise<SnapshotRecord> {
  const record = await snapshots.get(runId, sid);
  if (!record) throw new LeakwatchError('LW_ERR_NOT_FOUND', `no snapshot "${sid.slice(0, 80)}" in run ${runId.slice(0, 80)}`);
  return record;
}

/** True when the client takes gzip (`Accept-Encoding: gzip` or `*`, not with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';').map((p) => p.trim());
    if (name !== 'gzip' && name !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * The stored .gz goes out as is when the client accepts gzip (browsers and curl --compressed
 * save the decoded .heapsnapshot), otherwise it is decompressed on the fly: either way it streams.
 */
async function sendDownload(req: http.IncomingMessage, res: http.ServerResponse, snapshots: SnapshotService, snapshot: SnapshotRecord): Promise<void> {
  const file = snapshots.files.storedPath(snapshot.run, snapshot.id);
  let size: number;
  try {
    size = (await fs.promises.stat(file)).size;
  } catch {
    const why = snapshot.status === 'ready' || snapshot.storedSize > 0 ? 'its file is gone (retention)' : `it is ${snapshot.status}`;
    throw new LeakwatchError('LW_ERR_NOT_FOUND', `snapshot ${snapshot.id} has no stored file: ${why}`);
  }
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment; filename="${snapshot.run}-${snapshot.id}.heapsnapshot"`,
    'cache-control': 'no-store',
    vary: 'Accept-Encoding',
  };
  if (gzip) {
    headers['content-encoding'] = 'gzip';
    headers['content-length'] = size;
  } else if (snapshot.fileSize > 0) {
    headers['content-length'] = snapshot.fileSize;
  }
  const source = fs.createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    source.once('open', () => resolve());
    source.once('error', reject);
  }).catch(() => {
    throw new LeakwatchError('LW_ERR_NOT_FOUND', `snapshot ${snapshot.id} has no stored file`);
  });
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    source.destroy();
    res.end();
    return;
  }
  await (gzip ? pipeline(source, res) : pipeline(source, zlib.createGunzip(), res));
}

/**
 * Snapshot routes under /api/runs/:id (docs/api.md): list, one with its types, request one,
 * download, and the per-type diff of two (with #new / #deleted from their node indexes when both
 * have one), and the growth suspects of each process's latest snapshot that has them. `parts` is
 * the split path; the run exists.
 */
export async function handleSnapshotApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, parts: string[], runId: string, deps: { store: Store; snapshots: SnapshotService }): Promise<boolean> {
  const { store, snapshots } = deps;
  const method = req.method ?? 'GET';
  const [, , , sub, sid, action] = parts;

  if (sub === 'diff' && parts.length === 4 && method === 'GET') {
    const a = url.searchParams.get('a') ?? '';
    const b = url.searchParams.get('b') ?? '';
    if (!a || !b) throw badRequest('diff needs two snapshot ids: ?a=<sid>&b=<sid>');
    const [snapA, snapB] = await Promise.all([snapshotOf(snapshots, runId, a), snapshotOf(snapshots, runId, b)]);
    for (const snap of [snapA, snapB]) {
      if (snap.status !== 'ready') throw badRequest(`snapshot ${snap.id} is ${snap.status}, not ready: only analysed snapshots can be diffed`);
    }
    const [typesA, typesB, byId] = await Promise.all([store.getSnapshotTypes(runId, a), store.getSnapshotTypes(runId, b), diffStoredNodeIndexes(snapshots.files, snapA, snapB, snapshots.log)]);
    sendJson<'GET /api/runs/:id/diff'>(res, 200, { a: snapA, b: snapB, matchedById: byId !== null, rows: diffTypeRows(typesA, typesB, byId) });
    return true;
  }
  if (sub === 'suspects' && parts.length === 4 && method === 'GET') {
    sendJson<'GET /api/runs/:id/suspects'>(res, 200, { boots: await snapshots.suspects(runId) });
    return true;
  }
  if (sub !== 'snapshots') return false;

  if (parts.length === 4 && method === 'GET') {
    sendJson<'GET /api/runs/:id/snapshots'>(res, 200, { snapshots: await snapshots.list(runId) });
  } else if (parts.length === 4 && method === 'POST') {
    // `?boot=`: the process whose probe is asked (the run page's chosen one); else the newest.
    const answer = await snapshots.request(runId, bootOf(url.searchParams));
    sendJson<'POST /api/runs/:id/snapshots'>(res, answer.httpStatus, { snapshot: answer.snapshot });
  } else if (parts.length === 5 && method === 'GET') {
    const snapshot = await snapshotOf(snapshots, runId, sid);
    sendJson<'GET /api/runs/:id/snapshots/:sid'>(res, 200, { snapshot, types: snapshot.status === 'ready' ? await store.getSnapshotTypes(runId, sid) : [] });
  } else if (parts.length === 6 && action === 'download' && (method === 'GET' || method === 'HEAD')) {
    if (!isSafeSegment(runId) || !isSafeSegment(sid)) throw new LeakwatchError('LW_ERR_NOT_FOUND', `no snapshot "${sid.slice(0, 80)}" in run ${runId.slice(0, 80)}`);
    await sendDownload(req, res, snapshots, await snapshotOf(snapshots, runId, sid));
  } else {
    return false;
  }
  return true;
}
