import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { LeakwatchError } from '../../shared/errors';
import type { ReadAuth } from './read-auth';

export const SIGN_IN_PATH = '/sign-in';
const MAX_FORM_BYTES = 8 * 1024;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Only a path on this collector: `//evil.example` or `https://…` would make the form an open redirect. */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') && !next.startsWith(SIGN_IN_PATH) ? next : '/';
}

function sendPage(res: http.ServerResponse, uiDir: string, status: number, next: string, error: string): void {
  let template: string;
  try {
    template = fs.readFileSync(path.join(uiDir, 'sign-in.html'), 'utf8');
  } catch {
    throw new LeakwatchError('LW_ERR_INTERNAL', 'the UI is not built (run `npm run build`)', { userError: false });
  }
  const body = template.replace('{{next}}', escapeHtml(next)).replace('{{error}}', error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '');
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), 'x-frame-options': 'DENY' });
  res.end(body);
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new LeakwatchError('LW_ERR_BAD_REQUEST', 'sign-in form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * `GET /sign-in` shows the form; `POST /sign-in` (form fields `token`, `next`) checks the read
 * token and answers 303 to `next` with the session cookie, or 401 with the form again. The
 * token is never echoed back, logged or kept.
 */
export async function handleSignIn(req: http.IncomingMessage, res: http.ServerResponse, url: URL, deps: { auth: ReadAuth; uiDir: string; secure: boolean }): Promise<void> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    sendPage(res, deps.uiDir, 200, safeNext(url.searchParams.get('next')), '');
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'GET, POST' }).end();
    return;
  }
  const form = await readForm(req);
  const next = safeNext(form.get('next'));
  if (!deps.auth.required) {
    res.writeHead(303, { location: next }).end();
    return;
  }
  if (!deps.auth.isReadToken(form.get('token') ?? '')) {
    sendPage(res, deps.uiDir, 401, next, 'LW_ERR_AUTH: wrong read token');
    return;
  }
  res.writeHead(303, { location: next, 'set-cookie': deps.auth.sessionCookie(deps.secure), 'cache-control': 'no-store' }).end();
}
