import { EventEmitter } from 'node:events';

/**
 * The synthetic heap of `npm run bench:snapshot` (grown by heap-child.ts). It is built of "units",
 * each a small slice of an application: class instances with fields and back references, Maps and
 * Sets, closures capturing state, packed/holey/object/double arrays, unique/concatenated/sliced
 * strings, ArrayBuffers, Buffers and typed arrays, an LRU-like cache, EventEmitter listeners,
 * WeakMap entries and WeakRefs, plus linked chains that grow with the unit count on top of a fixed
 * 100k-link base (deep dominator trees are what break recursive analysers). Units are grouped in
 * blocks; caches, emitters and weak maps are per block, so every complete block adds the same
 * snapshot bytes and the size is linear in the unit count (the last, partial block is off by a few
 * cache entries at most).
 */

/** Bumped whenever the heap's shape changes, so cached snapshots of an older mix are not reused. */
export const GENERATOR_VERSION = 1;

export const UNITS_PER_BLOCK = 500;
const CHAIN_BASE_LINKS = 100_000;
const CHAIN_LINKS_PER_UNIT = 2;
const CATALOG_BASE = 1000;

// --- a dozen application classes -----------------------------------------------------------

class Address {
  constructor(
    public street: string,
    public city: string,
    public zip: number,
  ) {}
}

class Token {
  raw: Uint8Array;
  constructor(
    public value: string,
    public expires: number,
    public scope: string[],
  ) {
    this.raw = new Uint8Array(new ArrayBuffer(48));
  }
}

class User {
  sessions = new Set<Session>();
  orders: Order[] = [];
  constructor(
    public id: number,
    public name: string,
    public email: string,
    public address: Address,
  ) {}
}

class Session {
  tokens: Token[] = [];
  attrs = new Map<string, unknown>();
  constructor(
    public id: string,
    public user: User,
    public createdAt: number,
  ) {}
}

class Product {
  constructor(
    public sku: string,
    public title: string,
    public price: number,
    public tags: string[],
  ) {}
}

class OrderLine {
  constructor(
    public order: Order,
    public product: Product,
    public qty: number,
    public price: number,
  ) {}
}

class Invoice {
  constructor(
    public order: Order,
    public number: string,
    public pdf: Buffer,
  ) {}
}

class Order {
  lines: OrderLine[] = [];
  invoice: Invoice | null = null;
  total = 0;
  constructor(
    public id: number,
    public user: User,
  ) {}
}

class Metric {
  values = new Float64Array(16);
  constructor(
    public name: string,
    public labels: Record<string, string>,
  ) {}
}

class Span {
  children: Span[] = [];
  events: Array<{ at: number; name: string }> = [];
  constructor(
    public traceId: string,
    public parent: Span | null,
    public durations: number[],
  ) {}
}

class Job {
  retries = 0;
  run: () => number;
  constructor(
    public id: number,
    public payload: { unit: number; data: number[] },
  ) {
    const job = this;
    // Captures `job` and `payload` in a context: a closure retaining state, as handlers do.
    this.run = () => {
      job.retries++;
      return payload.data.length;
    };
  }
}

class Message {
  prev: Message | null = null;
  next: Message | null = null;
  headers = new Map<string, string>();
  constructor(public body: string) {}
}

class ChainLink {
  constructor(
    public next: ChainLink | null,
    public value: number,
  ) {}
}

// --- per-block containers ------------------------------------------------------------------

/** Map-based LRU: a hit moves the key to the end; inserts past capacity evict the oldest key. */
class LruCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

interface Block {
  users: Map<string, User>;
  cache: LruCache<{ order: Order; at: number; summary: string }>;
  emitter: EventEmitter;
  meta: WeakMap<User, { seen: number; notes: string[] }>;
  refs: Array<WeakRef<object>>;
  jobs: Job[];
  metrics: Metric[];
  spans: Span[];
  arrays: unknown[][];
  strings: string[];
  text: string;
}

export interface World {
  blocks: Block[];
  catalog: Product[];
  chain: ChainLink | null;
  messages: { head: Message | null; tail: Message | null };
}

function createBlock(index: number): Block {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    users: new Map(),
    // Three inserts per unit, room for two: the cache evicts and stays bounded.
    cache: new LruCache(UNITS_PER_BLOCK * 2),
    emitter,
    meta: new WeakMap(),
    refs: [],
    jobs: [],
    metrics: [],
    spans: [],
    arrays: [],
    strings: [],
    // Parent of the sliced strings: slices keep their parent alive.
    text: `block ${index} `.repeat(200),
  };
}

