/**
 * Connection and server commands against a real bitraft process: redis-cli
 * transcripts (expected text from Redis 7.0 unless a step says otherwise)
 * and raw RESP2/RESP3 checks of HELLO, INFO, CLIENT, COMMAND, CONFIG, TIME,
 * WAIT and the save commands.
 */

import assert from "node:assert/strict";
import { command, RawClient, type RawReply, text } from "./_resp_client.ts";
import { startServer } from "./_server.ts";
import { cli, transcript } from "./_commands.ts";

const te = new TextEncoder();

function bulk(s: string): RawReply {
  return { type: "bulk", value: te.encode(s) };
}

function int(n: number): RawReply {
  return { type: "int", value: BigInt(n) };
}

/** The items of an array (RESP2) or aggregate (RESP3) reply. */
function items(r: RawReply): RawReply[] {
  if (r.type === "array" && r.value !== null) return r.value;
  if (r.type === "other" && Array.isArray(r.value)) return r.value;
  throw new Error(`not an aggregate: ${JSON.stringify(r)}`);
}

/** A map reply (RESP3 `%`, or a flat RESP2 array) as [key, value] pairs. */
function pairs(r: RawReply): [string, RawReply][] {
  const flat = items(r);
  const out: [string, RawReply][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([text(flat[i]) as string, flat[i + 1]]);
  return out;
}

/** A verbatim (`=`) or bulk reply's text, without the verbatim format prefix. */
function verbatim(r: RawReply): string {
  if (r.type === "other" && r.prefix === "=") {
    assert.equal((r.value as string).slice(0, 4), "txt:");
    return (r.value as string).slice(4);
  }
  return text(r) as string;
}

Deno.test("server and connection commands reply like Redis 7", async (t) => {
  await using server = await startServer();
  const p = server.port;

  await t.step("PING and ECHO", () =>
    transcript(
      server.port,
      String.raw`
> PING
PONG
> PING hello
"hello"
> PING "a b"
"a b"
> PING a b
(error) ERR wrong number of arguments for 'ping' command
> ECHO hi
"hi"
> ECHO ""
""
> ECHO
(error) ERR wrong number of arguments for 'echo' command
> ECHO a b
(error) ERR wrong number of arguments for 'echo' command
`,
    ));

  await t.step("SELECT: only database 0 exists, any other index is out of range", () =>
    transcript(
      server.port,
      String.raw`
> SELECT 0
OK
> SELECT 1
(error) ERR DB index is out of range
> SELECT -1
(error) ERR DB index is out of range
> SELECT x
(error) ERR value is not an integer or out of range
> SELECT 2147483648
(error) ERR value is out of range, value must between -2147483648 and 2147483647
> SELECT 0 1
(error) ERR wrong number of arguments for 'select' command
`,
    ));

  await t.step("AUTH without a configured password", () =>
    transcript(
      server.port,
      String.raw`
> AUTH foo
(error) ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?
> AUTH default foo
OK
> AUTH bob foo
(error) WRONGPASS invalid username-password pair or user is disabled.
> AUTH a b c
(error) ERR syntax error
> AUTH
(error) ERR wrong number of arguments for 'auth' command
`,
    ));

  await t.step("HELLO errors", () =>
    transcript(
      server.port,
      String.raw`
> HELLO 4
(error) NOPROTO unsupported protocol version
> HELLO 1
(error) NOPROTO unsupported protocol version
> HELLO x
(error) ERR Protocol version is not an integer or out of range
> HELLO 2 FOO
(error) ERR Syntax error in HELLO option 'FOO'
> HELLO 2 AUTH default
(error) ERR Syntax error in HELLO option 'AUTH'
> HELLO 2 SETNAME "a b"
(error) ERR Client names cannot contain spaces, newlines or special characters.
`,
    ));

  await t.step("CLIENT: names and errors", () =>
    transcript(
      server.port,
      String.raw`
> CLIENT ID x
(error) ERR wrong number of arguments for 'client|id' command
> CLIENT GETNAME
(nil)
> CLIENT SETNAME foo
OK
> CLIENT GETNAME
"foo"
> CLIENT SETNAME "a b"
(error) ERR Client names cannot contain spaces, newlines or special characters.
> CLIENT SETNAME "a\nb"
(error) ERR Client names cannot contain spaces, newlines or special characters.
> CLIENT GETNAME
"foo"
> CLIENT SETNAME ""
OK
> CLIENT GETNAME
(nil)
> CLIENT SETNAME
(error) ERR wrong number of arguments for 'client|setname' command
> CLIENT GETNAME x
(error) ERR wrong number of arguments for 'client|getname' command
> CLIENT FOO
(error) ERR unknown subcommand 'FOO'. Try CLIENT HELP.
> CLIENT
(error) ERR wrong number of arguments for 'client' command
`,
    ));

  await t.step("CLIENT LIST: filters and errors", () =>
    transcript(
      server.port,
      String.raw`
> CLIENT LIST foo
ERR syntax error
> CLIENT LIST TYPE foo
ERR Unknown client type 'foo'
> CLIENT LIST TYPE normal x
ERR syntax error
> CLIENT LIST ID
ERR syntax error
> CLIENT LIST ID x
ERR Invalid client ID
> CLIENT LIST ID 1 x
ERR Invalid client ID
> CLIENT LIST ID 999999999
> CLIENT LIST TYPE master
> CLIENT LIST TYPE pubsub
`,
    ));

  await t.step("COMMAND subcommands' errors, GETKEYS", () =>
    transcript(
      server.port,
      String.raw`
> COMMAND COUNT x
(error) ERR wrong number of arguments for 'command|count' command
> COMMAND FOO
(error) ERR unknown subcommand 'FOO'. Try COMMAND HELP.
> COMMAND INFO nosuch
1) (nil)
> COMMAND DOCS nosuch
(empty array)
> COMMAND GETKEYS get a
1) "a"
> COMMAND GETKEYS mset a 1 b 2
1) "a"
2) "b"
> COMMAND GETKEYS nosuch a
(error) ERR Invalid command specified
> COMMAND GETKEYS ping
(error) ERR wrong number of arguments for 'command|getkeys' command
`,
    ));

  await t.step("CONFIG GET and errors", () =>
    transcript(
      server.port,
      String.raw`
> CONFIG GET save
1) "save"
2) ""
> CONFIG GET nosuchthing
(empty array)
> CONFIG GET
(error) ERR wrong number of arguments for 'config|get' command
> CONFIG FOO
(error) ERR unknown subcommand 'FOO'. Try CONFIG HELP.
> CONFIG
(error) ERR wrong number of arguments for 'config' command
> CONFIG SET foo bar
(error) ERR Unknown option or number of arguments for CONFIG SET - 'foo'
`,
    ));

  await t.step("WAIT errors", () =>
    transcript(
      server.port,
      String.raw`
> WAIT 0 -1
(error) ERR timeout is negative
> WAIT x 0
(error) ERR value is not an integer or out of range
> WAIT 0 x
(error) ERR timeout is not an integer or out of range
> WAIT 0
(error) ERR wrong number of arguments for 'wait' command
`,
    ));

  await t.step("FUNCTION FLUSH", () =>
    transcript(
      server.port,
      String.raw`
> FUNCTION FLUSH
OK
> FUNCTION FLUSH ASYNC
OK
> FUNCTION FLUSH sync
OK
> FUNCTION FLUSH foo
(error) ERR FUNCTION FLUSH only supports SYNC|ASYNC option
> FUNCTION FLUSH a b
(error) ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.
> FUNCTION FOO
(error) ERR unknown subcommand 'FOO'. Try FUNCTION HELP.
> FUNCTION
(error) ERR wrong number of arguments for 'function' command
`,
    ));

  await t.step("wrong arity of server commands", () =>
    transcript(
      server.port,
      String.raw`
> BGSAVE foo
(error) ERR syntax error
> SAVE x
(error) ERR wrong number of arguments for 'save' command
> LASTSAVE x
(error) ERR wrong number of arguments for 'lastsave' command
> TIME x
(error) ERR wrong number of arguments for 'time' command
> DBSIZE x
(error) ERR wrong number of arguments for 'dbsize' command
> RANDOMKEY x
(error) ERR wrong number of arguments for 'randomkey' command
> BGREWRITEAOF x
(error) ERR wrong number of arguments for 'bgrewriteaof' command
`,
    ));

  await t.step("unknown command: Redis 7 wording with the arguments", () =>
    transcript(
      server.port,
      String.raw`
> FOOBAR
(error) ERR unknown command 'FOOBAR', with args beginning with: 
> FOOBAR a b c
(error) ERR unknown command 'FOOBAR', with args beginning with: 'a' 'b' 'c' 
> foobar "a b" c
(error) ERR unknown command 'foobar', with args beginning with: 'a b' 'c' 
> FOOBAR 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
(error) ERR unknown command 'FOOBAR', with args beginning with: '1' '2' '3' '4' '5' '6' '7' '8' '9' '10' '11' '12' '13' '14' '15' '16' '17' '18' '19' '20' '21' '22' '23' '24' '25' '26' '27' '28' 
> FOOBAR aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
(error) ERR unknown command 'FOOBAR', with args beginning with: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' 
`,
    ));

  await t.step("wrong number of arguments; command names are case-insensitive", () =>
    transcript(
      server.port,
      String.raw`
> GET
(error) ERR wrong number of arguments for 'get' command
> get
(error) ERR wrong number of arguments for 'get' command
> GeT
(error) ERR wrong number of arguments for 'get' command
> SET a
(error) ERR wrong number of arguments for 'set' command
> SET
(error) ERR wrong number of arguments for 'set' command
> DEL
(error) ERR wrong number of arguments for 'del' command
> MGET
(error) ERR wrong number of arguments for 'mget' command
> MSET
(error) ERR wrong number of arguments for 'mset' command
> KEYS
(error) ERR wrong number of arguments for 'keys' command
> EXISTS
(error) ERR wrong number of arguments for 'exists' command
> GETRANGE a 1
(error) ERR wrong number of arguments for 'getrange' command
> INCR
(error) ERR wrong number of arguments for 'incr' command
> INCRBY a
(error) ERR wrong number of arguments for 'incrby' command
> SETEX a 1
(error) ERR wrong number of arguments for 'setex' command
> RENAME a
(error) ERR wrong number of arguments for 'rename' command
> TYPE
(error) ERR wrong number of arguments for 'type' command
> SCAN
(error) ERR wrong number of arguments for 'scan' command
`,
    ));

  await t.step("HELLO 2 and 3: the server map, RESP3 on the wire", async () => {
    const c = await RawClient.connect(p);
    try {
      const id = Number(text(await c.call("CLIENT", "ID")));
      // RESP2: a flat array.
      const two = await c.call("HELLO", "2");
      assert.equal(two.type, "array");
      const fields = (proto: number): [string, RawReply][] => [
        ["server", bulk("redis")],
        ["version", bulk("7.0.0")],
        ["proto", int(proto)],
        ["id", int(id)],
        ["mode", bulk("standalone")],
        ["role", bulk("master")],
        ["modules", { type: "array", value: [] }],
      ];
      assert.deepEqual(pairs(two), fields(2));
      assert.equal(text(await c.call("GET", "nokey")), null);
      await c.send("*2\r\n$3\r\nGET\r\n$5\r\nnokey\r\n");
      assert.deepEqual(await c.read(), { type: "bulk", value: null }, "RESP2 null bulk");
      // RESP3: a map; nulls, maps and verbatim strings use RESP3 types.
      const three = await c.call("HELLO", "3");
      assert.equal(three.type, "other");
      assert.equal(three.type === "other" && three.prefix, "%");
      assert.deepEqual(pairs(three), fields(3));
      assert.deepEqual(await c.call("GET", "nokey"), { type: "other", prefix: "_", value: "" });
      assert.deepEqual(pairs(await c.call("HELLO")), fields(3), "HELLO alone keeps the protocol");
      const cfg = await c.call("CONFIG", "GET", "save");
      assert.equal(cfg.type === "other" && cfg.prefix, "%");
      assert.deepEqual(pairs(cfg), [["save", bulk("")]]);
      const info = await c.call("INFO", "keyspace");
      assert.equal(info.type === "other" && info.prefix, "=");
      assert.match(verbatim(info), /^# Keyspace\r\n/);
      assert.equal(text(await c.call("SET", "h3", "1")), "OK");
      assert.deepEqual(await c.call("MGET", "h3", "nokey"), {
        type: "array",
        value: [bulk("1"), { type: "other", prefix: "_", value: "" }],
      });
      // SETNAME and AUTH options; back to RESP2.
      const named = await c.call("HELLO", "2", "SETNAME", "hello-name");
      assert.deepEqual(pairs(named), fields(2));
      assert.equal(text(await c.call("CLIENT", "GETNAME")), "hello-name");
      const authed = await c.call("HELLO", "3", "AUTH", "default", "anything");
      assert.deepEqual(pairs(authed), fields(3), "no password set: the default user takes any");
      const wrong = await c.call("HELLO", "3", "AUTH", "bob", "x");
      assert.deepEqual(wrong, {
        type: "error",
        value: "WRONGPASS invalid username-password pair or user is disabled.",
      });
      assert.deepEqual(pairs(await c.call("HELLO")), fields(3), "a failed HELLO changes nothing");
    } finally {
      c.close();
    }
  });

  await t.step("INFO: sections and INFO keyspace", async () => {
    assert.equal(await cli(p, "FLUSHALL"), "OK\n");
    const all = await cli(p, "INFO");
    const sections = [...all.matchAll(/^# (\w+)\r$/gm)].map((m) => m[1]);
    for (
      const s of ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "Keyspace"]
    ) {
      assert.ok(sections.includes(s), `INFO has # ${s}: ${sections}`);
    }
    assert.match(all, /^redis_version:7\.0\.0\r$/m);
    assert.match(all, /^redis_mode:standalone\r$/m);
    assert.match(all, new RegExp(`^tcp_port:${p}\r$`, "m"));
    assert.match(all, /^connected_clients:\d+\r$/m);
    assert.match(all, /^role:master\r$/m);
    assert.match(all, /^total_commands_processed:\d+\r$/m);
    assert.equal(await cli(p, "INFO", "keyspace"), "# Keyspace\r\n");
    assert.equal(await cli(p, "MSET", "i1", "1", "i2", "2"), "OK\n");
    assert.equal(await cli(p, "SET", "i3", "3", "EX", "100"), "OK\n");
    assert.equal(
      await cli(p, "INFO", "keyspace"),
      "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n",
    );
    assert.equal(await cli(p, "info", "KEYSPACE"), await cli(p, "INFO", "keyspace"));
    const server = await cli(p, "INFO", "server");
    assert.match(server, /^# Server\r\n/);
    assert.doesNotMatch(server, /# Keyspace/);
    const two = await cli(p, "INFO", "server", "keyspace");
    assert.match(two, /# Server/);
    assert.match(two, /# Keyspace\r\ndb0:keys=3,/);
    assert.doesNotMatch(two, /# Clients/);
    assert.equal(await cli(p, "INFO", "nosuchsection"), "");
  });

  await t.step("CLIENT ID, SETNAME, GETNAME, SETINFO, INFO, LIST", async () => {
    const a = await RawClient.connect(p);
    const b = await RawClient.connect(p);
    try {
      const idA = Number(text(await a.call("CLIENT", "ID")));
      const idB = Number(text(await b.call("client", "id")));
      assert.ok(idA > 0 && idB > 0 && idA !== idB);
      assert.equal(text(await a.call("CLIENT", "GETNAME")), null);
      assert.equal(text(await a.call("CLIENT", "SETNAME", "conn-a")), "OK");
      assert.equal(text(await b.call("CLIENT", "SETNAME", "conn-b")), "OK");
      assert.equal(text(await a.call("CLIENT", "GETNAME")), "conn-a");
      assert.equal(text(await a.call("CLIENT", "SETINFO", "LIB-NAME", "mylib")), "OK");
      assert.equal(text(await a.call("CLIENT", "SETINFO", "lib-ver", "1.2.3")), "OK");
      // Redis 7.2 texts (SETINFO is newer than 7.0).
      assert.deepEqual(await a.call("CLIENT", "SETINFO", "lib-name", "a b"), {
        type: "error",
        value: "ERR lib-name cannot contain spaces, newlines or special characters.",
      });
      assert.deepEqual(await a.call("CLIENT", "SETINFO", "LIB-VER", "1\n"), {
        type: "error",
        value: "ERR LIB-VER cannot contain spaces, newlines or special characters.",
      });
      assert.deepEqual(await a.call("CLIENT", "SETINFO", "foo", "bar"), {
        type: "error",
        value: "ERR Unrecognized option 'foo'",
      });
      assert.deepEqual(await a.call("CLIENT", "SETINFO", "lib-name"), {
        type: "error",
        value: "ERR wrong number of arguments for 'client|setinfo' command",
      });
      const info = verbatim(await a.call("CLIENT", "INFO"));
      assert.match(info, /^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ .*\n$/);
      assert.equal(info.split("\n").length, 2, "one line");
      for (
        const f of [
          `id=${idA} `,
          " name=conn-a ",
          " db=0 ",
          " resp=2",
          " lib-name=mylib",
          " lib-ver=1.2.3",
        ]
      ) {
        assert.ok(info.includes(f), `${f} in ${info}`);
      }
      const list = verbatim(await a.call("CLIENT", "LIST"));
      const lines = list.split("\n");
      assert.equal(lines.pop(), "", "every line ends with a newline");
      const byId = new Map(lines.map((l) => [Number(/^id=(\d+) /.exec(l)?.[1]), l]));
      assert.ok(byId.get(idA)?.includes(" name=conn-a "), list);
      assert.ok(byId.get(idB)?.includes(" name=conn-b "), list);
      const one = verbatim(await a.call("CLIENT", "LIST", "ID", String(idB)));
      assert.ok(one.startsWith(`id=${idB} `) && one.split("\n").length === 2, one);
      const two = verbatim(await a.call("CLIENT", "LIST", "ID", String(idB), String(idA)));
      assert.deepEqual(two.split("\n").map((l) => l.split(" ")[0]), [`id=${idB}`, `id=${idA}`, ""]);
      const normal = verbatim(await a.call("CLIENT", "LIST", "TYPE", "normal"));
      assert.ok(normal.includes(`id=${idA} `) && normal.includes(`id=${idB} `));
      assert.equal(verbatim(await a.call("CLIENT", "LIST", "TYPE", "replica")), "");
      assert.equal(text(await a.call("CLIENT", "SETNAME", "")), "OK");
      assert.equal(text(await a.call("CLIENT", "GETNAME")), null);
    } finally {
      a.close();
      b.close();
    }
  });

  await t.step("COMMAND, COMMAND COUNT, INFO, DOCS", async () => {
    const c = await RawClient.connect(p);
    try {
      const all = items(await c.call("COMMAND"));
      const count = Number(text(await c.call("COMMAND", "COUNT")));
      assert.equal(all.length, count);
      const names = all.map((x) => text(items(x)[0]));
      for (
        const n of ["get", "set", "keys", "pdel", "multi", "exec", "incrbyfloat", "scan", "hello"]
      ) {
        assert.ok(names.includes(n), n);
      }
      assert.ok(!names.some((n) => n?.startsWith("__")), "internal commands are hidden");
      const [get, nosuch, mset] = items(await c.call("COMMAND", "INFO", "get", "nosuch", "MSET"));
      const g = items(get);
      assert.equal(g.length, 10);
      assert.deepEqual(g.slice(0, 2), [bulk("get"), int(2)]);
      assert.ok(items(g[2]).some((f) => text(f) === "readonly"));
      assert.deepEqual(g.slice(3, 6), [int(1), int(1), int(1)]);
      assert.deepEqual(nosuch, { type: "bulk", value: null }, "as Redis: a null bulk");
      assert.deepEqual(items(mset).slice(0, 2), [bulk("mset"), int(-3)]);
      assert.ok(items(items(mset)[2]).some((f) => text(f) === "write"));
      assert.deepEqual(items(mset).slice(3, 6), [int(1), int(-1), int(2)]);
      const docs = pairs(await c.call("COMMAND", "DOCS", "get", "set"));
      assert.deepEqual(docs.map(([k]) => k), ["get", "set"]);
      for (const [, d] of docs) assert.ok(pairs(d).some(([k]) => k === "summary"));
      assert.equal(pairs(await c.call("COMMAND", "DOCS")).length, count);
    } finally {
      c.close();
    }
  });

  await t.step("CONFIG GET what clients probe", async () => {
    assert.equal(await cli(p, "CONFIG", "GET", "save"), "save\n\n");
    assert.equal(await cli(p, "CONFIG", "GET", "databases"), "databases\n1\n");
    assert.equal(await cli(p, "CONFIG", "GET", "maxmemory"), "maxmemory\n0\n");
    assert.equal(await cli(p, "CONFIG", "GET", "port"), `port\n${p}\n`);
    // Writes are logged and synced before they are acknowledged.
    assert.equal(await cli(p, "CONFIG", "GET", "appendonly"), "appendonly\nyes\n");
    assert.equal(
      await cli(p, "config", "get", "SAVE", "APPENDONLY"),
      "appendonly\nyes\nsave\n\n",
    );
    const star = (await cli(p, "CONFIG", "GET", "*")).split("\n");
    for (const k of ["save", "appendonly", "databases", "maxmemory", "maxclients", "timeout"]) {
      assert.ok(star.includes(k), k);
    }
    assert.equal(
      await cli(p, "CONFIG", "GET", "maxmemory*"),
      "maxmemory\n0\nmaxmemory-policy\nnoeviction\n",
    );
  });

  await t.step("CLIENT REPLY OFF, SKIP and ON", async () => {
    const c = await RawClient.connect(p);
    try {
      await c.send(command("CLIENT", "REPLY", "OFF"));
      await c.send(command("SET", "reply-off", "1"));
      await c.send(command("GET", "nope-unknown-cmd-is-silent-too"));
      await c.send(command("CLIENT", "REPLY", "ON"));
      assert.deepEqual(await c.call("PING"), { type: "simple", value: "OK" });
      assert.deepEqual(await c.read(), { type: "simple", value: "PONG" });
      await c.send(command("CLIENT", "REPLY", "SKIP"));
      await c.send(command("GET", "reply-off"));
      assert.equal(text(await c.call("GET", "reply-off")), "1");
      assert.match(text(await c.call("CLIENT", "REPLY", "MAYBE")) ?? "", /^ERR syntax error/);
    } finally {
      c.close();
    }
  });

  await t.step("TIME, LASTSAVE, SAVE, BGSAVE, BGREWRITEAOF, WAIT", async () => {
    const c = await RawClient.connect(p);
    try {
      const [sec, usec] = items(await c.call("TIME")).map((x) => Number(text(x)));
      assert.ok(Math.abs(sec * 1000 + usec / 1000 - Date.now()) < 2000, `TIME ${sec} ${usec}`);
      assert.ok(Number.isInteger(usec) && usec >= 0 && usec < 1_000_000);
      const before = Math.floor(Date.now() / 1000);
      assert.equal(text(await c.call("SAVE")), "OK");
      const last = Number(text(await c.call("LASTSAVE")));
      assert.ok(last >= before && last <= Date.now() / 1000 + 1, `LASTSAVE ${last}`);
      assert.deepEqual(await c.call("BGSAVE"), {
        type: "simple",
        value: "Background saving started",
      });
      assert.deepEqual(await c.call("bgsave", "SCHEDULE"), {
        type: "simple",
        value: "Background saving started",
      });
      assert.deepEqual(await c.call("BGREWRITEAOF"), {
        type: "simple",
        value: "Background append only file rewriting started",
      });
      assert.equal(text(await c.call("SET", "w", "1")), "OK");
      // bitraft: the number of nodes that hold the write (this one).
      assert.deepEqual(await c.call("WAIT", "0", "0"), int(1));
      assert.deepEqual(await c.call("WAIT", "1", "100"), int(1));
      assert.equal(text(await c.call("GET", "w")), "1");
    } finally {
      c.close();
    }
  });

  await t.step("admin commands are refused inside MULTI (bitraft)", async () => {
    await transcript(
      p,
      String.raw`
> MULTI
OK
> CLIENT ID
(error) ERR Command not allowed inside a transaction
> CONFIG GET save
(error) ERR Command not allowed inside a transaction
> SET inmulti 1
QUEUED
> EXEC
(error) EXECABORT Transaction discarded because of previous errors.
> EXISTS inmulti
(integer) 0
`,
    );
  });
});
