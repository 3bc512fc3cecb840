import { EXPECT_NUMBER, TOKEN_OK, TOKENIZER_ERROR_MESSAGES, type NumberTokenizer } from './number-tokenizer';
import { syntaxError } from './snapshot-error';
import type { ValueReader } from './value-reader';

/** Where the numbers of an array go: node-fields.ts and edge-fields.ts. */
export interface NumberSink {
  /** Takes values[0 .. count), the next numbers of the array; `at` is a nearby file offset. */
  store(values: Float64Array, count: number, at: number): void;
  /** The array closed at file offset `at`: checks that it held what the header declared. */
  end(at: number): void;
}

/**
 * Reads a number array (`nodes` or `edges`, after its '['), returns just after its ']'. The
 * tokenizer only tokenizes, window by window; the sink distributes the numbers; this reader
 * handles the one byte that ends tokenizing (']' or an error). V8 writes only non-negative
 * integers here, one node per line ("...,0\n,9,..."). Two cases are not told apart from valid
 * input by the tokenizer, to keep it tight: an empty element ("1,,2" reads as 1,0,2) and digits
 * split by whitespace ("1 2" reads as 12). Both change how many numbers there are, so the sink's
 * count check rejects them (COUNTS).
 */
export function createNumberArrayReader(tokenizer: NumberTokenizer, sink: NumberSink): ValueReader {
  tokenizer.reset();
  let first = true; // no number yet after '['
  let done = false;
  return {
    get done() {
      return done;
    },
    feed(buf, i, end, base) {
      for (;;) {
        const windowEnd = Math.min(end, i + tokenizer.windowBytes);
        const stop = tokenizer.tokenize(buf, i, windowEnd);
        const values = tokenizer.values;
        let k = tokenizer.count;
        const error = tokenizer.error;
        if (error !== TOKEN_OK) syntaxError(TOKENIZER_ERROR_MESSAGES[error], base + stop);
        let closed = false;
        if (stop < windowEnd) {
          const c = buf[stop];
          if (c !== 0x5d) syntaxError(`unexpected ${JSON.stringify(String.fromCharCode(c))} in a number array`, base + stop);
          // The values array has room for the one number that ']' ends.
          if (tokenizer.mode !== EXPECT_NUMBER) values[k++] = tokenizer.pending;
          else if (!(first && k === 0)) syntaxError('trailing "," in array', base + stop);
          closed = true;
        }
        if (k > 0) first = false;
        sink.store(values, k, base + stop);
        if (closed) {
          tokenizer.reset();
          sink.end(base + stop);
          done = true;
          return stop + 1;
        }
        if (windowEnd >= end) return end;
        i = windowEnd;
      }
    },
  };
}
