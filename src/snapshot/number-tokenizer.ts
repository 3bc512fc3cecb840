/**
 * The loader's hot loop: tokenizing the digits of `nodes` and `edges`. Two implementations do
 * exactly the same thing behind this interface: the WebAssembly one (wasm-number-tokenizer.ts,
 * the default, roughly twice as fast) and the JavaScript one (js-number-tokenizer.ts, the
 * fallback where WebAssembly is unavailable). The tests run both over the same input cut at
 * every byte, so they cannot drift apart.
 *
 * A tokenizer reads non-negative integers separated by ',' (and JSON whitespace) and stops at the
 * first byte that is none of those (the array's ']' or an error), or at the end of its window. The
 * input may be cut anywhere: a number in progress is carried to the next call.
 */
export interface NumberTokenizer {
  /** Most bytes one call reads; the caller feeds longer input window by window. */
  readonly windowBytes: number;
  /** Numbers completed by the last call: values[0 .. count). Overwritten by the next call. */
  readonly values: Float64Array;
  readonly count: number;
  /** Why the last call stopped early (at the index it returned); TOKEN_OK if it did not. */
  readonly error: TokenizerError;
  /** Where the array stands after the last call: expecting a number, in one, or after one. */
  readonly mode: TokenizerMode;
  /** The number in progress (its digits so far) when mode is not EXPECT_NUMBER. */
  readonly pending: number;
  /**
   * Tokenizes buf[start .. min(end, start + windowBytes)); returns the index where it stopped:
   * the window's end, or a byte that is not part of a number list.
   */
  tokenize(buf: Uint8Array, start: number, end: number): number;
  /** Starts a new array: no number in progress. */
  reset(): void;
}

/** After '[' or ','. */
export const EXPECT_NUMBER = 0;
export const IN_NUMBER = 1;
/** Whitespace after a number: only ',' or ']' may follow. */
export const AFTER_NUMBER = 2;
export type TokenizerMode = typeof EXPECT_NUMBER | typeof IN_NUMBER | typeof AFTER_NUMBER;

export const TOKEN_OK = 0;
/** "1,,2" */
export const EMPTY_ELEMENT = 1;
/** "1 2" */
export const MISSING_COMMA = 2;
/** "07": JSON forbids leading zeros. */
export const LEADING_ZERO = 3;
export type TokenizerError = typeof TOKEN_OK | typeof EMPTY_ELEMENT | typeof MISSING_COMMA | typeof LEADING_ZERO;

/** The parser's message for each error (LW_ERR_SNAPSHOT_SYNTAX). */
export const TOKENIZER_ERROR_MESSAGES: Readonly<Record<Exclude<TokenizerError, typeof TOKEN_OK>, string>> = {
  [EMPTY_ELEMENT]: 'empty array element',
  [MISSING_COMMA]: 'missing "," between numbers',
  [LEADING_ZERO]: 'a number with a leading zero',
};
