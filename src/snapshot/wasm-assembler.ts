/**
 * A tiny WebAssembly assembler, just enough for the number tokenizer (wasm-number-tokenizer.ts):
 * opcodes of the WebAssembly core spec's binary format, LEB128 integers, and structured blocks
 * with named labels, so branch depths are computed, not counted by hand.
 */

// Opcodes (WebAssembly core spec, binary format).
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, f64Load: 0x2b, i32Load8u: 0x2d, i32Store: 0x36, f64Store: 0x39,
  i32Const: 0x41, f64Const: 0x44,
  i32Eqz: 0x45, i32Eq: 0x46, i32LtU: 0x49, i32GeU: 0x4f, f64Eq: 0x61,
  i32Add: 0x6a, i32Sub: 0x6b, i32Or: 0x72, i32ShrU: 0x76,
  f64Add: 0xa0, f64Mul: 0xa2, f64ConvertI32U: 0xb8,
} as const;
export const I32 = 0x7f;
export const F64 = 0x7c;
export const VOID = 0x40;

export function uleb(value: number): number[] {
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
export function createAssembler() {
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

/** One module section: id, byte length, contents. */
export function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}
