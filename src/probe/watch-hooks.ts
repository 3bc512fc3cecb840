import { types } from 'node:util';

/** Called by a hook before the mutator runs; `hook` is the function the app called (left out of the stack). */
export type OnMutation = (method: string, hook: (...args: never[]) => unknown) => void;

export interface InstalledHooks {
  /** What is hooked: `Map.set`, `Array.push/unshift/splice`, `new keys`… */
  what: string;
  /** Puts the object back as it was; true when nothing of the hooks is left on it. */
  unhook(): boolean;
}

/** Why an object cannot be watched; the watcher reports it as a failed watch. */
export class NotHookable extends Error {}

/** Mutators that add entries, per container shape, as the suspects name them (container-kinds.ts). */
const MAP_METHODS = ['set'];
const SET_METHODS = ['add'];
const ARRAY_METHODS = ['push', 'unshift', 'splice'];
const EMITTER_METHODS = ['on', 'addListener', 'prependListener'];

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Own properties shadowing the mutators of THIS instance only: the prototype (every other Map,
 * Array, …) is untouched. Each wrapper reports the call, then calls what the instance resolved
 * the name to before (the prototype's method, or a subclass's) with the same `this`, arguments
 * and return value; whatever that throws reaches the app unchanged. A failure of the reporting
 * itself is the watcher's (OnMutation never throws). Unhooking deletes each own property, or
 * restores the one the instance had, unless the app replaced the wrapper meanwhile.
 */
function wrapMethods(target: object, methods: readonly string[], onMutation: OnMutation, what: string): InstalledHooks {
  if (!Object.isExtensible(target)) throw new NotHookable('the object is frozen or not extensible');
  const record = target as Record<string, unknown>;
  const installed: { name: string; wrapper: AnyFunction; previous: PropertyDescriptor | undefined }[] = [];
  try {
    for (const name of methods) {
      const original = record[name];
      if (typeof original !== 'function') continue;
      const previous = Object.getOwnPropertyDescriptor(target, name);
      if (previous && !previous.configurable) continue;
      const call = original as AnyFunction;
      const wrapper: AnyFunction = function (this: unknown, ...args: unknown[]) {
        onMutation(name, wrapper as (...args: never[]) => unknown);
        return Reflect.apply(call, this, args);
      };
      Object.defineProperty(target, name, { value: wrapper, writable: true, enumerable: false, configurable: true });
      installed.push({ name, wrapper, previous });
    }
  } catch (err) {
    restore();
    throw new NotHookable(`cannot hook its methods: ${(err as Error).message}`);
  }
  if (installed.length === 0) throw new NotHookable(`it has none of ${methods.join(', ')} to hook`);

  function restore(): boolean {
    let clean = true;
    for (const { name, wrapper, previous } of installed.splice(0).reverse()) {
      const now = Object.getOwnPropertyDescriptor(target, name);
      if (now?.value !== wrapper) {
        clean = false; // the app put its own there since: it stays
        continue;
      }
      if (previous) Object.defineProperty(target, name, previous);
      else delete record[name];
    }
    return clean;
  }
  return { what, unhook: restore };
}

/**
 * New keys of a plain (dictionary) object, without touching its existing properties: a Proxy
 * becomes the object's prototype. An assignment `obj[key] = value` first looks for an own `key`
 * (ECMA-262 OrdinarySet); only when there is none does it ask the prototype, so the Proxy's `set`
 * trap sees exactly the writes that ADD a key. Writes to existing keys, `Object.defineProperty`
 * and `delete` never reach it, and that is fine: a growing dictionary grows by new keys. The trap
 * makes the own data property itself (what OrdinarySet does when no prototype has the key) or,
 * when the old prototype chain has the key (a setter, `__proto__`), hands the write to it with
 * the same receiver, so the result is what it would have been without the Proxy. Writes through
 * objects that inherit from the watched one reach the trap too; they are passed on, not counted.
 * While hooked, Object.getPrototypeOf(obj) is the Proxy (reporting the old prototype as its own,
 * so instanceof still holds); unhooking sets the old prototype back.
 */
function watchNewKeys(target: object, onMutation: OnMutation): InstalledHooks {
  if (!Object.isExtensible(target)) throw new NotHookable('the object is frozen or not extensible');
  const oldProto = Object.getPrototypeOf(target) as object | null;
  const handler: ProxyHandler<object> = {
    set(proxyTarget, key, value, receiver) {
      if (receiver === target) onMutation('new key', handler.set as (...args: never[]) => unknown);
      if (oldProto !== null && Reflect.has(oldProto, key)) return Reflect.set(oldProto, key, value, receiver);
      return Reflect.defineProperty(receiver as object, key, { value, writable: true, enumerable: true, configurable: true });
    },
    getPrototypeOf: () => oldProto,
  };
  const proxy = new Proxy(oldProto ?? Object.create(null), handler);
  try {
    Object.setPrototypeOf(target, proxy);
  } catch (err) {
    throw new NotHookable(`cannot replace its prototype: ${(err as Error).message}`);
  }
  return {
    what: 'new keys',
    unhook() {
      if (Object.getPrototypeOf(target) !== proxy) return false; // the app set another prototype since
      Object.setPrototypeOf(target, oldProto);
      return true;
    },
  };
}

function isEmitter(value: object): boolean {
  const record = value as Record<string, unknown>;
  return typeof record.on === 'function' && typeof record.emit === 'function' && '_events' in record;
}

/**
 * Hooks the mutators that add to `target`, a container the suspects named with `kind`
 * (src/snapshot/suspects/container-kinds.ts). The object's actual shape decides the hooks; the
 * kind only rules out what cannot be watched: a closure context and a timer list are not objects
 * JavaScript can reach or wrap. A listener list is the Array in an emitter's `_events` (Node's
 * lib/events.js pushes to it from the third listener on), hooked like an Array; an emitter itself
 * gets `on`/`addListener`/`prependListener`. Throws NotHookable.
 */
export function installWatchHooks(target: unknown, kind: string, onMutation: OnMutation): InstalledHooks {
  if (kind === 'context' || kind === 'timers') throw new NotHookable(`a ${kind === 'context' ? 'closure context' : 'timer list'} cannot be hooked from JavaScript`);
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) throw new NotHookable(`it is a ${target === null ? 'null' : typeof target}, not a container`);
  if (types.isProxy(target)) throw new NotHookable('it is a Proxy');
  if (types.isMap(target)) return wrapMethods(target, MAP_METHODS, onMutation, 'Map.set');
  if (types.isSet(target)) return wrapMethods(target, SET_METHODS, onMutation, 'Set.add');
  if (Array.isArray(target)) return wrapMethods(target, ARRAY_METHODS, onMutation, 'Array.push/unshift/splice');
  if (types.isWeakMap(target) || types.isWeakSet(target)) throw new NotHookable('weak collections do not retain their entries');
  if (typeof target === 'function') throw new NotHookable('it is a function');
  if (kind === 'listeners' && isEmitter(target)) return wrapMethods(target, EMITTER_METHODS, onMutation, 'EventEmitter.on/addListener/prependListener');
  if (kind === 'object' || kind === 'listeners') return watchNewKeys(target, onMutation);
  throw new NotHookable(`unknown container kind ${JSON.stringify(kind).slice(0, 40)}`);
}
