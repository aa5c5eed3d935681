/**
 * Typed errors raised by the Raft write-ahead log. Callers tell them apart
 * with `instanceof` and read the structured fields instead of the message.
 *
 * @module
 */

/** A segment, record or the meta file of the log is damaged or malformed. */
export class WalCorruptError extends Error {
  /** Path of the file that holds the bad bytes. */
  readonly file: string;
  /** Byte offset of the bad record (or header) inside `file`. */
  readonly offset: number;

  /**
   * Creates the error.
   *
   * @param file Path of the corrupt file.
   * @param offset Offset of the corrupt record or header.
   * @param reason What is wrong with it.
   */
  constructor(file: string, offset: number, reason: string) {
    super(`Cannot read write-ahead log: ${reason} in "${file}" at offset ${offset}`);
    this.name = "WalCorruptError";
    this.file = file;
    this.offset = offset;
  }
}

/** The log was used after `close()`. */
export class WalClosedError extends Error {
  /** Creates the error. */
  constructor() {
    super("Cannot use write-ahead log: it is closed");
    this.name = "WalClosedError";
  }
}

/** Another process (or another open handle in this process) holds the log directory. */
export class WalLockedError extends Error {
  /** The locked directory. */
  readonly dir: string;

  /**
   * Creates the error.
   *
   * @param dir The directory whose `wal.lock` is held.
   */
  constructor(dir: string) {
    super(`Cannot open write-ahead log: "${dir}" is locked by another process or handle`);
    this.name = "WalLockedError";
    this.dir = dir;
  }
}
