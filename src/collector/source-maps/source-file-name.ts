import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The file a user reads for a map's source. source-map 0.7 already resolves each entry of
 * `sources` against the map's `sourceRoot` and the URL the consumer was given (the map file's),
 * so a tsc map's `../src/audit.ts` arrives as `file:///…/src/audit.ts`. A file under the
 * collector's working directory reads relative to it (`samples/ts-audit/src/audit.ts`, as an
 * editor's terminal link opens it), any other file absolutely, and a URL that is no file
 * (`webpack://app/src/audit.ts`) stays as the map wrote it.
 */
export function sourceFileName(source: string, cwd: string): string {
  let file = source;
  if (source.startsWith('file:')) {
    try {
      file = fileURLToPath(source);
    } catch {
      return source;
    }
  } else if (!path.isAbsolute(source)) {
    return source;
  }
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}
