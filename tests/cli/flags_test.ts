import assert from "node:assert/strict";
import { FlagError, parseFlags, parseSize } from "../../lib/cli/mod.ts";

Deno.test("parseFlags applies the documented defaults", () => {
  const c = parseFlags([]);
  assert.equal(c.mode, "serve");
  assert.equal(c.bind, "127.0.0.1:4920");
  assert.equal(c.advertise, "127.0.0.1:4920");
  assert.equal(c.data, "data");
  assert.equal(c.join, null);
  assert.equal(c.consistency, "high");
  assert.equal(c.durability, "high");
  assert.equal(c.redirect, false);
  assert.equal(c.auth, null);
  assert.equal(c.tls, null);
  assert.equal(c.maxDatafileSize, 64 * 1024 * 1024);
  assert.equal(c.logLevel, "notice");
});

Deno.test("parseFlags reads long and short forms", () => {
  const c = parseFlags([
    "-b",
    "0.0.0.0:7000",
    "--advertise=10.0.0.5:7000",
    "-d",
    "/tmp/x",
    "-j",
    "[::1]:7001",
    "--consistency",
    "low",
    "--durability",
    "medium",
    "--redirect",
    "--auth",
    "secret",
    "--tls-cert",
    "c.pem",
    "--tls-key",
    "k.pem",
    "--max-datafile-size",
    "8MB",
    "--log-level",
    "debug",
  ]);
  assert.equal(c.bind, "0.0.0.0:7000");
  assert.equal(c.advertise, "10.0.0.5:7000");
  assert.equal(c.data, "/tmp/x");
  assert.equal(c.join, "[::1]:7001");
  assert.equal(c.consistency, "low");
  assert.equal(c.durability, "medium");
  assert.equal(c.redirect, true);
  assert.equal(c.auth, "secret");
  assert.deepEqual(c.tls, { cert: "c.pem", key: "k.pem" });
  assert.equal(c.maxDatafileSize, 8 * 1024 * 1024);
  assert.equal(c.logLevel, "debug");
  assert.equal(parseFlags(["-V"]).mode, "version");
  assert.equal(parseFlags(["-h", "-V"]).mode, "help");
  assert.equal(parseFlags(["--parse-snapshot", "state.bin"]).parseSnapshot, "state.bin");
});

Deno.test("parseFlags names the bad flag in one line", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--bind"], /--bind/],
    [["--bind", "4920"], /invalid address for --bind: '4920'/],
    [["--bind", "host:70000"], /invalid address for --bind/],
    [["--join", "a b:1"], /invalid address for --join/],
    [["--consistency", "strong"], /invalid value for --consistency: 'strong'/],
    [["--durability", "HIGH"], /invalid value for --durability/],
    [["--log-level", "loud"], /invalid value for --log-level/],
    [["--max-datafile-size", "12 parsecs"], /invalid size for --max-datafile-size/],
    [["--max-datafile-size", "10"], /want 1kb to 2gb/],
    [["--tls-cert", "c.pem"], /must be given together/],
    [["extra"], /positional/i],
  ];
  for (const [argv, re] of cases) {
    await t.step(argv.join(" "), () => {
      assert.throws(() => parseFlags(argv), (e) => {
        assert.ok(e instanceof FlagError);
        assert.match(e.message, re);
        assert.ok(!e.message.includes("\n"));
        return true;
      });
    });
  }
});

Deno.test("parseSize understands unit suffixes", () => {
  assert.equal(parseSize("x", "1048576"), 1048576);
  assert.equal(parseSize("x", "4k"), 4096);
  assert.equal(parseSize("x", "2gb"), 2 * 1024 ** 3);
  assert.throws(() => parseSize("x", "-1"), FlagError);
});
