import assert from "node:assert/strict";
import { OK, QUEUED, type Reply, ReplyError } from "../../lib/resp/mod.ts";
import { commandTable } from "../../lib/server/commands/mod.ts";
import type { NodeServices } from "../../lib/server/command.ts";
import { CursorTable } from "../../lib/server/cursors.ts";
import { Dispatcher, unknownCommand } from "../../lib/server/dispatch.ts";
import { Session } from "../../lib/server/session.ts";
import { argv, type Fixture, openFixture } from "../cluster/_fixture.ts";

const td = new TextDecoder();

function services(password: string | null = null): NodeServices {
  return {
    keyspace: () => {
      throw new Error("unused");
    },
    info: () => "",
    sessions: () => [],
    config: () => new Map(),
    shutdown: () => {},
    save: () => Promise.resolve(),
    lastSave: () => 0,
    merge: () => {},
    wait: () => Promise.resolve(1),
    commands: () => commandTable(),
    password: () => password,
  };
}

function dispatcher(f: Fixture, password: string | null = null): Dispatcher {
  return new Dispatcher({
    table: commandTable(),
    store: f.store,
    proposer: f.log,
    node: services(password),
    cursors: new CursorTable(),
    log: () => {},
  });
}

async function replies(d: Dispatcher, session: Session, cmds: string[][]): Promise<Reply[]> {
  const slots = d.run(session, cmds.map((c) => argv(...c)));
  return await Promise.all(slots.map((s) => s.reply));
}

function show(r: Reply): unknown {
  if (r instanceof Uint8Array) return td.decode(r);
  if (r instanceof ReplyError) return `-${r.message}`;
  if (Array.isArray(r)) return r.map(show);
  return r;
}

Deno.test("a pipeline's reads see exactly the writes before them on the same connection", async () => {
  await using f = await openFixture();
  const d = dispatcher(f);
  const s = new Session("c", "l", true);
  const r = await replies(d, s, [
    ["SET", "a", "1"],
    ["GET", "a"],
    ["SET", "a", "2"],
    ["get", "a"],
    ["INCR", "n"],
    ["Get", "n"],
    ["MGET", "a", "n", "missing"],
  ]);
  assert.deepEqual(r.map(show), [OK, "1", OK, "2", 1n, "1", ["2", "1", null]]);
});

Deno.test("MULTI queues, EXEC applies atomically, errors abort as in Redis", async () => {
  await using f = await openFixture();
  const d = dispatcher(f);
  const s = new Session("c", "l", true);
  assert.deepEqual(
    (await replies(d, s, [["MULTI"], ["SET", "k", "v"], ["INCR", "c"], ["GET", "k"], ["EXEC"]]))
      .map(show),
    [OK, QUEUED, QUEUED, QUEUED, [OK, 1n, "v"]],
  );
  assert.deepEqual(
    (await replies(d, s, [["MULTI"], ["SET", "k"], ["SET", "k", "w"], ["EXEC"], ["GET", "k"]])).map(
      show,
    ),
    [
      OK,
      "-ERR wrong number of arguments for 'set' command",
      QUEUED,
      "-EXECABORT Transaction discarded because of previous errors.",
      "v",
    ],
  );
  assert.deepEqual(
    (await replies(d, s, [["EXEC"], ["DISCARD"], ["MULTI"], ["MULTI"], ["DISCARD"]])).map(show),
    [
      "-ERR EXEC without MULTI",
      "-ERR DISCARD without MULTI",
      OK,
      "-ERR MULTI calls can not be nested",
      OK,
    ],
  );
});

Deno.test("unknown commands, arity and authentication use Redis's wording", async () => {
  await using f = await openFixture();
  const d = dispatcher(f, "pw");
  const s = new Session("c", "l", false);
  assert.deepEqual(
    (await replies(d, s, [["FOO", "a", "b"], ["GET"], ["GET", "k"], ["AUTH", "pw"], ["GET", "k"], [
      "__expire",
      "k",
    ]]))
      .map(show),
    [
      "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' ",
      "-ERR wrong number of arguments for 'get' command",
      "-NOAUTH Authentication required.",
      OK,
      null,
      "-ERR unknown command '__expire', with args beginning with: 'k' ",
    ],
  );
  assert.equal(unknownCommand(argv("x", "y".repeat(300))).message.length < 300, true);
});
