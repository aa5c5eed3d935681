/**
 * Test harness for real multi-node clusters: starts `main.ts` processes on
 * free 127.0.0.1 ports with a fast Raft clock, joins them, and kills every
 * process (and removes every data directory) when disposed, even when the
 * test fails.
 */

import { command, RawClient, type RawReply } from "./_resp_client.ts";
import { TcpProxy } from "./_proxy.ts";
import { freePort, startServer, type TestServer } from "./_server.ts";

/** Raft tick used by cluster tests (ms): elections take 250-500 ms. */
export const TICK_MS = 25;
/** Election timeout in ticks. */
export const ELECTION_TICKS = 10;
/** The longest randomized election timeout (ms). */
export const ELECTION_MS = 2 * TICK_MS * ELECTION_TICKS;

/** Reply as text (simple, bulk, error or integer). */
export function text(r: RawReply): string | null {
  switch (r.type) {
    case "simple":
    case "error":
      return r.value;
    case "int":
      return String(r.value);
    case "bulk":
      return r.value === null ? null : new TextDecoder().decode(r.value);
    default:
      return JSON.stringify(r.value);
  }
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `fn` until it returns a value other than undefined.
 *
 * @param what Description for the timeout error.
 * @param fn The probe.
 * @param ms Time limit.
 * @returns The value.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = undefined;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    }
    await sleep(50);
  }
}

/** A cluster of bitraft processes. */
export class TestCluster implements AsyncDisposable {
  /** Running processes by address. */
  readonly servers = new Map<string, TestServer>();
  /** Data directory of every node ever started, by address. */
  readonly dirs = new Map<string, string>();
  #args: string[];

  /** Password the nodes require (from `--auth` in the flags), or null. */
  readonly password: string | null;
  /** With proxies: a node's id is its proxy's address; clients use the real port. */
  readonly #proxies = new Map<string, { proxy: TcpProxy; port: number }>();
  readonly #useProxies: boolean;

  private constructor(args: string[], proxies: boolean) {
    this.#args = args;
    this.#useProxies = proxies;
    const i = args.indexOf("--auth");
    this.password = i >= 0 ? args[i + 1] : null;
  }

  /**
   * Starts a cluster: the first node bootstraps, the others join it.
   *
   * @param n Number of nodes.
   * @param args Extra flags for every node.
   * @param options `proxies`: peers reach each node through a cuttable proxy.
   * @returns The cluster once every node is a voter.
   */
  static async start(
    n: number,
    args: string[] = [],
    options: { proxies?: boolean } = {},
  ): Promise<TestCluster> {
    const c = new TestCluster(args, options.proxies ?? false);
    try {
      const first = await c.startNode(null);
      for (let i = 1; i < n; i++) await c.startNode(first);
      await c.waitVoters(n);
      return c;
    } catch (e) {
      await c[Symbol.asyncDispose]();
      throw e;
    }
  }

  /** Addresses of every node started so far. */
  get addrs(): string[] {
    return [...this.dirs.keys()];
  }

  /** Addresses of running nodes. */
  get alive(): string[] {
    return [...this.servers.keys()];
  }

  /**
   * Starts a new node.
   *
   * @param join A member to join, or null to bootstrap.
   * @param extra More flags.
   * @returns Its address.
   */
  async startNode(join: string | null, extra: string[] = []): Promise<string> {
    const port = freePort();
    let addr = `127.0.0.1:${port}`;
    if (this.#useProxies) {
      const proxy = TcpProxy.start(port);
      addr = `127.0.0.1:${proxy.port}`;
      this.#proxies.set(addr, { proxy, port });
    }
    const dir = await Deno.makeTempDir({ prefix: "bitraft_cluster_" });
    this.dirs.set(addr, dir);
    await this.#spawn(addr, [...(join === null ? [] : ["--join", join]), ...extra]);
    return addr;
  }

  /**
   * Restarts a stopped node on its old address and data.
   *
   * @param addr The node.
   * @param extra More flags.
   */
  async restart(addr: string, extra: string[] = []): Promise<void> {
    await this.#spawn(addr, extra);
  }

  /**
   * The port clients use to reach a node directly (not through its proxy).
   *
   * @param addr The node's id.
   * @returns Its real port.
   */
  port(addr: string): number {
    return this.#proxies.get(addr)?.port ?? Number(addr.split(":")[1]);
  }

  /**
   * The proxy in front of a node (clusters started with `proxies`).
   *
   * @param addr The node's id.
   * @returns Its proxy.
   */
  proxy(addr: string): TcpProxy {
    const p = this.#proxies.get(addr);
    if (p === undefined) throw new Error(`${addr} has no proxy`);
    return p.proxy;
  }

  async #spawn(addr: string, extra: string[]): Promise<void> {
    const port = this.port(addr);
    if (this.#proxies.has(addr)) extra = ["--advertise", addr, ...extra];
    const server = await startServer({
      dir: this.dirs.get(addr),
      port,
      args: [
        "--raft-tick",
        String(TICK_MS),
        "--election-ticks",
        String(ELECTION_TICKS),
        ...this.#args,
        ...extra,
      ],
    });
    this.servers.set(addr, server);
  }

  /**
   * Sends a signal to a node; SIGKILL also waits for it to be gone.
   *
   * @param addr The node.
   * @param signal The signal.
   */
  async kill(addr: string, signal: Deno.Signal = "SIGKILL"): Promise<void> {
    const s = this.servers.get(addr);
    if (s === undefined) return;
    s.kill(signal);
    if (signal === "SIGKILL" || signal === "SIGTERM") {
      await s.exited();
      this.servers.delete(addr);
    }
  }

