import { syntaxError } from './snapshot-error';
import { isSpace, type ValueReader } from './value-reader';

/**
 * Skips any JSON value (`trace_function_infos`, `trace_tree`, `samples`, `locations`, unknown
 * keys) in constant memory: depth counting, string aware. Starts at the value's first byte; a
 * scalar ends at the ',' or '}' after it, which is left to the parser.
 */
export function createValueSkipper(): ValueReader {
  let depth = 0;
  let inString = false;
  let escape = false;
  let scalar = false;
  let done = false;

  function feed(buf: Buffer, i: number, len: number, base: number): number {
    for (; i < len; i++) {
      const c = buf[i];
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) {
          inString = false;
          if (depth === 0) return ended(i + 1);
        }
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) {
          // The end of the enclosing object: a scalar value just ended.
          if (!scalar) syntaxError('unexpected closing bracket', base + i);
          return ended(i);
        }
        depth--;
        if (depth === 0) return ended(i + 1);
      } else if (c === 0x2c && depth === 0) {
        if (!scalar) syntaxError('unexpected ","', base + i);
        return ended(i);
      } else if (depth === 0 && !isSpace(c)) {
        scalar = true;
      }
    }
    return len;
  }

  function ended(at: number): number {
    done = true;
    return at;
  }

  return {
    feed,
    get done() {
      return done;
    },
  };
}
