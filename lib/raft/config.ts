/**
 * Configuration of the Raft core: timing in ticks, flow-control limits,
 * and what the node starts from. Time is counted in calls to `tick()`; the
 * driver decides how long a tick lasts.
 *
 * @module
 */

import type { RaftStorage } from "./storage.ts";
import type { ConfState, HardState, NodeId } from "./types.ts";

/** Options of `new RaftCore()`. */
export interface RaftConfig {
  /** This node's id (its advertised address). */
  id: NodeId;
  /** Persisted log and snapshot. */
  storage: RaftStorage;
  /** Index the state machine has applied (from its own durable state). @default {0} */
  applied?: number;
  /** Persisted term and vote. @default term 0, no vote */
  hardState?: HardState;
  /**
   * Configuration to use when neither the log nor a snapshot holds one
   * (a new cluster: `[id]` as the only voter; a joining node: empty).
   * @default {{ voters: [], learners: [] }}
   */
  initialConf?: ConfState;
  /** Ticks without hearing from a leader before an election; randomized in [n, 2n). @default {10} */
  electionTicks?: number;
  /** Ticks between heartbeats. @default {1} */
  heartbeatTicks?: number;
  /** Source of numbers in [0, 1) (injected, for deterministic tests). */
  random: () => number;
  /** Pre-vote before real elections (thesis 9.6). @default {true} */
  preVote?: boolean;
  /** Leaders step down without a quorum; voters ignore candidates while they hear a leader. @default {true} */
  checkQuorum?: boolean;
  /** Most entry bytes in one append message. @default {1048576} */
  maxMsgBytes?: number;
  /** Most append messages in flight per follower. @default {64} */
  maxInflightMsgs?: number;
  /** Most bytes in flight per follower. @default {33554432} */
  maxInflightBytes?: number;
  /** Most bytes of proposed, uncommitted entries before proposals are refused. @default {67108864} */
  maxUncommittedBytes?: number;
  /** Most bytes of committed entries handed out in one ready. @default {67108864} */
  maxApplyBytes?: number;
  /** Promote learners automatically once caught up. @default {true} */
  autoPromote?: boolean;
}

/** Config with every default applied. */
export type ResolvedRaftConfig = Required<Omit<RaftConfig, "hardState">> & { hardState: HardState };

/**
 * Applies defaults and checks values.
 *
 * @param c The config.
 * @returns The resolved config.
 * @throws {RangeError} On a bad value.
 */
export function resolveRaftConfig(c: RaftConfig): ResolvedRaftConfig {
  const r: ResolvedRaftConfig = {
    applied: 0,
    hardState: { term: 0, vote: null, commit: 0 },
    initialConf: { voters: [], learners: [] },
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
    maxMsgBytes: 1 << 20,
    maxInflightMsgs: 64,
    maxInflightBytes: 32 << 20,
    maxUncommittedBytes: 64 << 20,
    maxApplyBytes: 64 << 20,
    autoPromote: true,
    ...c,
  } as ResolvedRaftConfig;
  if (!Number.isInteger(r.electionTicks) || r.electionTicks < 3) {
    throw new RangeError(
      `Cannot start Raft: electionTicks must be an integer >= 3, got ${r.electionTicks}`,
    );
  }
  if (
    !Number.isInteger(r.heartbeatTicks) || r.heartbeatTicks < 1 ||
    r.heartbeatTicks >= r.electionTicks
  ) {
    throw new RangeError(
      `Cannot start Raft: heartbeatTicks must be in [1, electionTicks), got ${r.heartbeatTicks}`,
    );
  }
  if (r.id === "") throw new RangeError("Cannot start Raft: id is empty");
  return r;
}