  /**
   * Runs one command on a node over a fresh connection.
   *
   * @param addr The node.
   * @param args The command.
   * @returns The reply.
   */
  async call(addr: string, ...args: string[]): Promise<RawReply> {
    const c = await RawClient.connect(this.port(addr));
    try {
      if (this.password !== null) await c.call("AUTH", this.password);
      return await c.call(...args);
    } finally {
      c.close();
    }
  }

  /**
   * RAFTSTATS of a node as a map.
   *
   * @param addr The node.
   * @returns The stats.
   */
  async stats(addr: string): Promise<Map<string, string>> {
    const r = await this.call(addr, "RAFTSTATS");
    if (r.type !== "array" || r.value === null) throw new Error(`RAFTSTATS: ${text(r)}`);
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < r.value.length; i += 2) {
      m.set(text(r.value[i]) as string, text(r.value[i + 1]) as string);
    }
    return m;
  }

  /**
   * Waits until the running nodes agree on a leader that says it leads.
   *
   * @param ms Time limit.
   * @param not A node that must not be the answer (a killed leader).
   * @param among The nodes to ask (default: every running one).
   * @returns The leader's address.
   */
  leader(ms = 15_000, not?: string, among?: string[]): Promise<string> {
    return waitFor("a leader", async () => {
      const seen = new Set<string | null>();
      for (const a of among ?? this.alive) seen.add(text(await this.call(a, "RAFTLEADER")));
      if (seen.size !== 1) return undefined;
      const l = [...seen][0];
      if (l === null || l === not || !this.servers.has(l)) return undefined;
      return text(await this.call(l, "RAFTSTATE")) === "Leader" ? l : undefined;
    }, ms);
  }

  /**
   * Waits until the leader reports `n` voters and no learners.
   *
   * @param n Voters wanted.
   */
  async waitVoters(n: number): Promise<void> {
    await waitFor(`${n} voters`, async () => {
      const st = await this.stats(await this.leader());
      return st.get("num_voters") === String(n) && st.get("num_learners") === "0"
        ? true
        : undefined;
    });
  }

  /**
   * Waits until every running node has applied what the leader committed.
   *
   * @param ms Time limit.
   */
  async waitCaughtUp(ms = 20_000): Promise<void> {
    await waitFor("every node to catch up", async () => {
      const l = await this.leader();
      const commit = Number((await this.stats(l)).get("commit_index"));
      for (const a of this.alive) {
        if (Number((await this.stats(a)).get("applied_index")) < commit) return undefined;
      }
      return true;
    }, ms);
  }

  /** Kills every process and removes every data directory. */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const s of this.servers.values()) s.kill("SIGKILL");
    await Promise.all([...this.servers.values()].map((s) => s[Symbol.asyncDispose]()));
    this.servers.clear();
    await Promise.all(
      [...this.dirs.values()].map((d) => Deno.remove(d, { recursive: true }).catch(() => {})),
    );
    for (const { proxy } of this.#proxies.values()) await proxy[Symbol.asyncDispose]();
  }
}

/** Writes from several clients to any live node, recording acknowledged keys. */
export class Writers {
  /** Keys acknowledged with +OK (value = key). */
  readonly acked = new Set<string>();
  /** Error replies seen, by text. */
  readonly errors = new Map<string, number>();
  #stop = false;
  #running: Promise<void>[] = [];

  /**
   * Starts `n` writers.
   *
   * @param cluster Where to write.
   * @param prefix Key prefix.
   * @param n Concurrent clients.
   */
  constructor(cluster: TestCluster, prefix: string, n = 4) {
    for (let w = 0; w < n; w++) this.#running.push(this.#loop(cluster, `${prefix}${w}_`, w));
  }

  /** Acknowledged count. */
  get count(): number {
    return this.acked.size;
  }

  /** Stops the writers and waits for them. */
  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#running);
  }

  async #loop(cluster: TestCluster, prefix: string, w: number): Promise<void> {
    let client: RawClient | null = null;
    let i = 0;
    let pick = w;
    while (!this.#stop) {
      try {
        if (client === null) {
          const alive = cluster.alive;
          const addr = alive[pick++ % alive.length];
          client = await RawClient.connect(cluster.port(addr));
        }
        const key = `${prefix}${i++}`;
        const r = await client.call("SET", key, key);
        if (r.type === "simple" && r.value === "OK") this.acked.add(key);
        else {
          const t = text(r) ?? "";
          this.errors.set(t, (this.errors.get(t) ?? 0) + 1);
          await sleep(20);
        }
      } catch {
        client?.close();
        client = null;
        await sleep(30);
      }
    }
    client?.close();
  }
}

/**
 * Checks that every key in `keys` reads back as itself on `addr`.
 *
 * @param addr The node to read from (host:port, or a port).
 * @param keys Keys whose value is the key.
 * @returns The keys that were missing or wrong.
 */
export async function missingKeys(
  addr: string | number,
  keys: Iterable<string>,
): Promise<string[]> {
  const c = await RawClient.connect(typeof addr === "number" ? addr : Number(addr.split(":")[1]));
  const missing: string[] = [];
  try {
    const all = [...keys];
    for (let i = 0; i < all.length; i += 500) {
      const chunk = all.slice(i, i + 500);
      for (const k of chunk) await c.send(command("GET", k));
      for (const k of chunk) if (text(await c.read()) !== k) missing.push(k);
    }
  } finally {
    c.close();
  }
  return missing;
}
