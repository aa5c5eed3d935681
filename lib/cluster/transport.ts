/**
 * The peer transport: Raft messages travel as `RAFTMSG <batch>` commands on
 * the peers' client port (one kept-open connection per peer, replies
 * ignored), and client commands forwarded to the leader travel on a second
 * connection per peer, so slow forwarded work never delays heartbeats.
 *
 * @module
 */

import { encodeMessages, type Message, type NodeId } from "../raft/mod.ts";
import { PeerConnection, type PeerConnectionOptions } from "./peer_connection.ts";
import { command } from "./resp_command.ts";

/** Name of the command that carries Raft messages between nodes. */
export const RAFT_MESSAGE_COMMAND = "RAFTMSG";

/** Connections to the other members. */
export class Transport {
  #self: NodeId;
  #opts: PeerConnectionOptions;
  #raft = new Map<NodeId, PeerConnection>();
  #forward = new Map<NodeId, PeerConnection>();
  #onUnreachable: (to: NodeId) => void;

  /**
   * Creates the transport.
   *
   * @param self This node's id (messages to it are dropped).
   * @param options Password, TLS, limits.
   * @param onUnreachable Called when a message to a peer had to be dropped.
   */
  constructor(self: NodeId, options: PeerConnectionOptions, onUnreachable: (to: NodeId) => void) {
    this.#self = self;
    this.#opts = options;
    this.#onUnreachable = onUnreachable;
  }

  /**
   * Sends Raft messages (one batch per destination).
   *
   * @param msgs The messages.
   */
  send(msgs: Message[]): void {
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of msgs) {
      if (m.to === this.#self) continue;
      const list = byPeer.get(m.to);
      if (list === undefined) byPeer.set(m.to, [m]);
      else list.push(m);
    }
    for (const [to, list] of byPeer) {
      const conn = this.#conn(this.#raft, to, true);
      if (!conn.post(command([RAFT_MESSAGE_COMMAND, encodeMessages(list)])) || !conn.connected) {
        this.#onUnreachable(to);
      }
    }
  }

  /**
   * Sends a command to a peer on the forwarding connection.
   *
   * @param to The peer.
   * @param args The command.
   * @returns The raw reply.
   */
  request(to: NodeId, args: (string | Uint8Array)[]): Promise<Uint8Array> {
    return this.#conn(this.#forward, to).request(command(args));
  }

  /**
   * Whether the Raft connection to a peer is up.
   *
   * @param to The peer.
   * @returns True when connected.
   */
  connected(to: NodeId): boolean {
    return this.#raft.get(to)?.connected ?? false;
  }

  /**
   * Closes connections to nodes that are no longer members.
   *
   * @param members Current members.
   */
  retain(members: NodeId[]): void {
    for (const map of [this.#raft, this.#forward]) {
      for (const [id, conn] of map) {
        if (!members.includes(id)) {
          map.delete(id);
          conn.close().catch(() => {});
        }
      }
    }
  }

  /** Closes everything. */
  async close(): Promise<void> {
    const all = [...this.#raft.values(), ...this.#forward.values()];
    this.#raft.clear();
    this.#forward.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  #conn(map: Map<NodeId, PeerConnection>, to: NodeId, postOnly = false): PeerConnection {
    let c = map.get(to);
    if (c === undefined) {
      c = new PeerConnection(to, { ...this.#opts, postOnly });
      map.set(to, c);
    }
    return c;
  }
}
