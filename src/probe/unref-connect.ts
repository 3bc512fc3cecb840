import net from 'node:net';
import tls from 'node:tls';

/**
 * A `createConnection` for ws that unrefs the TCP socket it creates: an open probe connection
 * never keeps the host process alive, so an app that is done exits as it would without the probe.
 * ws hands it the whole request options, headers included, and a TLS socket keeps the options
 * it was made with for its life: the Authorization header would stay on the app's heap (and in
 * its heap snapshots) as long as the connection. The socket gets the options without headers.
 */
export function unrefConnect(url: string): typeof net.createConnection {
  return ((opts: net.NetConnectOpts & tls.ConnectionOptions & { headers?: unknown }) => {
    const { headers: _headers, ...socketOptions } = opts;
    const socket = url.startsWith('wss:') ? tls.connect(socketOptions) : net.connect(socketOptions);
    socket.unref();
    return socket;
  }) as unknown as typeof net.createConnection;
}
