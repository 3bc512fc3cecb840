/**
 * The loader's hot loop, tokenizing the digits of `nodes` and `edges`, as a tiny WebAssembly
 * function. It is about a quarter of a whole analysis in JavaScript; compiled WebAssembly runs it
 * without bounds checks or deoptimization and is roughly twice as fast here. The module is
 * assembled at load time from the instruction list below, so the source is the readable
 * listing, not an opaque binary. Behaviour is exactly that of tokenizeNumbers in
 * snapshot-parser.ts (the JavaScript fallback), which the tests compare it with.
 *
 * Memory layout (one WebAssembly memory):
 *   0..8    f64  number in progress (carried across chunks)
 *   8..12   i32  mode: 0 expecting a number, 1 in a number, 2 after a number and whitespace
 *   12..16  i32  numbers written by the last call
 *   16..20  i32  error of the last call: 0 none, 1 empty element, 2 missing comma, 3 leading zero
 *   64..    input bytes (one chunk), then the output numbers (f64).
 */

export const WASM_INPUT_OFFSET = 64;

// Opcodes (WebAssembly core spec, binary format).
const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, f64Load: 0x2b, i32Load8u: 0x2d, i32Store: 0x36, f64Store: 0x39,
  i32Const: 0x41, f64Const: 0x44,
  i32Eqz: 0x45, i32Eq: 0x46, i32LtU: 0x49, i32GeU: 0x4f, f64Eq: 0x61,
  i32Add: 0x6a, i32Sub: 0x6b, i32Or: 0x72, i32ShrU: 0x76,
  f64Add: 0xa0, f64Mul: 0xa2, f64ConvertI32U: 0xb8,
} as const;
const I32 = 0x7f;
const F64 = 0x7c;
const VOID = 0x40;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A tiny assembler: structured blocks with named labels, so branch depths are computed, not counted by hand. */
function createAssembler() {
  const code: number[] = [];
  const labels: string[] = [];
  const depth = (label: string): number => {
    const at = labels.lastIndexOf(label);
    if (at < 0) throw new Error(`no label ${label}`);
    return labels.length - 1 - at;
  };
  return {
    code,
    op: (...bytes: number[]) => void code.push(...bytes),
    open: (kind: 'block' | 'loop' | 'if', label: string, type: number = VOID) => {
      code.push(OP[kind], type);
      labels.push(label);
    },
    else: () => void code.push(OP.else),
    end: () => {
      labels.pop();
      code.push(OP.end);
    },
    br: (label: string) => void code.push(OP.br, ...uleb(depth(label))),
    brIf: (label: string) => void code.push(OP.brIf, ...uleb(depth(label))),
    get: (local: number) => void code.push(OP.localGet, ...uleb(local)),
    set: (local: number) => void code.push(OP.localSet, ...uleb(local)),
    tee: (local: number) => void code.push(OP.localTee, ...uleb(local)),
    i32: (value: number) => void code.push(OP.i32Const, ...sleb(value)),
    f64: (value: number) => {
      const bytes = new Uint8Array(new Float64Array([value]).buffer);
      code.push(OP.f64Const, ...bytes);
    },
  };
}

