import type http from 'node:http';
import os from 'node:os';
import { LeakwatchError } from '../../shared/errors';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** `host[:port]` of a Host header as a lower-case host name (IPv6 without brackets), or null. */
function hostNameOf(header: string | undefined): string | null {
  if (!header) return null;
  try {
    return new URL(`http://${header}`).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}

/**
 * The host names a request may name in its Host header: loopback names, the `allowedHosts` the
 * user gave, the address the collector is bound to; bound to every interface without
 * `allowedHosts`, this machine's addresses and host name. A name an attacker controls (DNS
 * rebinding: evil.example resolving to this address) is never among them.
 */
export function acceptedHostNames(bindHost: string, allowedHosts: readonly string[]): Set<string> {
  const bare = (host: string): string => host.toLowerCase().replace(/^\[|\]$/g, '');
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  for (const host of allowedHosts) names.add(bare(host));
  if (!WILDCARDS.has(bindHost)) {
    names.add(bare(bindHost));
    return names;
  }
  if (allowedHosts.length > 0) return names;
  names.add(os.hostname().toLowerCase());
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) names.add(a.address.toLowerCase());
  }
  return names;
}

function originError(message: string): LeakwatchError {
  return new LeakwatchError('LW_ERR_ORIGIN', message);
}

/**
 * DNS rebinding and cross-site request checks, for every HTTP request and WebSocket upgrade:
 * the Host header must name this collector; an Origin header, when sent, must be this
 * collector's own origin; a browser's Sec-Fetch-Site must say same-origin, except for a plain
 * page navigation (a link to the UI from elsewhere), which changes nothing and, the session
 * cookie being SameSite=Strict, lands on the sign-in page.
 */
export function createHostOriginGuard(options: { bindHost: string; allowedHosts: readonly string[]; scheme: 'http' | 'https' }) {
  const accepted = acceptedHostNames(options.bindHost, options.allowedHosts);
  return {
    accepted,
    /** Null when the request may go on; otherwise the LW_ERR_ORIGIN error to answer with. */
    check(req: http.IncomingMessage, isPageNavigation: boolean): LeakwatchError | null {
      const hostHeader = req.headers.host;
      const name = hostNameOf(hostHeader);
      if (name === null || !accepted.has(name)) {
        return originError(`Host "${String(hostHeader ?? '').slice(0, 80)}" is not a name of this collector (--allowed-host)`);
      }
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `${options.scheme}://${hostHeader}`) {
        return originError(`cross-origin request from "${origin.slice(0, 80)}" refused`);
      }
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        const navigation = isPageNavigation && req.method === 'GET' && req.headers['sec-fetch-mode'] === 'navigate';
        if (!navigation) return originError(`${site} request refused`);
      }
      return null;
    },
  };
}

export type HostOriginGuard = ReturnType<typeof createHostOriginGuard>;
