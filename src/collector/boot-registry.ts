import WebSocket from 'ws';
import type { HelloMessage } from '../protocol/messages';

/**
 * Highest stored seq per boot, as the ingest's ack path reads and raises it. Keyed by boot alone
 * is safe because the registry lets a boot id belong to one run only: a sender of another run
 * that knows the id is refused at hello and never reaches the mark.
 */
export interface SeqMarks {
  get(boot: string): number | undefined;
  set(boot: string, seq: number): unknown;
}

/** What a boot's first hello said about its process; every later hello of the boot must say the same. */
interface BootEntry {
  run: string;
  pid: number;
  host: string;
  startedAt: number;
  /** The connection that holds the boot now, if any. */
  holder: WebSocket | undefined;
  storedSeq: number;
}

export type BootClaim = { ok: true } | { ok: false; reason: string };

export interface BootRegistryOptions {
  /** Boots remembered after their connection closed (their first hello and stored seq); the oldest are forgotten first. */
  maxRemembered?: number;
  /** How long a holder contested by a second hello has to answer a ping before it is taken for dead. */
  contestedPongMs?: number;
}

const IDENTITY_FIELDS = ['run', 'pid', 'host', 'startedAt'] as const;

/**
 * Which connection holds each probe boot, and what the boot's first hello said. A probe may write
 * only to its own (run, boot): a hello for a boot another open connection holds, or one whose
 * run, pid, host or start time differ from the boot's first hello, is refused. A reconnect of the
 * boot after its connection closed is the normal case (network cuts, a restarted collector) and
 * is let in. When the holder may be a half-dead socket (a cut the heartbeat has not noticed yet),
 * the refusal pings it, and a holder that does not answer is terminated, so the real probe's next
 * attempt gets in without waiting for the heartbeat.
 */
export function createBootRegistry(options: BootRegistryOptions = {}) {
  const maxRemembered = options.maxRemembered ?? 100_000;
  const contestedPongMs = options.contestedPongMs ?? 5000;
  // Insertion order is age: a claim moves its boot to the end.
  const boots = new Map<string, BootEntry>();
  const contested = new WeakSet<WebSocket>();

  function isOpen(ws: WebSocket | undefined): ws is WebSocket {
    return ws !== undefined && ws.readyState === WebSocket.OPEN;
  }

  /** Pings a holder whose boot someone else says hello for; terminates it when it stays silent. */
  function checkAlive(holder: WebSocket): void {
    if (contested.has(holder)) return;
    contested.add(holder);
    const timer = setTimeout(() => holder.terminate(), contestedPongMs);
    timer.unref();
    const settle = () => {
      clearTimeout(timer);
      contested.delete(holder);
    };
    holder.once('pong', settle);
    holder.once('close', settle);
    holder.ping();
  }

  function forgetOldest(): void {
    // Boots held by an open connection are never forgotten; they move to the end instead.
    let rotations = boots.size;
    while (boots.size > maxRemembered && rotations-- > 0) {
      const [boot, entry] = boots.entries().next().value as [string, BootEntry];
      boots.delete(boot);
      if (isOpen(entry.holder)) boots.set(boot, entry);
    }
  }

  return {
    /** A hello on `ws`: takes the boot for this connection, or says why not (LW_ERR_PROBE_CONFLICT). */
    claim(hello: HelloMessage, ws: WebSocket): BootClaim {
      const entry = boots.get(hello.boot);
      if (entry) {
        const differs = IDENTITY_FIELDS.filter((field) => entry[field] !== hello[field]);
        if (differs.length > 0) return { ok: false, reason: `boot ${hello.boot} said hello before with another ${differs.join(', ')}` };
        if (entry.holder !== ws && isOpen(entry.holder)) {
          checkAlive(entry.holder);
          return { ok: false, reason: `boot ${hello.boot} is connected on another connection` };
        }
        boots.delete(hello.boot);
      }
      const held: BootEntry = entry ?? { run: hello.run, pid: hello.pid, host: hello.host, startedAt: hello.startedAt, holder: undefined, storedSeq: 0 };
      boots.set(hello.boot, held);
      if (held.holder !== ws) {
        held.holder = ws;
        ws.once('close', () => {
          if (held.holder === ws) held.holder = undefined;
        });
      }
      forgetOldest();
      return { ok: true };
    },

    /** The stored-seq marks of the boots, for the ingest's ack path. */
    storedSeq: {
      get: (boot: string) => boots.get(boot)?.storedSeq,
      set: (boot: string, seq: number) => {
        const entry = boots.get(boot);
        if (entry) entry.storedSeq = seq;
      },
    } satisfies SeqMarks,
  };
}

export type BootRegistry = ReturnType<typeof createBootRegistry>;
