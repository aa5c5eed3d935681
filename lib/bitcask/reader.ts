/**
 * Reading values: one positioned read per record, checked (CRC, header and
 * key) before any byte is returned, with a cache of recently read values in
 * front. Values handed out may be shared with the cache or a 64 KiB read
 * pool: they are read-only (copy with `slice()` to change or keep many).
 *
 * @module
 */

import { type DataFile, preadFully } from "./data_file.ts";
import type { ValueCache } from "./value_cache.ts";
import { CorruptRecordError } from "./errors.ts";
import type { Location } from "./key_index.ts";
import {
  decodeRecordHeader,
  newRecordHeader,
  RECORD_HEADER_SIZE,
  recordCrcMatches,
} from "./record.ts";

const POOL = 64 * 1024;
const POOLED = 4 * 1024;
/** Records up to this size go to the cache (in a buffer of their own, not the pool). */
const CACHED = 64 * 1024;

function keyAt(buf: Uint8Array, at: number, k: string | Uint8Array): boolean {
  if (typeof k === "string") {
    for (let i = 0; i < k.length; i++) if (buf[at + i] !== k.charCodeAt(i)) return false;
  } else {
    for (let i = 0; i < k.length; i++) if (buf[at + i] !== k[i]) return false;
  }
  return true;
}

/** Reads and verifies records. */
export class ValueReader {
  #files: Map<number, DataFile>;
  #beforeRead: (loc: Location) => void;
  #pool = new Uint8Array(POOL);
  #pos = 0;
  #header = newRecordHeader();
  #cache: ValueCache;

  /**
   * Creates a reader.
   *
   * @param files The store's files by id.
   * @param beforeRead Called before each read (flushes buffered records).
   * @param cache Recently read values.
   */
  constructor(
    files: Map<number, DataFile>,
    beforeRead: (loc: Location) => void,
    cache: ValueCache,
  ) {
    this.#files = files;
    this.#beforeRead = beforeRead;
    this.#cache = cache;
  }

  /**
   * Reads the value of the record at `loc`, which must hold key `k`.
   *
   * @param k The key, as a binary string or as bytes.
   * @param loc Where the record is.
   * @returns The value.
   * @throws {CorruptRecordError} If the record is damaged or holds another key.
   */
  read(k: string | Uint8Array, loc: Location): Uint8Array {
    const cached = this.#cache.get(loc.fileId, loc.offset);
    if (cached !== undefined) return cached;
    this.#beforeRead(loc);
    const file = this.#files.get(loc.fileId) as DataFile;
    const size = loc.size;
    const cacheable = size <= CACHED && this.#cache.admit(loc.fileId, loc.offset);
    let buf: Uint8Array;
    let off = 0;
    if (size <= POOLED && !cacheable) {
      if (this.#pos + size > POOL) {
        this.#pool = new Uint8Array(POOL);
        this.#pos = 0;
      }
      buf = this.#pool;
      off = this.#pos;
      this.#pos = (off + size + 7) & ~7;
    } else {
      buf = new Uint8Array(size);
    }
    const h = this.#header;
    const got = preadFully(file.fd, buf, off, size, loc.offset);
    let bad = got < size ? "truncated record" : decodeRecordHeader(buf, off, h);
    if (bad === null && !recordCrcMatches(buf, off, size)) bad = "checksum mismatch";
    if (bad === null && h.keyLength !== k.length) bad = "record holds another key";
    const ks = off + RECORD_HEADER_SIZE;
    if (bad === null && !keyAt(buf, ks, k)) bad = "record holds another key";
    if (bad !== null) throw new CorruptRecordError(file.path, loc.offset, bad);
    const value = buf.subarray(ks + h.keyLength, off + size);
    if (cacheable) this.#cache.set(loc.fileId, loc.offset, value);
    return value;
  }
}
