/**
 * The shapes of self-driving-server.js, for the TypeScript samples: they share its options,
 * server, load driver and shutdown, and so print the same lines as the JavaScript ones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SelfDrivingSample {
  /** Printed at the start of the "listening" and "stopping" lines. */
  name: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The path of the next request the load driver sends. */
  nextPath(): string;
  /** What the sample holds, for the "stopping" line. */
  describe(): string;
}

export declare function runSelfDrivingServer(sample: SelfDrivingSample): void;
