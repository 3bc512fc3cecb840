import net from 'node:net';
import type { LoadCommand, LoadConnected, LoadResult } from './ipc';

/**
 * Closed-loop HTTP load generator, driven over IPC by the bench: it keeps `concurrency` keep-alive
 * connections open to each server of a round and loads one server at a time, each connection with
 * exactly one request outstanding. Switching servers is instant (no process start, no new
 * sockets), which lets the bench alternate between servers every fraction of a second.
 *
 * It speaks HTTP/1.1 over raw sockets instead of using node:http because on a small machine the
 * load generator shares the cores with the server: node:http's client costs about as much CPU
 * per request as the server under test and would make the client the bottleneck. Responses must
 * carry Content-Length (the bench server always sets it).
 *
 *   forked by the bench: load-child.js <concurrency> [path]
 */
const [concurrencyArg, pathArg = '/'] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_OK = Buffer.from('HTTP/1.1 200', 'latin1');

let completed = 0;
let errors = 0;
/** The port being loaded; connections to other ports finish their request and go idle. */
let activePort = 0;

interface Connection {
  /** Sends a request if this connection is idle. */
  kick(): void;
  close(): void;
}

const pools = new Map<number, Connection[]>();

function openConnection(port: number): Promise<Connection> {
  const request = Buffer.from(`GET ${pathArg} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`, 'latin1');
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  /** Total length (head + body) of the response being read, or -1 while its head is incomplete. */
  let expected = -1;
  let busy = false;

  const send = (): void => {
    busy = true;
    socket.write(request);
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (expected < 0) {
        const end = pending.indexOf(HEADER_END);
        if (end < 0) return;
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(pending.toString('latin1', 0, end));
        if (!length) {
          errors++;
          socket.destroy();
          return;
        }
        if (!pending.subarray(0, STATUS_OK.length).equals(STATUS_OK)) errors++;
        expected = end + HEADER_END.length + Number(length[1]);
      }
      if (pending.length < expected) return;
      pending = pending.subarray(expected);
      expected = -1;
      completed++;
      busy = false;
      if (port === activePort) send();
    }
  });
  socket.on('error', () => errors++);
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({
        kick: () => {
          if (!busy && !socket.destroyed) send();
        },
        close: () => socket.destroy(),
      });
    });
  });
}

async function handle(command: LoadCommand): Promise<void> {
  if (command.type === 'connect') {
    for (const port of command.ports) {
      pools.set(port, await Promise.all(Array.from({ length: concurrency }, () => openConnection(port))));
    }
    const connected: LoadConnected = { type: 'connected' };
    process.send!(connected);
  } else if (command.type === 'drive') {
    activePort = command.port;
    for (const connection of pools.get(command.port) ?? []) connection.kick();
  } else {
    activePort = 0;
    // In-flight requests are a few hundred microseconds from done; a short pause lets them count.
    setTimeout(() => {
      for (const pool of pools.values()) for (const connection of pool) connection.close();
      const result: LoadResult = { type: 'load-result', completed, errors };
      // Exit only once the report is on its way: process.send is asynchronous.
      process.send!(result, () => process.exit(0));
    }, 50);
  }
}

if (!(concurrency > 0) || !process.send) {
  process.stderr.write('load-child is forked by the bench: load-child.js <concurrency> [path]\n');
  process.exit(2);
}
process.on('message', (command: LoadCommand) => {
  handle(command).catch((err: Error) => {
    process.stderr.write(`bench load generator: ${err.message}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
