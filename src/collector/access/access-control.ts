import type http from 'node:http';
import { LeakwatchError } from '../../shared/errors';
import { createHostOriginGuard } from './host-origin';
import { createReadAuth } from './read-auth';
import { handleSignIn, SIGN_IN_PATH } from './sign-in-page';

export interface AccessOptions {
  /** The address the collector listens on (decides the accepted Host names). */
  bindHost: string;
  /** Required of every HTTP request and /live socket when set (bearer or session cookie). */
  readToken?: string;
  /** Host names the Host header may carry beyond loopback (default: see host-origin.ts). */
  allowedHosts?: readonly string[];
  /** Serving https: the session cookie is marked Secure and origins are https://. */
  tls: boolean;
  uiDir: string;
}

/** An upgrade refused before the WebSocket handshake: the status and the one-line error. */
export interface UpgradeRefusal {
  status: 401 | 403;
  error: LeakwatchError;
}

/** The UI's page routes (what serveStatic answers with index.html). */
function isPagePath(pathname: string): boolean {
  return pathname === '/' || pathname.startsWith('/runs/');
}

/**
 * Who may read: the Host/Origin checks for everything, the read token for every HTTP route,
 * the UI and the live socket (the probe sockets keep their own token check in the collector).
 */
export function createAccessControl(options: AccessOptions) {
  const auth = createReadAuth(options.readToken);
  const guard = createHostOriginGuard({ bindHost: options.bindHost, allowedHosts: options.allowedHosts ?? [], scheme: options.tls ? 'https' : 'http' });
  return {
    acceptedHosts: guard.accepted,
    /**
     * Screens one HTTP request. Resolves true when it was answered here (refused, redirected to
     * the sign-in page, or the sign-in route itself); false when the API or UI may serve it.
     * Throws LeakwatchError (LW_ERR_ORIGIN, LW_ERR_AUTH) for the caller's JSON error.
     */
    async screen(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
      const refused = guard.check(req, isPagePath(url.pathname) || url.pathname === SIGN_IN_PATH);
      if (refused) throw refused;
      if (url.pathname === SIGN_IN_PATH) {
        await handleSignIn(req, res, url, { auth, uiDir: options.uiDir, secure: options.tls });
        return true;
      }
      if (auth.allows(req)) return false;
      if (req.method === 'GET' && isPagePath(url.pathname)) {
        res.writeHead(303, { location: `${SIGN_IN_PATH}?next=${encodeURIComponent(url.pathname + url.search)}`, 'cache-control': 'no-store' }).end();
        return true;
      }
      throw new LeakwatchError('LW_ERR_AUTH', 'missing or wrong read token (Authorization: Bearer, LEAKWATCH_READ_TOKEN, or sign in at /sign-in)');
    },
    /** Screens a WebSocket upgrade: `live` sockets as HTTP requests, probe sockets only for a browser's Origin. */
    screenUpgrade(req: http.IncomingMessage, kind: 'live' | 'probe'): UpgradeRefusal | null {
      // Probes are not browsers: they send no Origin and may use any name of the host (a
      // container's service name), so only a browser's page is kept off the probe sockets.
      if (kind === 'probe') {
        return req.headers.origin === undefined ? null : { status: 403, error: new LeakwatchError('LW_ERR_ORIGIN', 'probe sockets do not take connections from web pages') };
      }
      const refused = guard.check(req, false);
      if (refused) return { status: 403, error: refused };
      if (kind === 'live' && !auth.allows(req)) return { status: 401, error: new LeakwatchError('LW_ERR_AUTH', 'missing or wrong read token') };
      return null;
    },
  };
}

export type AccessControl = ReturnType<typeof createAccessControl>;
