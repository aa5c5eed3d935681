/**
 * Typed errors raised by the Bitcask engine. Callers can tell them apart with
 * `instanceof` and read the structured fields instead of parsing messages.
 *
 * @module
 */

/** A record, header or hint on disk failed its checksum or is malformed. */
export class CorruptRecordError extends Error {
  /** Path of the file that holds the bad bytes. */
  readonly file: string;
  /** Byte offset of the bad record (or header) inside `file`. */
  readonly offset: number;

  /**
   * Creates the error.
   *
   * @param file Path of the corrupt file.
   * @param offset Offset of the corrupt record.
   * @param reason What is wrong with it.
   */
  constructor(file: string, offset: number, reason: string) {
    super(`Cannot read record: ${reason} in "${file}" at offset ${offset}`);
    this.name = "CorruptRecordError";
    this.file = file;
    this.offset = offset;
  }
}

/** Another process (or another open in this process) holds the store's lock. */
export class StoreLockedError extends Error {
  /** The locked directory. */
  readonly dir: string;

  /**
   * Creates the error.
   *
   * @param dir The directory whose LOCK file is held.
   */
  constructor(dir: string) {
    super(`Cannot open store: "${dir}" is locked by another process or handle`);
    this.name = "StoreLockedError";
    this.dir = dir;
  }
}

/** The store was used after `close()`. */
export class StoreClosedError extends Error {
  /** Creates the error. */
  constructor() {
    super("Cannot use store: it is closed");
    this.name = "StoreClosedError";
  }
}

/** A key is longer than the configured `maxKeySize`. Nothing was written. */
export class KeyTooLargeError extends RangeError {
  /** Length of the rejected key in bytes. */
  readonly size: number;
  /** The configured limit in bytes. */
  readonly limit: number;

  /**
   * Creates the error.
   *
   * @param size Length of the key.
   * @param limit The limit it exceeds.
   */
  constructor(size: number, limit: number) {
    super(`Cannot write key: its size ${size} exceeds the limit of ${limit} bytes`);
    this.name = "KeyTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

/** A value is longer than the configured `maxValueSize`. Nothing was written. */
export class ValueTooLargeError extends RangeError {
  /** Length of the rejected value in bytes. */
  readonly size: number;
  /** The configured limit in bytes. */
  readonly limit: number;

  /**
   * Creates the error.
   *
   * @param size Length of the value.
   * @param limit The limit it exceeds.
   */
  constructor(size: number, limit: number) {
    super(`Cannot write value: its size ${size} exceeds the limit of ${limit} bytes`);
    this.name = "ValueTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

/** A file was written by a newer, unknown format version. */
export class UnsupportedFormatError extends Error {
  /** The file with the unknown version. */
  readonly file: string;
  /** The version number found in its header. */
  readonly version: number;

  /**
   * Creates the error.
   *
   * @param file The file.
   * @param version The version found.
   */
  constructor(file: string, version: number) {
    super(`Cannot read file: "${file}" has unsupported format version ${version}`);
    this.name = "UnsupportedFormatError";
    this.file = file;
    this.version = version;
  }
}
