import {
  AFTER_NUMBER,
  EMPTY_ELEMENT,
  EXPECT_NUMBER,
  IN_NUMBER,
  LEADING_ZERO,
  MISSING_COMMA,
  type NumberTokenizer,
  type TokenizerError,
  type TokenizerMode,
} from './number-tokenizer';

/** The JavaScript tokenizer reads a whole read of the loader (256 KiB) per call. */
const JS_WINDOW_BYTES = 256 * 1024;

// Slots of the state carried across calls (one small typed array: no object per call).
const PENDING = 0;
const COUNT = 1;
const MODE = 2;
const ERROR = 3;

/**
 * The JavaScript number tokenizer: the fallback where WebAssembly is unavailable, and the
 * reference the WebAssembly listing follows line by line.
 */
export function createJsNumberTokenizer(windowBytes: number = JS_WINDOW_BYTES): NumberTokenizer {
  const carry = new Float64Array(4);
  // Allocated on first use: a snapshot parsed without number arrays (an error early on) needs none.
  let out = new Float64Array(0);
  return {
    windowBytes,
    get values() {
      return out;
    },
    get count() {
      return carry[COUNT];
    },
    get error() {
      return carry[ERROR] as TokenizerError;
    },
    get mode() {
      return carry[MODE] as TokenizerMode;
    },
    get pending() {
      return carry[PENDING];
    },
    tokenize(buf, start, end) {
      // At most one number per two bytes ("0,"), plus the one the caller may append at ']'.
      if (out.length === 0) out = new Float64Array((windowBytes >>> 1) + 2);
      return tokenizeNumbers(buf, start, Math.min(end, start + windowBytes), out, carry);
    },
    reset() {
      carry[PENDING] = 0;
      carry[MODE] = EXPECT_NUMBER;
    },
  };
}

/**
 * Tokenizes non-negative integers separated by ',' (and whitespace) into `out`, from `i` until a
 * byte that is none of those (']' or an error) or `end`. Digits are consumed by an inner loop, so
 * the per-byte work on the common path is a load, a compare and a multiply-add. A top-level
 * function over its arguments, free of closures, so V8 optimizes it once and keeps it optimized.
 */
function tokenizeNumbers(buf: Uint8Array, i: number, end: number, out: Float64Array, carry: Float64Array): number {
  let v = carry[PENDING];
  let mode = carry[MODE];
  let k = 0;
  carry[ERROR] = 0;
  while (i < end) {
    const c = buf[i];
    if (c === 0x2c) {
      if (mode === EXPECT_NUMBER) {
        carry[ERROR] = EMPTY_ELEMENT;
        break;
      }
      out[k++] = v;
      v = 0;
      mode = EXPECT_NUMBER;
      i++;
      continue;
    }
    let d = c - 0x30;
    if (d >= 0 && d <= 9) {
      if (mode === AFTER_NUMBER) {
        carry[ERROR] = MISSING_COMMA;
        break;
      }
      // JSON forbids leading zeros ("07"); a number continued from the previous call counts too.
      const leadingZero = mode === EXPECT_NUMBER ? d === 0 && i + 1 < end && buf[i + 1] >= 0x30 && buf[i + 1] <= 0x39 : v === 0;
      if (leadingZero) {
        carry[ERROR] = LEADING_ZERO;
        break;
      }
      do {
        v = v * 10 + d;
        if (++i === end) break;
        d = buf[i] - 0x30;
      } while (d >= 0 && d <= 9);
      mode = IN_NUMBER;
      continue;
    }
    if (c === 0x0a || c === 0x20 || c === 0x0d || c === 0x09) {
      if (mode === IN_NUMBER) mode = AFTER_NUMBER;
      i++;
      continue;
    }
    break;
  }
  carry[PENDING] = v;
  carry[COUNT] = k;
  carry[MODE] = mode;
  return i;
}
