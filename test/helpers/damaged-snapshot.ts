import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { makeTempDir } from './temp-dir';
import { createTinySnapshot, serializeV8Layout, type TinySnapshotObject } from './tiny-snapshot';

/**
 * The small snapshot that the malformed-input tests damage, in V8's layout: every edge type, and
 * strings with escapes of every kind.
 */
export function baseObject(): TinySnapshotObject {
  const s = createTinySnapshot();
  const gc = s.node('synthetic', '(GC roots)', 0);
  const app = s.node('object', 'App', 40);
  s.edge(s.root, gc, 'element', 1);
  s.edge(gc, app, 'element', 0);
  const names = ['quote " backslash \\ slash /', 'caf\u00e9 \u2603 snowman', 'emoji \u{1F600} pair', 'control \u0001\t\n\r\b\f', 'plain'];
  let previous = app;
  for (let i = 0; i < 12; i++) {
    const session = s.node('object', `Session ${names[i % names.length]}`, 56 + i);
    const label = s.node('string', names[(i + 1) % names.length], 24 + i);
    const fn = s.node('closure', `handler${i}`, 32);
    const ctx = s.node('hidden', 'system / Context', 48);
    const elements = s.node('array', '(object elements)', 16 + 8 * i);
    s.edge(app, session, 'element', i);
    s.edge(session, label, 'property', names[i % names.length]);
    s.edge(session, fn, 'property', 'onEvent');
    s.edge(fn, ctx, 'internal', 'context');
    s.edge(ctx, session, 'context', 'self');
    s.edge(session, elements, 'internal', 'elements');
    s.edge(elements, label, 'element', 0);
    s.edge(elements, fn, 'hidden', 1);
    s.edge(previous, session, 'weak', 'next');
    s.edge(session, app, 'shortcut', 'app');
    previous = session;
  }
  return s.toObject();
}

export function baseText(options: { rawUtf8?: boolean } = {}): string {
  return serializeV8Layout(baseObject(), options);
}

/** Mutates a copy of the base snapshot and serialises it in V8's layout. */
export function damaged(mutate: (s: TinySnapshotObject) => void): string {
  const s = baseObject();
  mutate(s);
  return serializeV8Layout(s);
}

/**
 * A temporary directory for one test file's damaged snapshots, removed after its tests:
 * `write` stores a case as a numbered file, `next` names one for a writer of its own.
 */
export function useCaseFiles(prefix: string) {
  const tmp = makeTempDir(prefix);
  after(() => tmp.remove());
  let seq = 0;
  const next = (kind = 'case'): string => path.join(tmp.dir, `${kind}-${++seq}.heapsnapshot`);
  return {
    dir: tmp.dir,
    next,
    write(content: string | Buffer): string {
      const file = next();
      fs.writeFileSync(file, content);
      return file;
    },
  };
}
