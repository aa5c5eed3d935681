/**
 * Connection and server commands: PING, ECHO, TIME, SELECT, AUTH, HELLO,
 * CLIENT, COMMAND, CONFIG, INFO, WAIT, SAVE, SHUTDOWN, ... These act on the
 * connection or the node and are not replicated (PING, ECHO and TIME are
 * plain reads, so they may also run inside MULTI).
 *
 * @module
 */

import { OK, PONG, type Reply, ReplyError, RespMap, Simple, Verbatim } from "../../resp/mod.ts";
import {
  ascii,
  int32Arg,
  int64Arg,
  isWord,
  lower,
  parseInt64,
  parseSafeInt,
  SYNTAX,
} from "../args.ts";
import { arityOk, type CommandSpec, type ServerContext } from "../command.ts";
import type { Session } from "../session.ts";
import { globMatch } from "../glob.ts";
import { adminCommand, readCommand } from "./spec.ts";

/** The Redis version bitraft reports to clients (its command set follows Redis 7). */
export const REDIS_VERSION = "7.0.0";

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

function subcommandArity(parent: string, sub: string): ReplyError {
  return new ReplyError(`ERR wrong number of arguments for '${parent}|${sub}' command`);
}

function unknownSubcommand(parent: string, sub: Uint8Array): ReplyError {
  return new ReplyError(
    `ERR unknown subcommand '${ascii(sub).slice(0, 128)}'. Try ${parent.toUpperCase()} HELP.`,
  );
}

/** Checks a password for AUTH and HELLO ... AUTH; marks the session. */
function authenticate(ctx: ServerContext, user: Uint8Array | null, pass: Uint8Array): void {
  const want = ctx.node.password();
  if (want === null) {
    if (user === null) {
      throw new ReplyError(
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
      );
    }
    if (!isWord(user, "default")) throw new ReplyError(WRONGPASS);
    ctx.session.authenticated = true;
    return;
  }
  if ((user !== null && !isWord(user, "default")) || !bytesEqual(pass, want)) {
    throw new ReplyError(WRONGPASS);
  }
  ctx.session.authenticated = true;
}

