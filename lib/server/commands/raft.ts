/**
 * The cluster commands: RAFTADDPEER, RAFTREMOVEPEER, RAFTLEADER, RAFTSTATE,
 * RAFTSTATS, RAFTPEERS, RAFTTRANSFER, RAFTSNAPSHOT, RAFTSHRINKLOG, and the two that nodes send each
 * other (RAFTMSG carries Raft messages, RAFTPROPOSE a forwarded write,
 * RAFTSNAPCHUNK and RAFTSNAPDONE a snapshot, RAFTREMOVED the news of a removal).
 * Every one needs AUTH when the node has a password, peers included.
 *
 * @module
 */

import { type Reply, ReplyError, Simple } from "../../resp/mod.ts";
import { ascii } from "../args.ts";
import type { ClusterServices, CommandSpec, ServerContext } from "../command.ts";
import { adminCommand } from "./spec.ts";

function cluster(ctx: ServerContext): ClusterServices {
  const c = ctx.node.cluster;
  if (c === undefined) throw new ReplyError("ERR this node does not run Raft");
  return c;
}

/** Checks a node address argument (host:port). */
function addrArg(b: Uint8Array): string {
  const s = ascii(b);
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !/^\d{1,5}$/.test(s.slice(i + 1)) || port < 1 || port > 65535) {
    throw new ReplyError(`ERR invalid node address '${s.slice(0, 128)}' (want host:port)`);
  }
  return s;
}

function pairs(list: [string, string][]): Reply[] {
  return list.flat();
}

/** The RAFT* commands. */
export const RAFT_COMMANDS: CommandSpec[] = [
  adminCommand("raftmsg", 2, (a, ctx) => cluster(ctx).receive(a[1])),
  adminCommand("raftpropose", 3, (a, ctx) => {
    const proto = ascii(a[1]);
    if (proto !== "2" && proto !== "3") throw new ReplyError("ERR protocol must be 2 or 3");
    return cluster(ctx).propose(proto === "3" ? 3 : 2, a[2]);
  }),
  adminCommand("raftaddpeer", 2, (a, ctx) => cluster(ctx).addPeer(addrArg(a[1]))),
  adminCommand("raftremovepeer", 2, (a, ctx) => cluster(ctx).removePeer(addrArg(a[1]))),
  adminCommand("raftremoved", 2, (a, ctx) => cluster(ctx).removed(addrArg(a[1]))),
  adminCommand("rafttransfer", -1, (a, ctx) => {
    if (a.length > 2) {
      throw new ReplyError("ERR wrong number of arguments for 'rafttransfer' command");
    }
    return cluster(ctx).transfer(a.length === 2 ? addrArg(a[1]) : null);
  }),
  adminCommand("raftsnapshot", 1, (_a, ctx) => cluster(ctx).snapshot()),
  adminCommand("raftshrinklog", 1, (_a, ctx) => cluster(ctx).shrinkLog()),
  adminCommand("raftsnapchunk", 4, (a, ctx) => {
    const seq = Number(ascii(a[2]));
    if (!Number.isSafeInteger(seq) || seq < 0) throw new ReplyError("ERR bad chunk number");
    return cluster(ctx).snapshotChunk(ascii(a[1]), seq, a[3]);
  }),
  adminCommand("raftsnapdone", 5, (a, ctx) => {
    const size = Number(ascii(a[3]));
    if (!Number.isSafeInteger(size) || size < 0) throw new ReplyError("ERR bad snapshot size");
    return cluster(ctx).snapshotDone(ascii(a[1]), a[2], size, ascii(a[4]));
  }),
  adminCommand("raftleader", 1, (_a, ctx) => cluster(ctx).leader()),
  adminCommand("raftstate", 1, (_a, ctx) => new Simple(cluster(ctx).state())),
  adminCommand("raftstats", 1, (_a, ctx) => pairs(cluster(ctx).stats())),
  adminCommand("raftpeers", 1, (_a, ctx) => pairs(cluster(ctx).peers())),
];
