/**
 * Private: a byte builder that packs small writes into large chunks (for
 * gzip or stdout) and passes big byte arrays through without copying.
 *
 * @module
 */

const TWO_32 = 0x1_0000_0000;

/** Builds output as a list of chunks of about `size` bytes each. */
export class ChunkBuilder {
  #size: number;
  #buf: Uint8Array;
  #pos = 0;
  #ready: Uint8Array[] = [];
  #readyBytes = 0;

  /**
   * Creates a builder.
   *
   * @param size Target chunk size in bytes.
   */
  constructor(size: number) {
    this.#size = size;
    this.#buf = new Uint8Array(size);
  }

  /** Bytes in finished chunks, waiting for {@linkcode take}. */
  get readyBytes(): number {
    return this.#readyBytes;
  }

  /**
   * Makes sure `n` contiguous bytes (n <= chunk size) can be written at
   * {@linkcode pos} and returns the buffer to write them into.
   *
   * @param n Bytes needed.
   * @returns The current buffer.
   */
  reserve(n: number): Uint8Array {
    if (this.#size - this.#pos < n) this.#flush();
    return this.#buf;
  }

  /** Write position in the buffer returned by {@linkcode reserve}. */
  get pos(): number {
    return this.#pos;
  }

  /**
   * Advances the write position after writing into the reserved space.
   *
   * @param n Bytes written.
   */
  advance(n: number): void {
    this.#pos += n;
  }

  /**
   * Appends bytes: copied when small, passed through as their own chunk when
   * large. Large arrays must not be modified until the chunks are consumed.
   *
   * @param data The bytes.
   */
  bytes(data: Uint8Array): void {
    const free = this.#size - this.#pos;
    if (data.length <= free) {
      this.#buf.set(data, this.#pos);
      this.#pos += data.length;
    } else if (data.length >= this.#size >>> 1) {
      this.#flush();
      this.#ready.push(data);
      this.#readyBytes += data.length;
    } else {
      this.#buf.set(data.subarray(0, free), this.#pos);
      this.#pos = this.#size;
      this.#flush();
      this.#buf.set(data.subarray(free), 0);
      this.#pos = data.length - free;
    }
  }

  /**
   * Appends an ASCII decimal integer.
   *
   * @param n A non-negative safe integer.
   */
  decimal(n: number): void {
    const buf = this.reserve(16);
    const end = this.#pos + decimalDigits(n);
    let i = end;
    do {
      const q = Math.floor(n / 10);
      buf[--i] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
    this.#pos = end;
  }

  /**
   * Appends a little-endian u64.
   *
   * @param n A non-negative safe integer.
   */
  u64(n: number): void {
    const buf = this.reserve(8);
    const lo = n % TWO_32;
    writeU32(buf, this.#pos, lo);
    writeU32(buf, this.#pos + 4, (n - lo) / TWO_32);
    this.#pos += 8;
  }

  /**
   * Appends one byte.
   *
   * @param n The byte value.
   */
  u8(n: number): void {
    this.reserve(1)[this.#pos++] = n;
  }

  /**
   * Takes the finished chunks.
   *
   * @param all Also finish the chunk being filled.
   * @returns The chunks, in order (possibly none).
   */
  take(all = false): Uint8Array[] {
    if (all) this.#flush();
    const out = this.#ready;
    this.#ready = [];
    this.#readyBytes = 0;
    return out;
  }

  #flush(): void {
    if (this.#pos === 0) return;
    this.#ready.push(this.#buf.subarray(0, this.#pos));
    this.#readyBytes += this.#pos;
    this.#buf = new Uint8Array(this.#size);
    this.#pos = 0;
  }
}

/**
 * Number of decimal digits of a non-negative safe integer.
 *
 * @param n The integer.
 * @returns Its length in ASCII.
 */
export function decimalDigits(n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  return digits;
}

function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v;
  buf[off + 1] = v >>> 8;
  buf[off + 2] = v >>> 16;
  buf[off + 3] = v >>> 24;
}
