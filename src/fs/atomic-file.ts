import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Creates or replaces `file` so that readers see either the old file or the whole new one, never
 * a part: `write` fills a temporary file beside it (same folder, so the rename cannot cross file
 * systems), which is renamed into place only when `write` resolves; if it throws, the temporary
 * file is removed and `file` is untouched. The name carries the pid and random bytes, so
 * concurrent writers (workers sharing a data folder) never write into each other's file.
 */
export async function replaceAtomically<T>(file: string, write: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const result = await write(tmp);
    await rename(tmp, file);
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await replaceAtomically(file, (tmp) => writeFile(tmp, data));
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

/** Reads a JSON file, or undefined when it does not exist (an unfinished cell). */
export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
