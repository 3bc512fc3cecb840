import fs from 'node:fs';
import { getSnapshotPrototype, leakwatchTypeName, loadToolkit } from './devtools-reference';

/**
 * Chrome DevTools' own Comparison view (HeapSnapshot.ts: aggregatesForDiff on the base snapshot,
 * calculateSnapshotDiff on the other, as heap-snapshot-toolkit's diffFromStreams runs them) on two
 * snapshot files, its rows merged by leakwatch's type names. As in devtools-reference.ts, the
 * renaming of plain objects after their properties (`inferInterfaceDefinitions`) is switched off,
 * because leakwatch does not do it.
 */
export interface DevToolsComparisonRow {
  newCount: number;
  deletedCount: number;
  newSize: number;
  deletedSize: number;
}

interface ToolkitDiff {
  name: string;
  addedCount: number;
  removedCount: number;
  addedSize: number;
  removedSize: number;
}

export async function compareWithDevTools(fileA: string, fileB: string): Promise<Map<string, DevToolsComparisonRow>> {
  const toolkit = (await loadToolkit()) as unknown as { diffFromStreams(a: fs.ReadStream, b: fs.ReadStream): AsyncGenerator<{ type: string; result: unknown }> };
  const proto = await getSnapshotPrototype(await loadToolkit());
  const { inferInterfaceDefinitions } = proto;
  proto.inferInterfaceDefinitions = () => [];
  let diff: Record<string, ToolkitDiff> = {};
  try {
    for await (const step of toolkit.diffFromStreams(fs.createReadStream(fileA, 'utf8'), fs.createReadStream(fileB, 'utf8'))) {
      if (step.type === 'diff') diff = step.result as Record<string, ToolkitDiff>;
    }
  } finally {
    proto.inferInterfaceDefinitions = inferInterfaceDefinitions;
  }
  const out = new Map<string, DevToolsComparisonRow>();
  for (const row of Object.values(diff)) {
    const key = leakwatchTypeName(row.name);
    const merged = out.get(key) ?? { newCount: 0, deletedCount: 0, newSize: 0, deletedSize: 0 };
    merged.newCount += row.addedCount;
    merged.deletedCount += row.removedCount;
    merged.newSize += row.addedSize;
    merged.deletedSize += row.removedSize;
    out.set(key, merged);
  }
  return out;
}
