/**
 * Takes snapshots of the keyspace (RAFTSNAPSHOT, SAVE, BGSAVE): a
 * point-in-time view of the Bitcask store at the applied index, streamed
 * into `<data>/snapshots/` while writes go on. One runs at a time; asking
 * while one runs gets that one.
 *
 * @module
 */

import type { BitcaskStore } from "../bitcask/mod.ts";
import type { SnapshotInfo, SnapshotRecord, SnapshotStore } from "../snapshot/mod.ts";
import type { RaftDriver } from "./raft_driver.ts";

/** Takes snapshots for one node. */
export class Snapshotter {
  #store: BitcaskStore;
  #snapshots: SnapshotStore;
  #driver: RaftDriver;
  #running: Promise<SnapshotInfo> | null = null;
  /** Unix seconds of the last snapshot taken (or of start-up). */
  lastSave: number;

  /**
   * Creates the snapshotter.
   *
   * @param store The keyspace.
   * @param snapshots The snapshot directory.
   * @param driver Where the applied index, its term and configuration come from.
   */
  constructor(store: BitcaskStore, snapshots: SnapshotStore, driver: RaftDriver) {
    this.#store = store;
    this.#snapshots = snapshots;
    this.#driver = driver;
    const latest = snapshots.latest();
    this.lastSave = Math.floor((latest?.time ?? Date.now()) / 1000);
  }

  /** The newest snapshot on disk, or null. */
  get latest(): SnapshotInfo | null {
    return this.#snapshots.latest();
  }

  /**
   * Takes a snapshot now (or joins the one being taken).
   *
   * @returns The snapshot.
   */
  take(): Promise<SnapshotInfo> {
    if (this.#running !== null) return this.#running;
    if (this.#driver.installing) {
      return Promise.reject(new Error("a snapshot from the leader is being installed; try again"));
    }
    const run = this.#take().finally(() => (this.#running = null));
    this.#running = run;
    return run;
  }

  /** Waits for the snapshot being taken, if any (its failure is not rethrown). */
  async settle(): Promise<void> {
    await this.#running?.catch(() => {});
  }

  async #take(): Promise<SnapshotInfo> {
    // Taken in one synchronous step: the view holds exactly the entries
    // applied up to `index`.
    const view = this.#store.snapshot();
    const d = this.#driver;
    const index = d.appliedIndex;
    const meta = { index, term: index > 0 ? d.termOf(index) : 0, conf: d.core.confAt(index) };
    function* records(): Generator<SnapshotRecord> {
      for (const e of view.scan()) {
        yield { key: e.key, value: e.value as Uint8Array, expiresAt: e.expiresAt };
      }
    }
    try {
      const info = await this.#snapshots.create(meta, records());
      this.lastSave = Math.floor(info.time / 1000);
      return info;
    } finally {
      view.close();
    }
  }
}
