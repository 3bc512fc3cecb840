import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { SuspectsBody } from '../src/api/http-contract';
import { createSourceMapResolver, mapSuspectLocations } from '../src/collector/source-maps';
import { createSourceMapUploader, type SourceMapPart } from '../src/probe/source-map-uploader';
import type { SuspectSummary } from '../src/shared/suspect-data';
import { loadSnapshotFile } from '../src/snapshot/load-snapshot';
import { decodeDigest, digestContainers, encodeDigest, suspectsOfFile } from '../src/snapshot/suspects';
import { useSnapshotCollector } from './helpers/collector-snapshots';
import { connectRawProbe } from './helpers/raw-probe';
import { uploadInTurn } from './helpers/suspect-snapshots';
import { auditSnapshots, compileAudit, type CompiledAudit } from './helpers/ts-audit';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * Retainer paths on real heap snapshots of a child running compiled TypeScript: the suspects'
 * closure and module locations are kept structured (full script, V8's position), and mapping
 * them through the script's source map rewrites the paths to the .ts file and line. Then the
 * same through the real collector, with the map uploaded by the probe's uploader over ingest and
 * the collector not reading the disk.
 */
const fx = useSnapshotCollector('source-map-suspects', () => ({ readLocalSourceMaps: false }));
let audit: CompiledAudit;
let files: string[] = [];
let takenAt: number[] = [];
let suspects: SuspectSummary[] = [];

before(async () => {
  audit = await compileAudit(path.join(fx.temp.dir, 'app'), 'sourceMap');
  files = [1, 2, 3, 4].map((i) => path.join(fx.temp.dir, `audit-${i}.heapsnapshot`));
  takenAt = await auditSnapshots(audit.script, files);
  const earlier = files.slice(0, 3).map((file, i) => decodeDigest(encodeDigest(digestContainers(loadSnapshotFile(file, { keepStrings: 'all' }), { takenAt: takenAt[i] }))));
  suspects = suspectsOfFile(files[3], earlier, { takenAt: takenAt[3] }).suspects;
});

const byContainer = (list: readonly SuspectSummary[], ending: string) => {
  const found = list.find((s) => s.paths.container?.endsWith(ending));
  assert.ok(found, `no suspect ending ${ending}: ${list.map((s) => s.paths.container).join(' | ')}`);
  return found;
};

test('the ranking keeps each closure and module location structured: full script, V8 position, the token shown', () => {
  const log = byContainer(suspects, 'auditLog (Map)');
  assert.equal(log.paths.container, 'audit.js (module) › auditLog (Map)');
  const module = log.locations?.find((l) => l.module);
  assert.ok(module, JSON.stringify(log.locations));
  assert.equal(module.token, 'audit.js (module)');
  assert.equal(module.url, audit.script);
  assert.ok(module.line > 0);
  const listeners = byContainer(suspects, 'audit (Array)');
  const onAudit = listeners.locations?.find((l) => l.fn === 'onAudit');
  assert.ok(onAudit, JSON.stringify(listeners.locations));
  assert.equal(onAudit.token, `onAudit() audit.js:${onAudit.line}:${onAudit.col}`);
  assert.ok(listeners.paths.members[0].path.endsWith(`› [*] › ${onAudit.token}`), listeners.paths.members[0].path);
});

test('mapped through the map tsc wrote: the paths name src/audit.ts and its lines; without a map they stay', async () => {
  const resolver = createSourceMapResolver({ cwd: audit.dir });
  const mapped = await mapSuspectLocations(resolver, 'run', suspects);
  resolver.close();
  assert.equal(byContainer(mapped, 'auditLog (Map)').paths.container, 'audit.ts (module) › auditLog (Map)');
  const listeners = byContainer(mapped, 'audit (Array)');
  const onAuditLine = audit.lineOf('function onAudit(');
  assert.match(listeners.paths.members[0].path, new RegExp(`› \\[\\*\\] › onAudit\\(\\) src/audit\\.ts:${onAuditLine}:\\d+$`));
  const onAudit = listeners.locations!.find((l) => l.fn === 'onAudit')!;
  assert.deepEqual({ ...onAudit.source, col: 0 }, { file: 'src/audit.ts', line: onAuditLine, col: 0, mapped: true, note: '' });
  const recorded = byContainer(mapped, 'recorded (Array)');
  assert.match(recorded.paths.container!, new RegExp(`^record\\(\\) src/audit\\.ts:${audit.lineOf('record(entry: AuditEntry): number {')}:\\d+ \\(scope\\) › recorded \\(Array\\)$`));
  // The untouched input, and a resolver that finds no map, leave the generated texts.
  assert.equal(byContainer(suspects, 'auditLog (Map)').paths.container, 'audit.js (module) › auditLog (Map)');
  const none = createSourceMapResolver({ readLocalFiles: false });
  const unmapped = await mapSuspectLocations(none, 'run', suspects);
  assert.deepEqual(unmapped.map((s) => s.paths), suspects.map((s) => s.paths));
  assert.equal(unmapped[0].locations?.[0].source?.note, 'no source map');
  // A suspect stored before locations were kept reads as it was.
  const old = { ...suspects[0], locations: undefined };
  assert.deepEqual(await mapSuspectLocations(none, 'run', [old]), [old]);
});

test('the collector: a map uploaded over ingest rewrites the suspects of snapshots it analyses, without reading the disk', async () => {
  const probe = await connectRawProbe(fx.ingestUrl(), 'maps-run');
  const parts: SourceMapPart[] = [];
  const uploader = createSourceMapUploader({ push: (part) => parts.push(part), queueBytes: () => 0, notice: (line) => assert.fail(line), useNodeSourceMaps: false });
  uploader.offer([audit.script]);
  await uploader.idle();
  assert.equal(parts.length, 1);
  let last = 0;
  for (const part of parts) last = probe.send({ type: 'source-map', ...part });
  await probe.waitForAck(last);
  const stored = fs.readdirSync(path.join(fx.temp.dir, 'source-maps')).filter((f) => f.endsWith('.map'));
  assert.deepEqual(stored, [`${parts[0].sha256}.map`]);

  const start = Date.now() - 41 * 60_000;
  await uploadInTurn(fx.collector.url, fx, probe, files, [0, 1, 2, 3].map((i) => start + i * 10 * 60_000));
  const boots = await waitFor('suspects', async () => {
    const res = await getJson<SuspectsBody>(fx.api('maps-run/suspects'));
    return res.status === 200 && res.body.boots[0]?.snapshotId === 's4' ? res.body.boots : undefined;
  }, 60_000, 100);
  const served = boots[0].suspects;
  assert.equal(byContainer(served, 'auditLog (Map)').paths.container, 'audit.ts (module) › auditLog (Map)');
  // The collector's working directory is not the app's: the file is absolute there.
  const members = byContainer(served, 'audit (Array)').paths.members[0].path;
  assert.ok(members.endsWith(`onAudit() ${audit.source}:${audit.lineOf('function onAudit(')}:${members.split(':').pop()}`), members);
  await probe.close();
});
