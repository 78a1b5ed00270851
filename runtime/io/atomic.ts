// Atomic file replacement: write a sibling temp file, fsync it, rename it over the target,
// then fsync the directory. A reader (or a resumed run after SIGKILL) sees either the old
// file or the new one, never a torn write. Used for checkpoints, datasets and reports.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** A temp path beside `target`, unique within this process. */
export function tempPathFor(target: string): string {
  counter += 1;
  return join(dirname(target), `.${basename(target)}.${process.pid}.${counter}.tmp`);
}

/** Flush `path` to disk, then rename it to `target` and flush the directory entry. */
export function commitTempFile(path: string, target: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(path, target);
  fsyncDir(dirname(target));
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (_e) {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Write `target` atomically by streaming chunks from `write(emit)`. If `write` throws,
 * the temp file is removed and `target` is untouched.
 */
export function writeFileAtomic(
  target: string,
  write: (emit: (chunk: string | Uint8Array) => void) => void,
): void {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, "w");
  try {
    write((chunk) => {
      if (typeof chunk === "string") writeSync(fd, chunk);
      else writeSync(fd, chunk, 0, chunk.length);
    });
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, target);
  fsyncDir(dirname(target));
}

/** Atomically replace `target` with `data`. */
export function writeAtomic(target: string, data: string | Uint8Array): void {
  writeFileAtomic(target, (emit) => emit(data));
}

/** The asynchronous form, for writers that stream records (datasets, the judge cache). */
export class AtomicFile {
  private constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  /** Opens a temporary file in the target's directory (so the rename stays on one device). */
  static async open(path: string): Promise<AtomicFile> {
    const tempPath = tempPathFor(path);
    return new AtomicFile(path, tempPath, await open(tempPath, "wx"));
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (typeof data === "string") await this.handle.write(data, null, "utf8");
    else await this.handle.write(data);
  }

  /** Flushes to disk and moves the file into place. */
  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tempPath, this.path);
    fsyncDir(dirname(this.path));
  }

  /** Discards the temporary file; the target is left as it was. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

/** Runs `fill` against a fresh AtomicFile; commits if it returns, aborts and rethrows if not. */
export async function writeAtomically(
  path: string,
  fill: (file: AtomicFile) => Promise<void>,
): Promise<void> {
  const file = await AtomicFile.open(path);
  try {
    await fill(file);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}