/** tok(p, end, out) -> p: the function body, following tokenizeNumbers line by line. */
function tokenizerBody(): number[] {
  // Parameters 0..2, then locals.
  const P = 0;
  const END = 1;
  const OUT = 2;
  const C = 3;
  const D = 4;
  const MODE = 5;
  const OUT0 = 6;
  const V = 7; // f64
  const a = createAssembler();
  const setError = (code: number) => {
    a.i32(0);
    a.i32(code);
    a.op(OP.i32Store, 2, 16);
  };
  const incrementP = () => {
    a.get(P);
    a.i32(1);
    a.op(OP.i32Add);
    a.set(P);
  };
  // Load the carried state.
  a.i32(0);
  a.op(OP.f64Load, 3, 0);
  a.set(V);
  a.i32(0);
  a.op(OP.i32Load, 2, 8);
  a.set(MODE);
  a.get(OUT);
  a.set(OUT0);
  setError(0);

  a.open('block', 'done');
  a.open('loop', 'next');
  // while (p < end)
  a.get(P);
  a.get(END);
  a.op(OP.i32GeU);
  a.brIf('done');
  a.get(P);
  a.op(OP.i32Load8u, 0, 0);
  a.set(C);

  // ',' ends a number; an empty element is an error.
  a.get(C);
  a.i32(0x2c);
  a.op(OP.i32Eq);
  a.open('if', 'comma');
  a.get(MODE);
  a.op(OP.i32Eqz);
  a.open('if', 'empty');
  setError(1);
  a.br('done');
  a.end();
  a.get(OUT);
  a.get(V);
  a.op(OP.f64Store, 3, 0);
  a.get(OUT);
  a.i32(8);
  a.op(OP.i32Add);
  a.set(OUT);
  a.f64(0);
  a.set(V);
  a.i32(0);
  a.set(MODE);
  incrementP();
  a.br('next');
  a.end();

  // A digit starts (or continues, across a chunk) a number.
  a.get(C);
  a.i32(0x30);
  a.op(OP.i32Sub);
  a.tee(D);
  a.i32(10);
  a.op(OP.i32LtU);
  a.open('if', 'digit');
  // digits after "number<space>": missing comma
  a.get(MODE);
  a.i32(2);
  a.op(OP.i32Eq);
  a.open('if', 'missing');
  setError(2);
  a.br('done');
  a.end();
  // leading zero: mode 0 ? (d == 0 && p + 1 < end && buf[p + 1] is a digit) : v == 0
  a.get(MODE);
  a.op(OP.i32Eqz);
  a.open('if', 'start', I32);
  a.get(D);
  a.op(OP.i32Eqz);
  a.open('if', 'zero', I32);
  a.get(P);
  a.i32(1);
  a.op(OP.i32Add);
  a.get(END);
  a.op(OP.i32LtU);
  a.open('if', 'peek', I32);
  a.get(P);
  a.op(OP.i32Load8u, 0, 1);
  a.i32(0x30);
  a.op(OP.i32Sub);
  a.i32(10);
  a.op(OP.i32LtU);
  a.else();
  a.i32(0);
  a.end();
  a.else();
  a.i32(0);
  a.end();
  a.else();
  a.get(V);
  a.f64(0);
  a.op(OP.f64Eq);
  a.end();
  a.open('if', 'leading');
  setError(3);
  a.br('done');
  a.end();
  // do { v = v * 10 + d } while (++p < end && (d = buf[p] - 48) < 10)
  a.open('loop', 'digits');
  a.get(V);
  a.f64(10);
  a.op(OP.f64Mul);
  a.get(D);
  a.op(OP.f64ConvertI32U);
  a.op(OP.f64Add);
  a.set(V);
  a.get(P);
  a.i32(1);
  a.op(OP.i32Add);
  a.tee(P);
  a.get(END);
  a.op(OP.i32LtU);
  a.open('if', 'more');
  a.get(P);
  a.op(OP.i32Load8u, 0, 0);
  a.i32(0x30);
  a.op(OP.i32Sub);
  a.tee(D);
  a.i32(10);
  a.op(OP.i32LtU);
  a.brIf('digits');
  a.end();
  a.end();
  a.i32(1);
  a.set(MODE);
  a.br('next');
  a.end();

  // Whitespace: after a number, only ',' or ']' may follow.
  a.get(C);
  a.i32(0x0a);
  a.op(OP.i32Eq);
  a.get(C);
  a.i32(0x20);
  a.op(OP.i32Eq);
  a.op(OP.i32Or);
  a.get(C);
  a.i32(0x0d);
  a.op(OP.i32Eq);
  a.op(OP.i32Or);
  a.get(C);
  a.i32(0x09);
  a.op(OP.i32Eq);
  a.op(OP.i32Or);
  a.open('if', 'space');
  a.get(MODE);
  a.i32(1);
  a.op(OP.i32Eq);
  a.open('if', 'ended');
  a.i32(2);
  a.set(MODE);
  a.end();
  incrementP();
  a.br('next');
  a.end();
  // Anything else (']' or an error) is the caller's.
  a.end(); // loop next (falls through to done)
  a.end(); // block done

  // Store the state and the count; return where we stopped.
  a.i32(0);
  a.get(V);
  a.op(OP.f64Store, 3, 0);
  a.i32(0);
  a.get(MODE);
  a.op(OP.i32Store, 2, 8);
  a.i32(0);
  a.get(OUT);
  a.get(OUT0);
  a.op(OP.i32Sub);
  a.i32(3);
  a.op(OP.i32ShrU);
  a.op(OP.i32Store, 2, 12);
  a.get(P);
  a.op(OP.end);
  // Locals: 4 x i32 (c, d, mode, out0), 1 x f64 (v).
  return [2, 4, I32, 1, F64, ...a.code];
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

/** The whole module: one exported memory and one exported function `tok`. */
export function tokenizerModuleBytes(pages: number): Uint8Array {
  const body = tokenizerBody();
  const name = [...Buffer.from('tok')];
  const mem = [...Buffer.from('memory')];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, I32, I32, I32, 1, I32]), // type: (i32, i32, i32) -> i32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, ...uleb(pages)]), // memory: min pages
    ...section(7, [2, name.length, ...name, 0x00, 0, mem.length, ...mem, 0x02, 0]), // exports
    ...section(10, [1, ...uleb(body.length), ...body]), // code
  ]);
}

export interface WasmTokenizer {
  /** Room for the input chunk (bytes), written by the caller before `run`. */
  input: Uint8Array;
  /** Output numbers of the last run. */
  output: Float64Array;
  /** Tokenizes input[0..length); returns the input index where it stopped. */
  run(length: number, carry: Float64Array): number;
}

/** The part of the WebAssembly JS API used here (the project's type libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** Instantiates the tokenizer for chunks of up to `maxChunk` bytes; null where WebAssembly is unavailable. */
export function createWasmTokenizer(maxChunk: number): WasmTokenizer | null {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  const outOffset = WASM_INPUT_OFFSET + Math.ceil(maxChunk / 8) * 8;
  const outCount = (maxChunk >>> 1) + 2;
  const bytes = outOffset + outCount * 8;
  const pages = Math.ceil(bytes / 65536);
  let wasmExports: Record<string, unknown>;
  try {
    wasmExports = new api.Instance(new api.Module(tokenizerModuleBytes(pages))).exports;
  } catch {
    return null;
  }
  const memory = wasmExports.memory as { buffer: ArrayBuffer };
  const tok = wasmExports.tok as (p: number, end: number, out: number) => number;
  const state = new DataView(memory.buffer, 0, WASM_INPUT_OFFSET);
  return {
    input: new Uint8Array(memory.buffer, WASM_INPUT_OFFSET, maxChunk),
    output: new Float64Array(memory.buffer, outOffset, outCount),
    run(length, carry) {
      state.setFloat64(0, carry[0], true);
      state.setInt32(8, carry[2], true);
      const stop = tok(WASM_INPUT_OFFSET, WASM_INPUT_OFFSET + length, outOffset) - WASM_INPUT_OFFSET;
      carry[0] = state.getFloat64(0, true);
      carry[2] = state.getInt32(8, true);
      carry[1] = state.getInt32(12, true);
      carry[3] = state.getInt32(16, true);
      return stop;
    },
  };
}
