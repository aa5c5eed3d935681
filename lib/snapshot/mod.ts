/**
 * Snapshots on disk: `state.bin` (a gzip stream of the keyspace), its
 * `meta.json`, the snapshot directory with retention, CRC-64 as Go computes
 * it, and `--parse-snapshot` (the keyspace as RESP `SET` commands).
 *
 * ```ts
 * import { readStateFile, SnapshotStore } from "./mod.ts";
 *
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * const store = await SnapshotStore.open(await Deno.makeTempDir(), { retain: 2 });
 * const info = await store.create(
 *   { index: 42, term: 3, conf: { voters: ["127.0.0.1:4920"], learners: [] } },
 *   [
 *     { key: bytes("a"), value: bytes("1"), expiresAt: 0 },
 *     { key: bytes("b"), value: bytes("2"), expiresAt: Date.now() + 60_000 },
 *   ],
 * );
 * await store.verify(info); // size and CRC-64 match meta.json
 * for await (const { key, value, expiresAt } of store.records(info)) {
 *   console.log(key, value, expiresAt);
 * }
 * for await (const rec of readStateFile(store.statePath(info))) console.log(rec.key);
 * ```
 *
 * @module
 */

export { Crc64, crc64, formatCrc64, parseCrc64 } from "./crc64.ts";
export { SnapshotBusyError, SnapshotCorruptError, SnapshotFormatError } from "./errors.ts";
export {
  type EncodeStateOptions,
  encodeStateRecords,
  MAX_FIELD_LENGTH,
  RECORD_EXPIRING,
  RECORD_PLAIN,
  type SnapshotRecord,
  STATE_MAGIC,
} from "./record.ts";
export { type StateFormat, StateRecordParser } from "./record_parser.ts";
export {
  readStateFile,
  type ReadStateOptions,
  StateFileReader,
  type StateFileResult,
  writeStateFile,
  type WriteStateOptions,
} from "./state_file.ts";
export {
  formatSnapshotMeta,
  type SnapshotConf,
  snapshotId,
  type SnapshotInfo,
  validateSnapshotMeta,
} from "./meta.ts";
export { type SnapshotMetaInput, SnapshotStore, type SnapshotStoreOptions } from "./store.ts";
export {
  parseSnapshotCommand,
  type ParseSnapshotIo,
  type RespProgress,
  type RespResult,
  type WriteRespOptions,
  writeSnapshotAsResp,
} from "./parse.ts";
export type { ByteWriter } from "./_streams.ts";
