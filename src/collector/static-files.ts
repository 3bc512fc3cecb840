import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { LeakwatchError } from '../shared/errors';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Serves the built UI. Page routes (`/`, `/runs/:id`, `/compare`) all get index.html: the browser app reads
 * the path itself. Only files directly inside the UI directory are served (no traversal).
 */
export function serveStatic(res: http.ServerResponse, url: URL, uiDir: string): void {
  const name = url.pathname === '/' || url.pathname === '/compare' || url.pathname.startsWith('/runs/') ? 'index.html' : url.pathname.slice(1);
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || !(path.extname(name) in TYPES)) {
    throw new LeakwatchError('LW_ERR_NOT_FOUND', `no page ${url.pathname.slice(0, 80)}`);
  }
  const file = path.join(uiDir, name);
  let body: Buffer;
  try {
    body = fs.readFileSync(file);
  } catch {
    if (name === 'index.html') throw new LeakwatchError('LW_ERR_INTERNAL', 'the UI is not built (run `npm run build`)', { userError: false });
    throw new LeakwatchError('LW_ERR_NOT_FOUND', `no file ${name}`);
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(name)], 'content-length': body.length, 'cache-control': 'no-cache' });
  res.end(body);
}