function addUnit(world: World, block: Block, unit: number, random: () => number): void {
  const address = new Address(`${unit} Main Street`, `City${unit % 97}`, 10000 + (unit % 89999));
  const name = `user${unit}`;
  const user = new User(unit, name, `${name}@example.com`, address);
  block.users.set(`u:${unit}`, user);

  for (let s = 0; s < 2; s++) {
    const session = new Session(`s-${unit}-${s}`, user, 1_700_000_000_000 + unit * 1000 + s);
    for (let t = 0; t < 2; t++) {
      session.tokens.push(new Token(`tok-${unit}-${s}-${t}-${Math.floor(random() * 1e9)}`, unit + t, ['read', t ? 'write' : 'admin']));
    }
    session.attrs.set('ip', `10.${unit & 255}.${(unit >> 8) & 255}.${s}`);
    session.attrs.set('agent', { name: 'bench', version: unit % 7 });
    session.attrs.set('hits', unit * 3 + s);
    user.sessions.add(session);
  }

  // A new catalog product every unit, plus lines sharing older products (multiple retainers).
  world.catalog.push(new Product(`sku-${unit}`, `Product number ${unit}`, (unit % 1000) / 10, ['tag', `t${unit % 13}`]));
  const order = new Order(unit, user);
  for (let l = 0; l < 3; l++) {
    const product = world.catalog[Math.floor(random() * world.catalog.length)]!;
    const line = new OrderLine(order, product, 1 + l, product.price);
    order.lines.push(line);
    order.total += line.qty * line.price;
  }
  order.invoice = new Invoice(order, `INV-${unit}`, Buffer.alloc(96, unit & 255));
  user.orders.push(order);

  const metric = new Metric(`metric_${unit % 50}`, { route: `/r/${unit % 20}`, unit: String(unit) });
  metric.values[unit % 16] = unit / 3;
  block.metrics.push(metric);

  const root = new Span(`trace-${unit}`, null, [unit * 0.5, unit * 0.25]);
  for (let c = 0; c < 3; c++) {
    const child = new Span(root.traceId, root, [c + 0.5]);
    child.events.push({ at: unit + c, name: `event-${c}` });
    root.children.push(child);
  }
  block.spans.push(root);

  block.jobs.push(new Job(unit, { unit, data: [unit, unit + 1, unit + 2] }));

  // Messages in one global doubly linked list (cycles through prev/next).
  for (let m = 0; m < 2; m++) {
    const message = new Message(`message ${unit}/${m}`);
    message.headers.set('content-type', 'text/plain');
    message.headers.set('x-unit', String(unit));
    const list = world.messages;
    if (list.tail) {
      list.tail.next = message;
      message.prev = list.tail;
    } else {
      list.head = message;
    }
    list.tail = message;
  }

  // Arrays: packed small integers, holey, of objects, of doubles.
  const packed = [unit, unit + 1, unit + 2, unit + 3, unit + 4, unit + 5, unit + 6, unit + 7];
  const holey: unknown[] = new Array(16);
  holey[0] = unit;
  holey[9] = user;
  const objects = [address, order, metric];
  const doubles = [unit + 0.5, unit + 1.5, unit + 2.5, unit + 3.5];
  block.arrays.push(packed, holey, objects, doubles);

  // Strings: short unique, concatenated (cons strings), sliced from the block's text.
  const offset = unit % 1000;
  block.strings.push(`id-${unit}`, `${user.name} <${user.email}> from ${address.city}`, block.text.slice(offset, offset + 40));

  // Off-heap: typed arrays over their own buffers.
  const counters = new Int32Array(8);
  counters[0] = unit;
  block.arrays.push([counters, new Float32Array(new ArrayBuffer(32))]);

  // LRU cache: three inserts and one hit per unit; evicted entries become garbage.
  for (let k = 0; k < 3; k++) block.cache.set(`c:${unit}:${k}`, { order, at: unit, summary: `order ${unit} line ${k}` });
  if (unit > 0) block.cache.get(`c:${unit - 1}:${Math.floor(random() * 3)}`);

  // Listener closure retaining its own state object.
  const state = { unit, received: [] as number[], lastPayload: { size: unit } };
  block.emitter.on('tick', (n: number) => {
    state.received.push(n);
  });

  // Weak edges: a WeakMap value retained only through its live key, WeakRefs to live objects.
  block.meta.set(user, { seen: unit, notes: [`note ${unit}`] });
  block.refs.push(new WeakRef(order), new WeakRef(root));

  // The chain grows with the heap so its depth scales with the snapshot.
  for (let c = 0; c < CHAIN_LINKS_PER_UNIT; c++) world.chain = new ChainLink(world.chain, unit);
}

export function createWorld(): World {
  const world: World = { blocks: [], catalog: [], chain: null, messages: { head: null, tail: null } };
  for (let i = 0; i < CATALOG_BASE; i++) world.catalog.push(new Product(`base-${i}`, `Base product ${i}`, i, ['base']));
  for (let i = 0; i < CHAIN_BASE_LINKS; i++) world.chain = new ChainLink(world.chain, i);
  return world;
}

/** Adds units up to `total`, opening a new block every UNITS_PER_BLOCK units. */
export function growTo(world: World, state: { units: number }, total: number, random: () => number): void {
  while (state.units < total) {
    const unit = state.units;
    if (unit % UNITS_PER_BLOCK === 0) world.blocks.push(createBlock(world.blocks.length));
    addUnit(world, world.blocks[world.blocks.length - 1]!, unit, random);
    state.units++;
    if (state.units % (UNITS_PER_BLOCK * 20) === 0) {
      process.stderr.write(`  ${state.units}/${total} units, heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB\n`);
    }
  }
}
