import { F64, I32, OP, createAssembler, section, uleb } from './wasm-assembler';
import type { NumberTokenizer, TokenizerError, TokenizerMode } from './number-tokenizer';

/**
 * The number tokenizer (number-tokenizer.ts) as a tiny WebAssembly function. Tokenizing is about
 * a quarter of a whole analysis in JavaScript; compiled WebAssembly runs it without bounds checks
 * or deoptimization and is roughly twice as fast here. The module is assembled at load time from
 * the instruction list below (wasm-assembler.ts), so the source is the readable listing, not an
 * opaque binary. Behaviour is exactly that of the JavaScript tokenizer (js-number-tokenizer.ts),
 * which the tests compare it with.
 *
 * Memory layout (one WebAssembly memory):
 *   0..8    f64  number in progress (carried across calls)
 *   8..12   i32  mode: 0 expecting a number, 1 in a number, 2 after a number and whitespace
 *   12..16  i32  numbers written by the last call
 *   16..20  i32  error of the last call: 0 none, 1 empty element, 2 missing comma, 3 leading zero
 *   64..    input bytes (one window, copied in), then the output numbers (f64).
 */

export const WASM_INPUT_OFFSET = 64;

/** Input window: small, since its output area (8 bytes per possible number) is in memory for good. */
const WASM_WINDOW_BYTES = 64 * 1024;

/** tok(p, end, out) -> p: the function body, following js-number-tokenizer.ts's tokenizeNumbers line by line. */
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

/** The part of the WebAssembly JS API used here (the project's type libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** Instantiates the tokenizer for windows of `windowBytes`; null where WebAssembly is unavailable. */
export function createWasmNumberTokenizer(windowBytes: number = WASM_WINDOW_BYTES): NumberTokenizer | null {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  const outOffset = WASM_INPUT_OFFSET + Math.ceil(windowBytes / 8) * 8;
  const outCount = (windowBytes >>> 1) + 2;
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
  const input = new Uint8Array(memory.buffer, WASM_INPUT_OFFSET, windowBytes);
  return {
    windowBytes,
    values: new Float64Array(memory.buffer, outOffset, outCount),
    get count() {
      return state.getInt32(12, true);
    },
    get error() {
      return state.getInt32(16, true) as TokenizerError;
    },
    get mode() {
      return state.getInt32(8, true) as TokenizerMode;
    },
    get pending() {
      return state.getFloat64(0, true);
    },
    tokenize(buf, start, end) {
      const length = Math.min(end, start + windowBytes) - start;
      input.set(buf.subarray(start, start + length));
      return start + tok(WASM_INPUT_OFFSET, WASM_INPUT_OFFSET + length, outOffset) - WASM_INPUT_OFFSET;
    },
    reset() {
      state.setFloat64(0, 0, true);
      state.setInt32(8, 0, true);
    },
  };
}