function bytesEqual(a: Uint8Array, s: string): boolean {
  const b = new TextEncoder().encode(s);
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function helloCommand(args: Uint8Array[], ctx: ServerContext): Reply {
  let proto = ctx.session.protocol;
  let i = 1;
  if (args.length >= 2) {
    const v = parseSafeInt(args[1]);
    if (v === null) throw new ReplyError("ERR Protocol version is not an integer or out of range");
    if (v !== 2 && v !== 3) throw new ReplyError("NOPROTO unsupported protocol version");
    proto = v;
    i = 2;
  }
  let name: string | null = null;
  let auth: [Uint8Array, Uint8Array] | null = null;
  for (; i < args.length; i++) {
    if (isWord(args[i], "auth") && i + 2 < args.length) {
      auth = [args[i + 1], args[i + 2]];
      i += 2;
    } else if (isWord(args[i], "setname") && i + 1 < args.length) {
      name = checkName(args[++i]);
    } else {
      throw new ReplyError(`ERR Syntax error in HELLO option '${ascii(args[i])}'`);
    }
  }
  if (auth !== null) authenticate(ctx, auth[0], auth[1]);
  if (!ctx.session.authenticated) {
    throw new ReplyError(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  }
  if (name !== null) ctx.session.name = name;
  ctx.session.protocol = proto as 2 | 3;
  return new RespMap([
    ["server", "redis"],
    ["version", REDIS_VERSION],
    ["proto", proto],
    ["id", ctx.session.id],
    ["mode", "standalone"],
    ["role", "master"],
    ["modules", []],
  ]);
}

function checkName(b: Uint8Array): string {
  for (const c of b) {
    if (c < 33 || c > 126) {
      throw new ReplyError(
        "ERR Client names cannot contain spaces, newlines or special characters.",
      );
    }
  }
  return ascii(b);
}

/** CLIENT SETINFO LIB-NAME|LIB-VER value, with Redis 7.2's checks and texts. */
function setInfo(s: Session, attr: Uint8Array, value: Uint8Array): void {
  const name = isWord(attr, "lib-name");
  if (!name && !isWord(attr, "lib-ver")) {
    throw new ReplyError(`ERR Unrecognized option '${ascii(attr)}'`);
  }
  if (value.some((c) => c < 33 || c > 126)) {
    throw new ReplyError(
      `ERR ${ascii(attr)} cannot contain spaces, newlines or special characters.`,
    );
  }
  if (name) s.libName = ascii(value);
  else s.libVersion = ascii(value);
}

const CLIENT_TYPES = ["normal", "slave", "replica", "pubsub", "master"];

/** The lines of CLIENT LIST [TYPE type | ID id [id ...]], as Redis selects them. */
function clientList(args: Uint8Array[], ctx: ServerContext): string[] {
  const now = Date.now();
  const all = [...ctx.node.sessions()];
  if (args.length === 4 && isWord(args[2], "type")) {
    if (!CLIENT_TYPES.some((t) => isWord(args[3], t))) {
      throw new ReplyError(`ERR Unknown client type '${ascii(args[3])}'`);
    }
    return isWord(args[3], "normal") ? all.map((x) => x.describe(now)) : [];
  }
  if (args.length > 3 && isWord(args[2], "id")) {
    const lines: string[] = [];
    for (const a of args.slice(3)) {
      const id = parseInt64(a);
      if (id === null) throw new ReplyError("ERR Invalid client ID");
      const found = all.find((x) => BigInt(x.id) === id);
      if (found !== undefined) lines.push(found.describe(now));
    }
    return lines;
  }
  if (args.length !== 2) throw new ReplyError(SYNTAX);
  return all.map((x) => x.describe(now));
}

function clientCommand(args: Uint8Array[], ctx: ServerContext): Reply {
  const sub = lower(args[1]);
  const s = ctx.session;
  const need = (n: number) => {
    if (args.length !== n) throw subcommandArity("client", sub);
  };
  switch (sub) {
    case "id":
      need(2);
      return s.id;
    case "getname":
      need(2);
      return s.name === "" ? null : s.name;
    case "setname":
      need(3);
      s.name = checkName(args[2]);
      return OK;
    case "setinfo":
      need(4);
      setInfo(s, args[2], args[3]);
      return OK;
    case "info":
      need(2);
      return new Verbatim("txt", s.describe(Date.now()) + "\n");
    case "list":
      return new Verbatim("txt", clientList(args, ctx).map((x) => x + "\n").join(""));
    case "no-evict":
    case "no-touch":
      need(3);
      return OK;
    case "reply": {
      need(3);
      const mode = lower(args[2]);
      if (mode !== "on" && mode !== "off" && mode !== "skip") throw new ReplyError(SYNTAX);
      ctx.session.replyMode = mode;
      return OK;
    }
    case "help":
      return [
        "CLIENT <subcommand> [<arg> ...]. Subcommands are:",
        "ID, GETNAME, SETNAME <name>, SETINFO <LIB-NAME|LIB-VER> <value>, INFO, LIST [ID <id> ...]",
      ].map((t) => new Simple(t));
    default:
      throw unknownSubcommand("client", args[1]);
  }
}

function commandInfo(spec: CommandSpec): Reply {
  return [
    spec.name,
    spec.arity,
    spec.flags.map((f) => new Simple(f)),
    spec.keys[0],
    spec.keys[1],
    spec.keys[2],
    [],
    [],
    [],
    [],
  ];
}

function commandCommand(args: Uint8Array[], ctx: ServerContext): Reply {
  const table = ctx.node.commands();
  const visible = [...table.values()].filter((c) => !c.name.startsWith("__"));
  if (args.length === 1) return visible.map(commandInfo);
  const sub = lower(args[1]);
  const lookup = (a: Uint8Array) => {
    const c = table.get(lower(a));
    return c === undefined || c.name.startsWith("__") ? undefined : c;
  };
  switch (sub) {
    case "count":
      if (args.length !== 2) throw subcommandArity("command", sub);
      return visible.length;
    case "info":
      if (args.length === 2) return visible.map(commandInfo);
      return args.slice(2).map((a) => {
        const c = lookup(a);
        return c === undefined ? null : commandInfo(c);
      });
    case "docs": {
      const names = args.length === 2 ? visible : args.slice(2).map(lookup).filter((c) => c);
      return new RespMap(
        (names as CommandSpec[]).map((c) => [
          c.name,
          new RespMap([["summary", `The ${c.name.toUpperCase()} command`], ["group", "generic"]]),
        ]),
      );
    }
    case "list":
      return visible.map((c) => c.name);
    case "getkeys": {
      if (args.length < 4) throw subcommandArity("command", sub);
      const c = lookup(args[2]);
      if (c === undefined) throw new ReplyError("ERR Invalid command specified");
      const [first, last, step] = c.keys;
      if (first === 0) throw new ReplyError("ERR The command has no key arguments");
      const argv = args.slice(2);
      if (!arityOk(c, argv.length)) {
        throw new ReplyError("ERR Invalid number of arguments specified for command");
      }
      const end = last < 0 ? argv.length + last : last;
      const keys: Reply[] = [];
      for (let i = first; i <= end && i < argv.length; i += step) keys.push(argv[i]);
      return keys;
    }
    case "help":
      return ["COMMAND [COUNT|INFO|DOCS|LIST|GETKEYS]"].map((t) => new Simple(t));
    default:
      throw unknownSubcommand("command", args[1]);
  }
}

function configCommand(args: Uint8Array[], ctx: ServerContext): Reply {
  const sub = lower(args[1]);
  if (sub === "get") {
    if (args.length < 3) throw subcommandArity("config", sub);
    const out: [Reply, Reply][] = [];
    const seen = new Set<string>();
    for (const [name, value] of ctx.node.config()) {
      const nb = new TextEncoder().encode(name);
      if (seen.has(name)) continue;
      if (args.slice(2).some((p) => globMatch(p, nb, true))) {
        out.push([name, value]);
        seen.add(name);
      }
    }
    return new RespMap(out);
  }
  if (sub === "resetstat") return OK;
  if (sub === "set") {
    if (args.length < 4 || args.length % 2 !== 0) throw subcommandArity("config", sub);
    throw new ReplyError(
      `ERR Unknown option or number of arguments for CONFIG SET - '${ascii(args[2])}'`,
    );
  }
  if (sub === "help") return ["CONFIG GET <pattern>"].map((t) => new Simple(t));
  throw unknownSubcommand("config", args[1]);
}

/** FUNCTION FLUSH [ASYNC|SYNC]: there are no functions, so only the arguments are checked. */
function functionFlush(args: Uint8Array[]): Reply {
  if (args.length > 3) {
    throw new ReplyError(
      `ERR unknown subcommand or wrong number of arguments for '${
        ascii(args[1]).slice(0, 128)
      }'. Try FUNCTION HELP.`,
    );
  }
  if (args.length === 3 && !isWord(args[2], "async") && !isWord(args[2], "sync")) {
    throw new ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  return OK;
}

function shutdownCommand(args: Uint8Array[], ctx: ServerContext): Reply {
  for (const a of args.slice(1)) {
    if (isWord(a, "abort")) throw new ReplyError("ERR No shutdown in progress.");
    if (!["nosave", "save", "now", "force"].some((w) => isWord(a, w))) {
      throw new ReplyError(SYNTAX);
    }
  }
  ctx.session.shutdownAfterReply = true;
  return OK;
}

/** The connection and server commands. */
export const SERVER_COMMANDS: CommandSpec[] = [
  readCommand("ping", -1, [0, 0, 0], (_ks, a) => {
    if (a.length > 2) throw new ReplyError("ERR wrong number of arguments for 'ping' command");
    return a.length === 2 ? a[1] : PONG;
  }),
  readCommand("echo", 2, [0, 0, 0], (_ks, a) => a[1]),
  readCommand("time", 1, [0, 0, 0], () => {
    const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    return [String(Math.floor(us / 1e6)), String(us % 1e6)];
  }),
  // A read in form (it touches nothing), so that it may also be queued inside MULTI.
  readCommand("select", 2, [0, 0, 0], (_ks, a) => {
    if (int32Arg(a[1]) !== 0) throw new ReplyError("ERR DB index is out of range");
    return OK;
  }, ["loading", "stale", "fast"]),
  adminCommand("auth", -2, (a, ctx) => {
    if (a.length > 3) throw new ReplyError(SYNTAX);
    authenticate(ctx, a.length === 3 ? a[1] : null, a[a.length - 1]);
    return OK;
  }, { noAuth: true }),
  adminCommand("hello", -1, helloCommand, { noAuth: true }),
  adminCommand("client", -2, clientCommand, { subcommands: true }),
  adminCommand("command", -1, commandCommand, { subcommands: true }),
  adminCommand("config", -2, configCommand, { subcommands: true }),
  adminCommand("info", -1, (a, ctx) => {
    const text = ctx.node.info(a.slice(1).map((x) => lower(x)));
    return new Verbatim("txt", text);
  }),
  adminCommand("wait", 3, async (a, ctx) => {
    const n = Number(int64Arg(a[1]));
    const timeout = parseInt64(a[2]);
    if (timeout === null) throw new ReplyError("ERR timeout is not an integer or out of range");
    if (timeout < 0n) throw new ReplyError("ERR timeout is negative");
    return await ctx.node.wait(n, Number(timeout));
  }),
  adminCommand("lastsave", 1, (_a, ctx) => ctx.node.lastSave()),
  adminCommand("save", 1, async (_a, ctx) => {
    await ctx.node.save();
    return OK;
  }),
  adminCommand("bgsave", -1, (a, ctx) => {
    if (a.length > 2 || (a.length === 2 && !isWord(a[1], "schedule"))) {
      throw new ReplyError(SYNTAX);
    }
    ctx.node.save().catch(() => {});
    return new Simple("Background saving started");
  }),
  adminCommand("bgrewriteaof", 1, (_a, ctx) => {
    ctx.node.merge();
    return new Simple("Background append only file rewriting started");
  }),
  adminCommand("function", -2, (a) => {
    if (isWord(a[1], "flush")) return functionFlush(a);
    if (isWord(a[1], "list")) return [];
    throw unknownSubcommand("function", a[1]);
  }),
  adminCommand("shutdown", -1, shutdownCommand),
  adminCommand("quit", -1, (_a, ctx) => {
    ctx.session.closeAfterReply = true;
    return OK;
  }, { noAuth: true, inMulti: true }),
  adminCommand("reset", 1, (_a, ctx) => {
    const s = ctx.session;
    s.multi = null;
    s.multiFailed = false;
    s.protocol = 2;
    s.name = "";
    s.authenticated = ctx.node.password() === null;
    return new Simple("RESET");
  }, { noAuth: true, inMulti: true }),
];
