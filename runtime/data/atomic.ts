// Atomic file output: write to a temporary file beside the target, fsync, then rename over
// it. A reader, or a crash, sees the old file or the whole new one, never half of it; a
// writer that fails midway (a bad record) leaves no output and an existing file untouched.

import { randomBytes } from "node:crypto";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export class AtomicFile {
  private constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  /** Opens a temporary file in the target's directory (so the rename stays on one device). */
  static async open(path: string): Promise<AtomicFile> {
    const tempPath = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
    );
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
