import fs from 'node:fs';
import path from 'node:path';
import { SourceMapGenerator } from 'source-map';
import { createSeededRandom } from '../../support/seeded-random';

/** A generated bundle's script and map, written for the benchmark. */
export interface BigMap {
  script: string;
  mapFile: string;
  mapBytes: number;
  /** Generated lines, each with `segmentsPerLine` mappings. */
  lines: number;
  segmentsPerLine: number;
}

/**
 * A deterministic bundle-like source map of about `targetBytes`: 200 original TypeScript files,
 * each generated line mapping several segments (a function start, its names, its statements)
 * to a file and line picked by the seeded generator, names included, as esbuild or webpack
 * write for a large app. The script itself is a stub with the `sourceMappingURL` comment: the
 * resolver reads only a script's end.
 */
export function writeBigMap(dir: string, targetBytes: number, seed = 42): BigMap {
  const random = createSeededRandom(seed);
  const generator = new SourceMapGenerator({ file: 'bundle.js' });
  const segmentsPerLine = 12;
  // About 10 bytes of `mappings` and names per segment: measured, then grown until the target.
  let lines = 0;
  let estimate = 0;
  while (estimate < targetBytes) {
    lines++;
    let column = 0;
    for (let s = 0; s < segmentsPerLine; s++) {
      const file = Math.floor(random() * 200);
      generator.addMapping({
        generated: { line: lines, column },
        original: { line: 1 + Math.floor(random() * 3000), column: Math.floor(random() * 80) },
        source: `src/module-${file}/part-${file % 7}.ts`,
        name: s % 3 === 0 ? `fn${Math.floor(random() * 20_000)}` : undefined,
      });
      column += 4 + Math.floor(random() * 30);
    }
    estimate += segmentsPerLine * 10;
  }
  const text = generator.toString();
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(dir, 'bundle.js');
  const mapFile = `${script}.map`;
  fs.writeFileSync(mapFile, text);
  fs.writeFileSync(script, '"use strict";\n/* generated bundle stand-in */\n//# sourceMappingURL=bundle.js.map\n');
  return { script, mapFile, mapBytes: Buffer.byteLength(text), lines, segmentsPerLine };
}
