/**
 * A leaking page service in TypeScript, compiled with inline source maps: every page view joins
 * the room's presence (presence.ts), and clients that leave without signing out stay in it
 * forever. Built by `npm run build` into samples/ts-leaky-presence-server/dist/, each .js file
 * carrying its map (and the .ts text) in a `data:` URL comment.
 *
 *   node samples/ts-leaky-presence-server/dist/server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runSelfDrivingServer } from '../../self-driving-server';
import { Presence, PresenceTracker } from './presence';

const NAME = 'ts-leaky-presence-server';
const ROOMS = ['pricing', 'docs', 'changelog', 'status'];
/** What a browser says it supports: about 2 KB, a little different per client. */
const CAPABILITIES = Array.from({ length: 110 }, (_, i) => `feature-${i}:v${(i * 7) % 13}`);

const tracker = new PresenceTracker();

function viewPage(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const room = url.pathname.slice('/rooms/'.length) || 'lobby';
  const userId = url.searchParams.get('user') ?? 'guest';
  tracker.join(new Presence(userId, room, req.headers['user-agent'] ?? 'unknown', CAPABILITIES.slice(userId.length % 10)));
  if (url.searchParams.has('signout')) tracker.leave(userId);
  const body = JSON.stringify({ room, viewing: tracker.size });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let views = 0;

runSelfDrivingServer({
  name: NAME,
  handle: viewPage,
  nextPath: () => `/rooms/${ROOMS[++views % ROOMS.length]}?user=visitor-${views}`,
  describe: () => `${tracker.size} clients present`,
});
