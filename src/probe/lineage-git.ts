import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { upward } from './lineage-package';

export interface GitHead {
  commit: string;
  /** The branch HEAD names ('' when detached). */
  branch: string;
}

const OBJECT_NAME = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
/** HEAD, refs and `.git` files are tiny; packed-refs of a big repository is not, so it is capped. */
const MAX_PACKED_REFS_BYTES = 16 * 1024 * 1024;

async function readSmall(file: string, max = 64 * 1024): Promise<string | null> {
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size > max) return null;
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The git directory of the checkout at or above `start`: a `.git` directory, or a `.git` file
 * (`gitdir: …`, as worktrees and submodules have). Also the common directory where the shared
 * refs live (a worktree's `commondir`).
 */
async function findGitDir(start: string): Promise<{ gitDir: string; commonDir: string } | null> {
  for (const dir of upward(start)) {
    const dotGit = path.join(dir, '.git');
    let info;
    try {
      info = await stat(dotGit);
    } catch {
      continue;
    }
    let gitDir = dotGit;
    if (info.isFile()) {
      const text = await readSmall(dotGit);
      const match = text?.match(/^gitdir:\s*(.+?)\s*$/m);
      if (!match) return null;
      gitDir = path.resolve(dir, match[1]);
    }
    const common = (await readSmall(path.join(gitDir, 'commondir')))?.trim();
    return { gitDir, commonDir: common ? path.resolve(gitDir, common) : gitDir };
  }
  return null;
}

async function resolveRef(ref: string, gitDir: string, commonDir: string): Promise<string> {
  // A worktree keeps its own HEAD-like refs; branches live in the common directory.
  for (const dir of gitDir === commonDir ? [gitDir] : [gitDir, commonDir]) {
    const loose = (await readSmall(path.join(dir, ref)))?.trim();
    if (loose && OBJECT_NAME.test(loose)) return loose;
  }
  const packed = await readSmall(path.join(commonDir, 'packed-refs'), MAX_PACKED_REFS_BYTES);
  for (const line of packed?.split('\n') ?? []) {
    const [name, refName] = line.trim().split(' ');
    if (refName === ref && name && OBJECT_NAME.test(name)) return name;
  }
  return '';
}

/**
 * The commit checked out at or above `start`, read from the files git keeps (HEAD, loose refs,
 * packed-refs), without running git: the app's machine may not have it, and a subprocess is
 * more than a probe should start. Null when there is no checkout.
 */
export async function readGitHead(start: string): Promise<GitHead | null> {
  const found = await findGitDir(start);
  if (!found) return null;
  const head = (await readSmall(path.join(found.gitDir, 'HEAD')))?.trim() ?? '';
  if (OBJECT_NAME.test(head)) return { commit: head, branch: '' };
  const match = head.match(/^ref:\s*(refs\/\S+)$/);
  if (!match || match[1].split('/').includes('..')) return { commit: '', branch: '' };
  const ref = match[1];
  return { commit: await resolveRef(ref, found.gitDir, found.commonDir), branch: ref.replace(/^refs\/heads\//, '') };
}
