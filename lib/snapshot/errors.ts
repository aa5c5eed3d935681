/**
 * Typed errors raised when reading snapshots. Callers tell them apart with
 * `instanceof` and read the structured fields instead of parsing messages.
 *
 * @module
 */

/**
 * A `state.bin` is truncated or malformed: bad gzip, a record cut short, an
 * unknown record type, an absurd length. Raised only after every complete
 * record before the damage has been handed out.
 */
export class SnapshotFormatError extends Error {
  /** Records read successfully before the damage. */
  readonly record: number;
  /** Offset in the uncompressed stream where the damage was found. */
  readonly offset: number;

  /**
   * Creates the error.
   *
   * @param reason What is wrong, e.g. "record 3 is cut short".
   * @param record Records read successfully before the damage.
   * @param offset Offset in the uncompressed stream.
   */
  constructor(reason: string, record: number, offset: number) {
    super(`Cannot read snapshot: ${reason}`);
    this.name = "SnapshotFormatError";
    this.record = record;
    this.offset = offset;
  }
}

/** A snapshot's `state.bin` does not match the size or CRC its `meta.json` records. */
export class SnapshotCorruptError extends Error {
  /** The snapshot id (its directory name). */
  readonly id: string;

  /**
   * Creates the error.
   *
   * @param id The snapshot id.
   * @param reason What does not match.
   */
  constructor(id: string, reason: string) {
    super(`Cannot use snapshot "${id}": ${reason}`);
    this.name = "SnapshotCorruptError";
    this.id = id;
  }
}

/** `SnapshotStore.create()` was called while another snapshot was being written. */
export class SnapshotBusyError extends Error {
  /** Creates the error. */
  constructor() {
    super("Cannot create snapshot: snapshot already in progress");
    this.name = "SnapshotBusyError";
  }
}
