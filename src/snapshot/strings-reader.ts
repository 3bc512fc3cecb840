import { snapshotError, syntaxError } from './snapshot-error';
import type { StringTableBuilder } from './string-table';
import { isSpace, type ValueReader } from './value-reader';

/** V8's maximum string length is just under 2^29 characters; a string above 512 MiB cannot be real. */
const MAX_STRING_BYTES = 512 * 1024 * 1024;

// States inside the strings array.
const EXPECT_FIRST = 0;
const EXPECT_VALUE = 1;
const IN_STRING = 2;
const AFTER_STRING = 3;

/**
 * Which of the strings to keep, by index: 0 skip, 2 keep, 1 keep only if it is a WeakMap
 * ephemeron edge name (string-table.ts).
 */
export type KeepString = (index: number) => 0 | 1 | 2;

/**
 * Reads the `strings` array (after its '[') into the string table, returns just after its ']'.
 * The bytes of a string are handed to the table as they are (still JSON-escaped; the table
 * decodes on demand), found with indexOf for '"' and '\', so a string costs about a memchr.
 * Escapes are checked here, even across pieces, so the table can decode with JSON.parse.
 */
export function createStringsReader(strings: StringTableBuilder, keep: KeepString): ValueReader {
  let state = EXPECT_FIRST;
  let bytes = 0; // of the current string
  let escape = 0; // 0 none, 1 after backslash, 2..5 hex digits still expected (5 - escape + 1)
  let hasEscape = false;
  let done = false;

  function tooLong(): never {
    throw snapshotError('LW_ERR_SNAPSHOT_STRING', `string ${strings.count} is longer than 512 MiB, more than V8 can write`);
  }

  function feed(buf: Buffer, i: number, len: number, base: number): number {
    let backslash = -2; // cached position of the next '\' at or after the scan position (-1: none)
    while (i < len) {
      if (state === IN_STRING) {
        const start = i;
        // Finish an escape that began in the previous piece (or just now).
        while (escape !== 0 && i < len) {
          const c = buf[i];
          if (escape === 1) {
            if (c === 0x75) escape = 2;
            else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) escape = 0;
            else syntaxError('invalid escape in a string', base + i);
          } else {
            const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
            if (!hex) syntaxError('invalid \\u escape in a string', base + i);
            escape = escape === 5 ? 0 : escape + 1;
          }
          i++;
        }
        if (i >= len) {
          strings.append(buf, start, len, hasEscape);
          bytes += len - start;
          break;
        }
        const quote = buf.indexOf(0x22, i);
        if (backslash !== -1 && backslash < i) backslash = buf.indexOf(0x5c, i);
        const stop = quote === -1 ? len : quote;
        if (backslash !== -1 && backslash < stop) {
          // An escape before the closing quote: keep scanning after it.
          hasEscape = true;
          escape = 1;
          i = backslash + 1;
          strings.append(buf, start, i, true);
          bytes += i - start;
          continue;
        }
        strings.append(buf, start, stop, hasEscape);
        bytes += stop - start;
        if (bytes > MAX_STRING_BYTES) tooLong();
        if (quote === -1) {
          i = len;
          break;
        }
        strings.end();
        state = AFTER_STRING;
        i = quote + 1;
        continue;
      }
      const c = buf[i];
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (state === AFTER_STRING) {
        if (c === 0x2c) state = EXPECT_VALUE;
        else if (c === 0x5d) return close(i);
        else syntaxError(`unexpected ${JSON.stringify(String.fromCharCode(c))} after a string`, base + i);
        i++;
        continue;
      }
      // EXPECT_FIRST or EXPECT_VALUE
      if (c === 0x22) {
        state = IN_STRING;
        bytes = 0;
        hasEscape = false;
        strings.begin(keep(strings.count));
        i++;
        continue;
      }
      if (c === 0x5d && state === EXPECT_FIRST) return close(i);
      syntaxError('expected a string', base + i);
    }
    if (state === IN_STRING && bytes > MAX_STRING_BYTES) tooLong();
    return len;
  }

  function close(i: number): number {
    done = true;
    return i + 1;
  }

  return {
    feed,
    get done() {
      return done;
    },
  };
}
