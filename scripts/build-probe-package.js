#!/usr/bin/env node
'use strict';
// Builds the probe-only package, packages/probe (published as `leakwatch-probe`), from the
// probe's own sources in src/probe, src/protocol and src/shared: the sources stay where the rest
// of the project builds and tests them, and the package is their build output, never a copy.
//
//   dist/probe.cjs      the probe: every module startProbe() and the register entry use, bundled
//                       once (ws left external: it is the package's one dependency)
//   dist/index.cjs      the public API (startProbe, stopProbe, createProbe), read from probe.cjs
//   dist/index.mjs      the same for `import`: a wrapper over index.cjs, not a second build, so an
//                       app that mixes import and require still has one probe (no dual-package copy)
//   dist/register.cjs   the attach entry for `-r` / NODE_OPTIONS; its imports point at probe.cjs,
//                       so a preloaded probe and a later startProbe() are the same one, and a
//                       LeakwatchError thrown inside is the class the entry checks for
//   dist/register.mjs   the attach entry for `--import`, loading register.cjs
//   dist/index.d.cts, dist/index.d.mts, dist/types/   the declarations tsc emits for the API
//
// Run by `npm run build` (scripts/build.js) and by the package's `prepack`, so `npm pack` of it
// works from a clean clone after `npm ci`.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const pkgDir = path.join(root, 'packages', 'probe');
const out = path.join(pkgDir, 'dist');
const indexTs = path.join(root, 'src', 'probe', 'index.ts');
const registerTs = path.join(root, 'src', 'probe', 'register.ts');

const common = {
  bundle: true,
  platform: 'node',
  target: ['node20'],
  external: ['ws'],
  absWorkingDir: root,
  logLevel: 'warning',
  // Not minified: a user reading a stack trace through the probe should see its function names.
  legalComments: 'none',
};

function declarations() {
  const bin = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [bin, '-p', path.join(pkgDir, 'tsconfig.json')], { stdio: 'inherit' });
  fs.writeFileSync(path.join(out, 'index.d.cts'), "export * from './types/probe/index.js';\n");
  fs.writeFileSync(path.join(out, 'index.d.mts'), "export * from './index.cjs';\n");
}

/** The value names src/probe/index.ts exports: the package's public API, as the source says today. */
async function publicNames() {
  const result = await esbuild.build({ ...common, entryPoints: [indexTs], format: 'esm', write: false, metafile: true, outdir: out });
  const [output] = Object.values(result.metafile.outputs);
  return output.exports.filter((name) => name !== 'default').sort();
}

/** The files register.ts imports directly (resolved by esbuild, so new imports are followed). */
async function registerImports() {
  const result = await esbuild.build({ ...common, entryPoints: [registerTs], format: 'cjs', write: false, metafile: true, outdir: out });
  const key = path.relative(root, registerTs).split(path.sep).join('/');
  const imports = result.metafile.inputs[key].imports.filter((i) => !i.external).map((i) => i.path);
  return [...new Set(imports)];
}

async function buildCore(modules) {
  const contents = modules.map((file) => `export * from ${JSON.stringify(`./${file}`)};`).join('\n');
  await esbuild.build({
    ...common,
    stdin: { contents, resolveDir: root, sourcefile: 'probe-core.ts', loader: 'ts' },
    format: 'cjs',
    outfile: path.join(out, 'probe.cjs'),
  });
}

async function buildRegister() {
  // register.ts's own imports become require('./probe.cjs'): the modules they name are all in it.
  const toCore = {
    name: 'register-imports-to-core',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => (args.importer === registerTs ? { path: './probe.cjs', external: true } : undefined));
    },
  };
  await esbuild.build({ ...common, entryPoints: [registerTs], format: 'cjs', plugins: [toCore], outfile: path.join(out, 'register.cjs') });
}

function writeEntries(names) {
  const cjs = [
    "'use strict';",
    '// The public API; the code is in probe.cjs, shared with the register entry (one probe per process).',
    "const probe = require('./probe.cjs');",
    ...names.map((name) => `exports.${name} = probe.${name};`),
    '',
  ];
  fs.writeFileSync(path.join(out, 'index.cjs'), cjs.join('\n'));
  const mjs = [
    '// ESM face of index.cjs: one module instance whether the app imports or requires the probe.',
    "import index from './index.cjs';",
    ...names.map((name) => `export const ${name} = index.${name};`),
    '',
  ];
  fs.writeFileSync(path.join(out, 'index.mjs'), mjs.join('\n'));
  fs.writeFileSync(path.join(out, 'register.mjs'), "// `node --import leakwatch-probe/register`: the same entry as -r, in the same module cache.\nimport './register.cjs';\n");
}

async function buildProbePackage() {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  declarations();
  const [names, imports] = await Promise.all([publicNames(), registerImports()]);
  const coreModules = [...new Set([path.relative(root, indexTs).split(path.sep).join('/'), ...imports])];
  await buildCore(coreModules);
  await buildRegister();
  writeEntries(names);
}

module.exports = { buildProbePackage };

if (require.main === module) {
  buildProbePackage().catch((err) => {
    console.error(`probe package build failed: ${err.message}`);
    process.exit(1);
  });
}
