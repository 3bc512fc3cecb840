#!/usr/bin/env node
'use strict';
// Builds everything `npm test` and `npx leakwatch` need:
//  1. tsc: src/, test/, bench/, support/ -> dist/ (CommonJS, so the probe works with both -r and --import)
//  2. esbuild: the browser UI (ui/src/main.ts + chart.js) -> dist/ui/app.js, the stylesheet parts
//     (ui/styles/index.css and its @imports, in order) -> dist/ui/style.css, plus index.html
//  3. esbuild: the self-contained probe (ws bundled in) -> dist/leakwatch-probe.cjs, for production
//     images that attach with `node -r ./leakwatch-probe.cjs` without installing the collector.
//  4. the probe-only package, packages/probe (leakwatch-probe), from the same probe sources
//     (scripts/build-probe-package.js).
//  5. tsc: each TypeScript sample app (samples/<name>/tsconfig.json) -> samples/<name>/dist/, with
//     the source maps its tsconfig asks for (samples/README.md).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');
const { buildProbePackage } = require('./build-probe-package');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

function tsc() {
  // TypeScript 7 exports no subpath for its bin; its launcher is a plain node script.
  const bin = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [bin, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  execFileSync(process.execPath, [bin, '-p', path.join(root, 'ui', 'tsconfig.json')], { stdio: 'inherit' });
  tscSamples(bin);
}

/**
 * The TypeScript samples build as a user's app does, in their own folder: src/*.ts -> dist/*.js
 * beside it, so a map's `sources` (`../src/<file>.ts`) resolve to the sources in the repository
 * and the compiled files reach the shared harness (samples/self-driving-server.js) by the same
 * relative path as their sources. Each dist/ is emptied first: a renamed source must not leave
 * its old output behind for a test to run.
 */
function tscSamples(bin) {
  const samples = path.join(root, 'samples');
  for (const entry of fs.readdirSync(samples, { withFileTypes: true })) {
    const project = path.join(samples, entry.name, 'tsconfig.json');
    if (!entry.isDirectory() || !fs.existsSync(project)) continue;
    fs.rmSync(path.join(samples, entry.name, 'dist'), { recursive: true, force: true });
    execFileSync(process.execPath, [bin, '-p', project], { stdio: 'inherit' });
  }
}

async function buildUi() {
  const out = path.join(dist, 'ui');
  fs.mkdirSync(out, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(root, 'ui', 'src', 'main.ts')],
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'iife',
    target: ['es2022'],
    outfile: path.join(out, 'app.js'),
    logLevel: 'warning',
  });
  // Not minified: the page gets the rules as written, in the parts' order.
  await esbuild.build({
    entryPoints: [path.join(root, 'ui', 'styles', 'index.css')],
    bundle: true,
    outfile: path.join(out, 'style.css'),
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(root, 'ui', 'index.html'), path.join(out, 'index.html'));
  fs.copyFileSync(path.join(root, 'ui', 'sign-in.html'), path.join(out, 'sign-in.html'));
}

async function buildProbeBundle() {
  await esbuild.build({
    entryPoints: [path.join(root, 'src', 'probe', 'register.ts')],
    bundle: true,
    platform: 'node',
    target: ['node20'],
    format: 'cjs',
    // ws loads these optional native speed-ups inside try/catch; the bundle does without them.
    external: ['bufferutil', 'utf-8-validate'],
    outfile: path.join(dist, 'leakwatch-probe.cjs'),
    logLevel: 'warning',
  });
}

(async () => {
  tsc();
  await Promise.all([buildUi(), buildProbeBundle(), buildProbePackage()]);
})().catch((err) => {
  console.error(`build failed: ${err.message}`);
  process.exit(1);
});
