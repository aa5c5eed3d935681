import { BitcaskStore } from "../../lib/bitcask/mod.ts";
import { Wal } from "../../lib/raft/mod.ts";
import { commandTable } from "../../lib/server/commands/mod.ts";
import { CursorTable } from "../../lib/server/cursors.ts";
import { RaftDriver } from "../../lib/cluster/raft_driver.ts";
import { readNodeState } from "../../lib/cluster/hard_state.ts";
import { StateMachine } from "../../lib/cluster/state_machine.ts";
import type { Level } from "../../lib/cli/mod.ts";
import type { Proposer } from "../../lib/server/dispatch.ts";

/** Store + WAL + state machine + a single-node Raft driver in a temp dir. */
export interface Fixture extends AsyncDisposable {
  dir: string;
  store: BitcaskStore;
  wal: Wal;
  sm: StateMachine;
  driver: RaftDriver;
  /** Proposes on the (leading) driver. */
  log: Proposer;
  fatal: Error[];
}

/** Opens a fixture once its node leads (closed and removed when disposed). */
export async function openFixture(
  durability: Level = "high",
  dir?: string,
  walOptions: { segmentSize?: number } = {},
): Promise<Fixture> {
  const own = dir === undefined;
  dir ??= await Deno.makeTempDir({ prefix: "bitraft_cluster_" });
  const store = await BitcaskStore.open(`${dir}/bitcask`, { hintWorker: false, logger: () => {} });
  const wal = await Wal.open(`${dir}/raft`, walOptions);
  const sm = new StateMachine(store, commandTable(), new CursorTable());
  const fatal: Error[] = [];
  const quiet = { debug() {}, verbose() {}, notice() {}, warn() {} };
  const saved = readNodeState(`${dir}/raft`);
  const driver = new RaftDriver({
    id: "n1",
    dir: `${dir}/raft`,
    wal,
    sm,
    initialConf: { voters: ["n1"], learners: [] },
    origin: "bootstrap",
    term: Math.max(saved?.term ?? 0, wal.lastIndex > 0 ? wal.term(wal.lastIndex) ?? 0 : 0),
    vote: saved?.vote ?? null,
    compacted: saved?.compacted ?? null,
    applied: sm.appliedIndex,
    durability,
    tickMs: 20,
    electionTicks: 10,
    send: () => {},
    onChange: () => {},
    onFatal: (e) => fatal.push(e),
    log: quiet,
    syncStore: async () => {
      const upTo = store.lastIndex();
      await store.sync();
      return upTo;
    },
    onRemoved: () => {},
    sendSnapshot: () => Promise.reject(new Error("a single node has no one to send to")),
    installSnapshot: () => Promise.reject(new Error("a single node receives no snapshots")),
    installed: () => {},
  });
  driver.start();
  while (!driver.isLeader) await new Promise((r) => setTimeout(r, 5));
  return {
    dir,
    store,
    wal,
    sm,
    driver,
    log: { propose: (op) => driver.proposeLocal(op, Date.now()) },
    fatal,
    async [Symbol.asyncDispose]() {
      await driver.drain(5000);
      await driver.stop();
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

/** A store and a state machine alone (no log), in a temp dir removed on dispose. */
export async function openStateMachine(): Promise<
  { store: BitcaskStore; sm: StateMachine } & AsyncDisposable
> {
  const dir = await Deno.makeTempDir({ prefix: "bitraft_sm_" });
  const store = await BitcaskStore.open(`${dir}/bitcask`, { hintWorker: false, logger: () => {} });
  const sm = new StateMachine(store, commandTable(), new CursorTable());
  return {
    store,
    sm,
    async [Symbol.asyncDispose]() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
