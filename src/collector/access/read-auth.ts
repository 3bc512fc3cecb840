import { createHmac } from 'node:crypto';
import type http from 'node:http';
import { bearerOf, secretsEqual } from './token-compare';

export const SESSION_COOKIE = 'leakwatch_session';

export interface ReadAuth {
  /** True when no read token is set, or the request carries it (bearer) or the session cookie. */
  allows(req: http.IncomingMessage): boolean;
  /** True when `given` is the read token (the sign-in form). */
  isReadToken(given: string): boolean;
  /** The Set-Cookie header value of a signed-in browser. */
  sessionCookie(secure: boolean): string;
  readonly required: boolean;
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The read side's credential check. A browser's cookie holds an HMAC of a fixed label keyed by
 * the read token, not the token itself: a cookie read off a disk or a proxy log opens this
 * collector only until the token is changed, and cannot be replayed as the token elsewhere
 * (the CLI's bearer, another collector sharing a secret store).
 */
export function createReadAuth(readToken: string | undefined): ReadAuth {
  const session = readToken ? createHmac('sha256', readToken).update('leakwatch-ui-session-v1').digest('base64url') : '';
  return {
    required: Boolean(readToken),
    allows(req) {
      if (!readToken) return true;
      const bearer = bearerOf(req.headers.authorization);
      if (bearer !== undefined) return secretsEqual(bearer, readToken);
      const cookie = cookieOf(req.headers.cookie, SESSION_COOKIE);
      return cookie !== undefined && secretsEqual(cookie, session);
    },
    isReadToken: (given) => Boolean(readToken) && secretsEqual(given, readToken!),
    sessionCookie: (secure) => `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
  };
}
