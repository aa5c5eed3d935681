/**
 * File-system helpers for crash-safe file installation.
 *
 * @module
 */

import fs from "node:fs";
import { pwriteFully } from "./data_file.ts";

/**
 * Flushes a directory's entries (new, renamed and removed names) to disk.
 *
 * @param dir The directory.
 */
export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Asynchronous fdatasync (runs off the main thread).
 *
 * @param fd Descriptor to flush.
 * @returns Resolves once the data is on disk.
 */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Writes a file atomically: a temp file, fsync, rename over the target,
 * fsync of the directory. A crash leaves either the old file or the new one,
 * plus at worst a stray `.tmp` that the next open removes.
 *
 * @param dir Directory of the file.
 * @param name File name.
 * @param bytes Content.
 */
export function writeFileAtomicSync(dir: string, name: string, bytes: Uint8Array): void {
  const tmp = `${dir}/${name}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    pwriteFully(fd, bytes, 0);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, `${dir}/${name}`);
  fsyncDirSync(dir);
}

/**
 * Asynchronous {@linkcode writeFileAtomicSync}: the write happens at once, the
 * two fsyncs off the main thread.
 *
 * @param dir Directory of the file.
 * @param name File name.
 * @param bytes Content.
 */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${dir}/${name}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    pwriteFully(fd, bytes, 0);
    await fdatasync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, `${dir}/${name}`);
  await fsyncDir(dir);
}

/**
 * Asynchronous {@linkcode fsyncDirSync}.
 *
 * @param dir The directory.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = fs.openSync(dir, "r");
  try {
    await new Promise<void>((resolve, reject) => {
      fs.fsync(fd, (err) => (err ? reject(err) : resolve()));
    });
  } finally {
    fs.closeSync(fd);
  }
}
