/**
 * Raft data types shared by the pure core, its storage and the driver:
 * entries, hard state, configurations and the messages nodes exchange.
 * Node ids are the nodes' advertised addresses (host:port).
 *
 * @module
 */

/** A node's id: its advertised address, host:port. */
export type NodeId = string;

/** What an entry's data holds (its first byte). */
export const ENTRY_NOOP = 0;
/** An application operation (the byte is the operation format's version, 1). */
export const ENTRY_OP = 1;
/** A configuration change: the full new configuration, JSON. */
export const ENTRY_CONF = 2;

/** A log entry. */
export interface Entry {
  /** Position in the log, from 1. */
  index: number;
  /** Term of the leader that created it. */
  term: number;
  /** First byte: ENTRY_NOOP, ENTRY_OP or ENTRY_CONF; the rest depends on it. */
  data: Uint8Array;
}

/** The state that must be on disk before any message that depends on it is sent. */
export interface HardState {
  /** Current term. */
  term: number;
  /** Who this node voted for in `term`, if anyone. */
  vote: NodeId | null;
  /** Highest index known committed (not needed for safety; speeds up restart). */
  commit: number;
}

/** A cluster configuration: who votes and who only replicates. */
export interface ConfState {
  /** Voting members. */
  voters: NodeId[];
  /** Non-voting members (catching up before promotion). */
  learners: NodeId[];
}

/** A requested membership change. */
export type ConfChange =
  | { type: "addLearner"; node: NodeId }
  | { type: "promote"; node: NodeId }
  | { type: "remove"; node: NodeId };

/** Metadata of a snapshot: the last entry it covers and the configuration then. */
export interface SnapshotMeta {
  /** Index of the last entry included. */
  index: number;
  /** Term of that entry. */
  term: number;
  /** Configuration as of that entry. */
  conf: ConfState;
}

interface Base {
  /** Sender. */
  from: NodeId;
  /** Recipient. */
  to: NodeId;
  /** Sender's term (0 for messages that carry none). */
  term: number;
}

/** Leader -> follower: entries after (prevIndex, prevTerm), and the commit index. */
export interface AppendMessage extends Base {
  /** Discriminator. */
  type: "append";
  /** Index of the entry before `entries`. */
  prevIndex: number;
  /** Its term. */
  prevTerm: number;
  /** New entries (may be empty: a probe). */
  entries: Entry[];
  /** Leader's commit index. */
  commit: number;
}

/** Follower -> leader: result of an append. */
export interface AppendResponse extends Base {
  /** Discriminator. */
  type: "appendResp";
  /** True if the entries were appended (index is then the follower's last index). */
  reject: boolean;
  /** Accepted: last index now matching. Rejected: the prevIndex that did not match. */
  index: number;
  /** Rejected: a hint, the index the leader should try next (follower's last index + 1 or a term boundary). */
  hint: number;
}

/** Leader -> follower: keep-alive with commit, and read-index round context. */
export interface HeartbeatMessage extends Base {
  /** Discriminator. */
  type: "heartbeat";
  /** min(follower's match, leader's commit). */
  commit: number;
  /** Read-index round this heartbeat belongs to (0: none). */
  round: number;
  /** Leader's tick when it sent this (echoed back, for the lease). */
  sentAt: number;
}

/** Follower -> leader: heartbeat acknowledged. */
export interface HeartbeatResponse extends Base {
  /** Discriminator. */
  type: "heartbeatResp";
  /** Echo of the heartbeat's round. */
  round: number;
  /** Echo of the heartbeat's sentAt. */
  sentAt: number;
}

/** Candidate -> voter: (pre-)vote request. */
export interface VoteMessage extends Base {
  /** Discriminator. */
  type: "vote";
  /** Pre-vote: `term` is the term the candidate would use; nobody changes term. */
  pre: boolean;
  /** Candidate's last log index. */
  lastIndex: number;
  /** Candidate's last log term. */
  lastTerm: number;
  /** Sent because the leader handed leadership over: bypasses the leader lease. */
  transfer: boolean;
}

/** Voter -> candidate. */
export interface VoteResponse extends Base {
  /** Discriminator. */
  type: "voteResp";
  /** Pre-vote answer. */
  pre: boolean;
  /** Whether the vote is granted. */
  granted: boolean;
}

/** Leader -> follower: install the snapshot (the driver moves the bytes). */
export interface SnapshotMessage extends Base {
  /** Discriminator. */
  type: "snapshot";
  /** What the snapshot covers. */
  meta: SnapshotMeta;
  /** Leader's commit index. */
  commit: number;
}

/** Leader -> transfer target: campaign now. */
export interface TimeoutNowMessage extends Base {
  /** Discriminator. */
  type: "timeoutNow";
}

/** Follower -> leader: what index must a read wait for? */
export interface ReadIndexMessage extends Base {
  /** Discriminator. */
  type: "readIndex";
  /** Follower's request ids. */
  ids: number[];
}

/** Leader -> follower: answer to a read-index request. */
export interface ReadIndexResponse extends Base {
  /** Discriminator. */
  type: "readIndexResp";
  /** Echo of the request ids. */
  ids: number[];
  /** The read may run once the follower has applied this index (0: refused, retry). */
  index: number;
}

/** Every message. */
export type Message =
  | AppendMessage
  | AppendResponse
  | HeartbeatMessage
  | HeartbeatResponse
  | VoteMessage
  | VoteResponse
  | SnapshotMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexResponse;

/** A node's role. */
export type Role = "follower" | "candidate" | "precandidate" | "leader";

/** A read that may proceed once the local applied index reaches `index`. */
export interface ReadState {
  /** The caller's request id. */
  id: number;
  /** Index to wait for; 0 means the read was refused (no leader, lost leadership): retry or fail. */
  index: number;
}

/**
 * Encodes a configuration as a conf-change entry's data.
 *
 * @param conf The full new configuration.
 * @returns Entry data.
 */
export function encodeConf(conf: ConfState): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(conf));
  const out = new Uint8Array(json.length + 1);
  out[0] = ENTRY_CONF;
  out.set(json, 1);
  return out;
}

/**
 * Decodes a conf-change entry's data.
 *
 * @param data Entry data (first byte ENTRY_CONF).
 * @returns The configuration.
 */
export function decodeConf(data: Uint8Array): ConfState {
  const c = JSON.parse(new TextDecoder().decode(data.subarray(1)));
  return { voters: [...c.voters], learners: [...c.learners] };
}

/** Data of a no-op entry. */
export const NOOP_DATA: Uint8Array = new Uint8Array([ENTRY_NOOP]);
