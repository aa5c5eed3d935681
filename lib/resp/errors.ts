/**
 * The error raised when a client sends bytes that are not a valid command.
 *
 * @module
 */

/**
 * Bad client input: the decoder cannot parse what it was given. The
 * `message` is Redis's own wording without the `ERR Protocol error: ` prefix
 * (for example `invalid bulk length`), so a server can reply
 * `-ERR Protocol error: <message>` and close the connection, as Redis does.
 */
export class RespProtocolError extends SyntaxError {
  /** Byte offset, in the whole stream pushed so far, where the bad input starts. */
  readonly offset: number;

  /**
   * Creates the error.
   *
   * @param message Redis's description of the problem, without any prefix.
   * @param offset Stream offset of the first byte of the offending line.
   */
  constructor(message: string, offset: number) {
    super(message);
    this.name = "RespProtocolError";
    this.offset = offset;
  }
}
