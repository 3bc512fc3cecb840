import net from 'node:net';
import tls from 'node:tls';

/**
 * A `createConnection` for ws that unrefs the TCP socket it creates: an open probe connection
 * never keeps the host process alive, so an app that is done exits as it would without the probe.
 */
export function unrefConnect(url: string): typeof net.createConnection {
  return ((opts: net.NetConnectOpts & tls.ConnectionOptions) => {
    const socket = url.startsWith('wss:') ? tls.connect(opts) : net.connect(opts);
    socket.unref();
    return socket;
  }) as unknown as typeof net.createConnection;
}
