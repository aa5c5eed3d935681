import { BitcaskStore } from "../../lib/bitcask/mod.ts";
import { Wal } from "../../lib/raft/mod.ts";
import { commandTable } from "../../lib/server/commands/mod.ts";
import { CursorTable } from "../../lib/server/cursors.ts";
import { LocalLog } from "../../lib/cluster/local_log.ts";
import { StateMachine } from "../../lib/cluster/state_machine.ts";
import type { Level } from "../../lib/cli/mod.ts";

/** Store + WAL + state machine + local log in a temp dir. */
export interface Fixture extends AsyncDisposable {
  dir: string;
  store: BitcaskStore;
  wal: Wal;
  sm: StateMachine;
  log: LocalLog;
  fatal: Error[];
}

/** Opens a fixture (closed and removed when disposed). */
export async function openFixture(durability: Level = "high", dir?: string): Promise<Fixture> {
  const own = dir === undefined;
  dir ??= await Deno.makeTempDir({ prefix: "bitraft_cluster_" });
  const store = await BitcaskStore.open(`${dir}/bitcask`, { hintWorker: false, logger: () => {} });
  const wal = await Wal.open(`${dir}/raft`);
  const sm = new StateMachine(store, commandTable(), new CursorTable());
  const fatal: Error[] = [];
  const quiet = { debug() {}, verbose() {}, notice() {}, warn() {} };
  const log = new LocalLog(wal, sm, store, {
    durability,
    log: quiet,
    onFatal: (e) => fatal.push(e),
  });
  return {
    dir,
    store,
    wal,
    sm,
    log,
    fatal,
    async [Symbol.asyncDispose]() {
      await log.drain();
      log.close();
      await wal.close();
      await store.close();
      if (own) await Deno.remove(dir as string, { recursive: true });
    },
  };
}

const te = new TextEncoder();

/** Encodes a command's arguments. */
export function argv(...args: string[]): Uint8Array[] {
  return args.map((a) => te.encode(a));
}
