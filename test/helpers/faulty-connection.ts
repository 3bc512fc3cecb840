import type { ChdbConnection } from 'chdb/connection';

/** Turns the store's engine off and on: every call through the wrapped connection fails while it is down. */
export interface StoreFault {
  /** Fails every query from now for `ms` (or until `up()`). */
  down(ms?: number): void;
  /** Like down, but the calls never answer (a server behind a dead link). */
  hang(ms?: number): void;
  up(): void;
  isDown(): boolean;
  /** Calls refused so far. */
  readonly refused: number;
  wrap(connection: ChdbConnection): ChdbConnection;
}

const FAILING = new Set(['query', 'insert', 'command', 'exec', 'ping']);

/**
 * A fault-injecting layer around the real engine's connection (what `createChdbConnection`
 * returns), passed as `wrapConnection`: while down, each call is refused the way an unreachable
 * server refuses (ECONNREFUSED) before it reaches the engine, or (hang) never answers;
 * otherwise the engine answers.
 */
export function createStoreFault(): StoreFault {
  let downUntil = 0;
  let hanging = false;
  let refused = 0;
  const isDown = () => Date.now() < downUntil;
  return {
    down(ms = Number.MAX_SAFE_INTEGER / 2) {
      downUntil = Date.now() + ms;
      hanging = false;
    },
    hang(ms = Number.MAX_SAFE_INTEGER / 2) {
      downUntil = Date.now() + ms;
      hanging = true;
    },
    up() {
      downUntil = 0;
    },
    isDown,
    get refused() {
      return refused;
    },
    wrap(connection) {
      return new Proxy(connection, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver) as unknown;
          if (typeof name !== 'string' || !FAILING.has(name) || typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (isDown()) {
              refused++;
              if (hanging) return new Promise(() => undefined);
              const err = Object.assign(new Error('connect ECONNREFUSED (injected store fault)'), { code: 'ECONNREFUSED' });
              return Promise.reject(err);
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
}
