import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where a script's source map is, read from the script's text as the Source Map specification
 * (ECMA-426, "Linking generated code to source maps") and Node's own `--enable-source-maps`
 * lookup (lib/internal/source_map/source_map_cache.js) read it: the *last* line comment
 * `//# sourceMappingURL=<url>` (or the older `//@`), whose url is a `data:` URL holding the map
 * inline or a URL relative to the script. Pure: the probe and the collector share it.
 */

/** The script's file path for a location's url (an absolute path or a file:// URL), else null. */
export function scriptPathOf(url: string): string | null {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch {
      return null;
    }
  }
  // node:internal…, evalmachine.<anonymous>, http://…, a bare name: nothing on disk to read.
  return path.isAbsolute(url) ? url : null;
}

/**
 * The url of the last `sourceMappingURL` line comment of `text`, or null. Only a comment on a
 * line of its own counts: a bundle that carries the source-map library has the same words in
 * string literals, and V8/Node take the trailing comment too.
 */
export function lastSourceMappingUrl(text: string): string | null {
  const comment = /^[ \t]*\/\/[#@][ \t]*sourceMappingURL[ \t]*=[ \t]*(\S+)[ \t]*\r?$/gm;
  let found: string | null = null;
  for (const match of text.matchAll(comment)) found = match[1];
  return found;
}

/** How far before the end of a script its comment is looked for first (the usual last line). */
export const COMMENT_TAIL_BYTES = 64 * 1024;

/**
 * The map text of a `data:` URL (RFC 2397): `data:application/json;base64,…`, also with a
 * charset parameter (`;charset=utf-8;base64`, and the `charset:utf-8` some bundlers wrote), or
 * without `;base64` (percent-encoded JSON). Null when `url` is not a data URL; throws with the
 * reason when it is one that holds no JSON map.
 */
export function dataUrlText(url: string): string | null {
  if (!/^data:/i.test(url)) return null;
  const comma = url.indexOf(',');
  if (comma < 0) throw new Error('data URL without a comma');
  const params = url.slice(5, comma).split(';').map((p) => p.trim().toLowerCase());
  const mediaType = params[0];
  if (mediaType !== '' && mediaType !== 'application/json' && mediaType !== 'text/json' && !mediaType.endsWith('+json')) {
    throw new Error(`data URL of type ${mediaType}, not application/json`);
  }
  const body = url.slice(comma + 1);
  if (params.includes('base64')) return Buffer.from(body, 'base64').toString('utf8');
  try {
    return decodeURIComponent(body);
  } catch {
    throw new Error('data URL with a malformed percent-encoding');
  }
}

/**
 * The file a non-data `sourceMappingURL` names, resolved against the script as a URL relative
 * to it (a file:// URL, an absolute path, or a relative one, percent-encoded or not); null for
 * a URL that is not a file (http://…: the collector does not fetch).
 */
export function mapFileOf(scriptPath: string, reference: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(reference) && !/^file:/i.test(reference)) return null;
  if (/^file:/i.test(reference)) return scriptPathOf(reference);
  let decoded = reference;
  try {
    decoded = decodeURIComponent(reference);
  } catch {
    // Not percent-encoded after all: a file name with a bare '%'.
  }
  const clean = decoded.replace(/[?#].*$/, '');
  return path.resolve(path.dirname(scriptPath), clean);
}

/**
 * A map's text without the XSSI guard some servers prepend (`)]}'` on its own first line, which
 * the specification tells consumers to strip).
 */
export function stripXssiPrefix(text: string): string {
  return text.startsWith(")]}'") ? text.slice(text.indexOf('\n') + 1) : text;
}
