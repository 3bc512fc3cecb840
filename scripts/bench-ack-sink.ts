import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { decodeProbeMessage, encodeMessage, INGEST_PATH, PROTOCOL_VERSION, ProtocolError } from '../src/protocol';

/**
 * A stand-in collector for benchmarks: accepts probe connections on /ingest, decodes and validates
 * every frame exactly as the collector does, and acknowledges each message at once. It stores
 * nothing, so the database's CPU stays off the machine whose cores the measured server needs;
 * the probe still does all of its own work (sampling, encoding, sending, handling acks).
 */
export interface AckSink {
  url: string;
  /** Messages accepted so far (hello, batch, bye), and samples inside batches. */
  readonly messages: number;
  readonly samples: number;
  /** GCs reported inside batches (sum of event weights, i.e. the GCs that happened). */
  readonly gcs: number;
  /** Frames the decoder rejected: a non-zero count means the probe broke the protocol. */
  readonly rejected: number;
  close(): Promise<void>;
}

export function createAckSink(): Promise<AckSink> {
  let messages = 0;
  let samples = 0;
  let gcs = 0;
  let rejected = 0;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: INGEST_PATH });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      try {
        const message = decodeProbeMessage(data as Buffer, isBinary);
        messages++;
        if (message.type === 'batch') {
          samples += message.samples.length;
          // Weighted: the probe observes a capped number of GCs and weights them to stand for all.
          for (const gc of message.gcs) gcs += gc.weight;
        }
        socket.send(encodeMessage({ v: PROTOCOL_VERSION, type: 'ack', run: message.run, boot: message.boot, seq: message.seq }));
      } catch (err) {
        rejected++;
        const code = err instanceof ProtocolError ? err.closeCode : 1011;
        socket.close(code, err instanceof Error ? err.message.slice(0, 100) : 'error');
      }
    });
    socket.on('error', () => {
      // A probe process killed at the end of a round drops its socket: expected, nothing to do.
    });
  });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      const { port } = wss.address() as AddressInfo;
      resolve({
        url: `ws://127.0.0.1:${port}${INGEST_PATH}`,
        get messages() {
          return messages;
        },
        get samples() {
          return samples;
        },
        get gcs() {
          return gcs;
        },
        get rejected() {
          return rejected;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}
