// Atomic file replacement: write a sibling temp file, fsync it, rename it over the target,
// then fsync the directory. A reader (or a resumed run after SIGKILL) sees either the old
// file or the new one, never a torn write. Used for checkpoints, datasets and reports.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
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
