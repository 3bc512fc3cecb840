/**
 * A leaking document service in TypeScript, compiled with external source maps: each edit is
 * audited through `remember()` (audit.ts), whose trail is never trimmed. Built by
 * `npm run build` into samples/ts-leaky-audit-server/dist/, a .map file beside each .js, so a
 * profiler can name the .ts line behind a compiled one.
 *
 *   node samples/ts-leaky-audit-server/dist/server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runSelfDrivingServer } from '../../self-driving-server';
import { AuditEntry, auditedCount, remember } from './audit';

const NAME = 'ts-leaky-audit-server';
const DOCUMENT_COUNT = 100;

interface StoredDocument {
  id: number;
  revision: number;
  text: string;
}

/** A fixed set of documents: the store itself does not grow, only their audit trail does. */
const documents: StoredDocument[] = Array.from({ length: DOCUMENT_COUNT }, (_, id) => ({
  id,
  revision: 0,
  text: `Document ${id}. `.repeat(100).slice(0, 1400),
}));

function editDocument(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const document = documents[Number(url.searchParams.get('doc') ?? 0) % DOCUMENT_COUNT];
  const editor = url.searchParams.get('by') ?? 'anonymous';
  remember(new AuditEntry(editor, `edit document ${document.id} r${document.revision}`, document.text));
  document.revision++;
  const body = JSON.stringify({ id: document.id, revision: document.revision });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let edits = 0;

runSelfDrivingServer({
  name: NAME,
  handle: editDocument,
  nextPath: () => `/documents/edit?doc=${++edits % DOCUMENT_COUNT}&by=editor-${edits % 37}`,
  describe: () => `${auditedCount()} audit entries`,
});
