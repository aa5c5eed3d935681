/**
 * String commands against a real bitraft process, through redis-cli: every
 * expected reply below is what Redis 7.0 prints for the same transcript.
 */

import assert from "node:assert/strict";
import { RawClient, text } from "./_resp_client.ts";
import { startServer } from "./_server.ts";
import { transcript } from "./_commands.ts";

Deno.test("string commands reply like Redis 7", async (t) => {
  await using server = await startServer();

  await t.step("SET: NX, XX, GET and option errors", () =>
    transcript(
      server.port,
      String.raw`
> SET k v
OK
> GET k
"v"
> SET k v2 NX
(nil)
> SET k v2 XX
OK
> GET k
"v2"
> SET nk v XX
(nil)
> GET nk
(nil)
> SET nk v NX
OK
> GET nk
"v"
> SET k v3 GET
"v2"
> SET fresh v GET
(nil)
> SET k v4 NX GET
"v3"
> SET missing v XX GET
(nil)
> EXISTS missing
(integer) 0
> SET k v5 nx xx
(error) ERR syntax error
> SET k v5 XX NX
(error) ERR syntax error
> SET k v5 GET GET
"v3"
> SET k v5 NX NX
(nil)
`,
    ));

  await t.step("SET: EX, PX, EXAT, PXAT, KEEPTTL and invalid expire times", () =>
    transcript(
      server.port,
      String.raw`
> SET k v5 EX 100
OK
> TTL k
(integer) 100
> SET k v6
OK
> TTL k
(integer) -1
> SET k v7 PX 100000
OK
> TTL k
(integer) 100
> SET k v8 EXAT 4102444800
OK
> EXPIRETIME k
(integer) 4102444800
> SET k v9 PXAT 4102444800123
OK
> PEXPIRETIME k
(integer) 4102444800123
> SET k v10 KEEPTTL
OK
> PEXPIRETIME k
(integer) 4102444800123
> GET k
"v10"
> SET k v11 XX KEEPTTL GET
"v10"
> PEXPIRETIME k
(integer) 4102444800123
> SET k v12 EX 100 EX 200
OK
> TTL k
(integer) 200
> SET k v ex 10 px 10
(error) ERR syntax error
> SET k v EX 10 KEEPTTL
(error) ERR syntax error
> SET k v KEEPTTL EX 10
(error) ERR syntax error
> SET k v PX 10 EXAT 10
(error) ERR syntax error
> SET k v EXAT 10 PXAT 10
(error) ERR syntax error
> SET k v EX
(error) ERR syntax error
> SET k v PX
(error) ERR syntax error
> SET k v KEEPTTL foo
(error) ERR syntax error
> SET k v PERSIST
(error) ERR syntax error
> SET k v EX 0
(error) ERR invalid expire time in 'set' command
> SET k v EX -1
(error) ERR invalid expire time in 'set' command
> SET k v PX 0
(error) ERR invalid expire time in 'set' command
> SET k v PXAT 0
(error) ERR invalid expire time in 'set' command
> SET k v EXAT -10
(error) ERR invalid expire time in 'set' command
> SET k v EX abc
(error) ERR value is not an integer or out of range
> SET k v EX 1.5
(error) ERR value is not an integer or out of range
> SET k v EX 9223372036854775807
(error) ERR invalid expire time in 'set' command
> SET k v EX 9223372036854775
(error) ERR invalid expire time in 'set' command
> SET k v PX 9223372036854775807
(error) ERR invalid expire time in 'set' command
> SET past v PXAT 1
OK
> EXISTS past
(integer) 0
> SET past v EXAT 1 GET
(nil)
> SET k v GET EX 100
"v12"
`,
    ));

  await t.step("SETNX, SETEX, PSETEX, GETSET, GETDEL", () =>
    transcript(
      server.port,
      String.raw`
> SETNX k other
(integer) 0
> SETNX snx v
(integer) 1
> GET snx
"v"
> SETEX sx 100 val
OK
> TTL sx
(integer) 100
> GET sx
"val"
> SETEX sx 0 val
(error) ERR invalid expire time in 'setex' command
> SETEX sx -1 val
(error) ERR invalid expire time in 'setex' command
> SETEX sx abc val
(error) ERR value is not an integer or out of range
> SETEX sx 9223372036854775807 val
(error) ERR invalid expire time in 'setex' command
> PSETEX psx 100000 val
OK
> TTL psx
(integer) 100
> PSETEX psx 0 val
(error) ERR invalid expire time in 'psetex' command
> PSETEX psx abc val
(error) ERR value is not an integer or out of range
> GETSET sx new
"val"
> TTL sx
(integer) -1
> GETSET nogs v
(nil)
> GET nogs
"v"
> GETDEL nogs
"v"
> GETDEL nogs
(nil)
> EXISTS nogs
(integer) 0
`,
    ));

  await t.step("GETEX: expiry options, PERSIST, errors, missing keys", () =>
    transcript(
      server.port,
      String.raw`
> SET gx v
OK
> GETEX gx
"v"
> TTL gx
(integer) -1
> GETEX gx EX 100
"v"
> TTL gx
(integer) 100
> GETEX gx PX 200000
"v"
> TTL gx
(integer) 200
> GETEX gx EXAT 4102444800
"v"
> EXPIRETIME gx
(integer) 4102444800
> GETEX gx PXAT 4102444800123
"v"
> PEXPIRETIME gx
(integer) 4102444800123
> GETEX gx PERSIST
"v"
> TTL gx
(integer) -1
> GETEX gx ex 10 px 10
(error) ERR syntax error
> GETEX gx EX 10 PERSIST
(error) ERR syntax error
> GETEX gx PERSIST EX 10
(error) ERR syntax error
> GETEX gx KEEPTTL
(error) ERR syntax error
> GETEX gx NX
(error) ERR syntax error
> GETEX gx GET
(error) ERR syntax error
> GETEX gx EX
(error) ERR syntax error
> GETEX gx EX 0
(error) ERR invalid expire time in 'getex' command
> GETEX gx EX -5
(error) ERR invalid expire time in 'getex' command
> GETEX gx EX abc
(error) ERR value is not an integer or out of range
> GETEX nogx EX 0
(nil)
> GETEX nogx EX abc
(nil)
> GETEX nogx PERSIST
(nil)
> GETEX nogx FOO
(error) ERR syntax error
> GETEX gx PXAT 1
"v"
> EXISTS gx
(integer) 0
`,
    ));

  await t.step("MSETNX", () =>
    transcript(
      server.port,
      String.raw`
> MSETNX m1 1 m2 2
(integer) 1
> MGET m1 m2
1) "1"
2) "2"
> MSETNX m2 x m3 3
(integer) 0
> MGET m1 m2 m3
1) "1"
2) "2"
3) (nil)
> MSETNX m4 1 m4 2
(integer) 1
> GET m4
"2"
> MSETNX m5
(error) ERR wrong number of arguments for 'msetnx' command
> MSETNX m5 1 m6
(error) ERR wrong number of arguments for 'msetnx' command
`,
    ));

  await t.step("APPEND, STRLEN, GETRANGE, SETRANGE", () =>
    transcript(
      server.port,
      String.raw`
> APPEND ap hello
(integer) 5
> APPEND ap " world"
(integer) 11
> GET ap
"hello world"
> APPEND ap ""
(integer) 11
> STRLEN ap
(integer) 11
> STRLEN noap
(integer) 0
> SET apx v EX 100
OK
> APPEND apx w
(integer) 2
> TTL apx
(integer) 100
> GETRANGE ap 0 4
"hello"
> GETRANGE ap -5 -1
"world"
> GETRANGE ap 6 100
"world"
> GETRANGE ap 5 1
""
> GETRANGE ap -1 -5
""
> GETRANGE ap -100 2
"hel"
> GETRANGE ap -100 -50
"h"
> GETRANGE ap 100 200
""
> GETRANGE ap 0 -1
"hello world"
> GETRANGE ap 0 9223372036854775807
"hello world"
> GETRANGE ap -9223372036854775808 -9223372036854775807
"h"
> GETRANGE ap -9223372036854775807 -9223372036854775808
""
> GETRANGE noap 0 10
""
> GETRANGE ap a 1
(error) ERR value is not an integer or out of range
> GETRANGE ap 0 1.5
(error) ERR value is not an integer or out of range
> SETRANGE ap 6 WORLD
(integer) 11
> GET ap
"hello WORLD"
> SETRANGE ap 11 !!
(integer) 13
> GET ap
"hello WORLD!!"
> SETRANGE sr 3 abc
(integer) 6
> GET sr
"\x00\x00\x00abc"
> STRLEN sr
(integer) 6
> SETRANGE sr 0 ""
(integer) 6
> SETRANGE nosr 5 ""
(integer) 0
> EXISTS nosr
(integer) 0
> SETRANGE sr -1 x
(error) ERR offset is out of range
> SETRANGE sr abc x
(error) ERR value is not an integer or out of range
> SETRANGE sr 536870912 x
(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)
> SETRANGE sr 9223372036854775807 x
(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)
> SETRANGE sr 536870911 ""
(integer) 6
> SET srx v EX 100
OK
> SETRANGE srx 1 w
(integer) 2
> TTL srx
(integer) 100
`,
    ));

  await t.step("INCR, DECR, INCRBY, DECRBY: overflow and non-integer values", () =>
    transcript(
      server.port,
      String.raw`
> INCR n
(integer) 1
> INCR n
(integer) 2
> DECR n
(integer) 1
> INCRBY n 10
(integer) 11
> INCRBY n -20
(integer) -9
> DECRBY n 5
(integer) -14
> DECRBY n -5
(integer) -9
> GET n
"-9"
> INCRBY n abc
(error) ERR value is not an integer or out of range
> INCRBY n 1.5
(error) ERR value is not an integer or out of range
> INCRBY n +1
(error) ERR value is not an integer or out of range
> INCRBY n " 1"
(error) ERR value is not an integer or out of range
> INCRBY n 01
(error) ERR value is not an integer or out of range
> INCRBY n ""
(error) ERR value is not an integer or out of range
> INCRBY n 9223372036854775808
(error) ERR value is not an integer or out of range
> DECRBY n -9223372036854775808
(error) ERR decrement would overflow
> DECRBY n 9223372036854775807
(error) ERR increment or decrement would overflow
> SET n 9223372036854775807
OK
> INCR n
(error) ERR increment or decrement would overflow
> INCRBY n -1
(integer) 9223372036854775806
> SET n -9223372036854775808
OK
> DECR n
(error) ERR increment or decrement would overflow
> INCRBY n -1
(error) ERR increment or decrement would overflow
> DECRBY n 1
(error) ERR increment or decrement would overflow
> INCRBY n 9223372036854775807
(integer) -1
> SET nn hello
OK
> INCR nn
(error) ERR value is not an integer or out of range
> DECR nn
(error) ERR value is not an integer or out of range
> INCRBY nn 1
(error) ERR value is not an integer or out of range
> SET nn " 1"
OK
> INCR nn
(error) ERR value is not an integer or out of range
> SET nn 1.0
OK
> INCR nn
(error) ERR value is not an integer or out of range
> SET nn 007
OK
> INCR nn
(error) ERR value is not an integer or out of range
> SET nn ""
OK
> INCR nn
(error) ERR value is not an integer or out of range
`,
    ));

  await t.step("INCRBYFLOAT: 80-bit arithmetic and Redis's number formatting", () =>
    transcript(
      server.port,
      String.raw`
> SET nx 5 EX 100
OK
> INCR nx
(integer) 6
> TTL nx
(integer) 100
> INCRBYFLOAT nx 1.5
"7.5"
> TTL nx
(integer) 100
> SET f 10.5
OK
> INCRBYFLOAT f 0.1
"10.6"
> INCRBYFLOAT f -5
"5.6"
> INCRBYFLOAT f 3.0e3
"3005.60000000000000009"
> INCRBYFLOAT f 1e-5
"3005.60001000000000015"
> INCRBYFLOAT f 5.0E3
"8005.60001000000000015"
> INCRBYFLOAT f0 0.1
"0.1"
> INCRBYFLOAT f0 0.2
"0.3"
> INCRBYFLOAT f1 3.0e3
"3000"
> SET f2 3.0e3
OK
> INCRBYFLOAT f2 1
"3001"
> SET f3 5
OK
> INCRBYFLOAT f3 1.5
"6.5"
> INCRBYFLOAT f3 -6.5
"0"
> INCRBYFLOAT f3 -0
"0"
> INCRBYFLOAT f4 1.10
"1.1"
> INCRBYFLOAT f5 .5
"0.5"
> INCRBYFLOAT f6 5.
"5"
> INCRBYFLOAT f7 -.5e1
"-5"
> INCRBYFLOAT f8 0x10
"16"
> INCRBYFLOAT f9 1.5e20
"150000000000000000000"
> INCRBYFLOAT f10 1e-20
"0"
> INCRBYFLOAT f11 123456789012345678
"123456789012345678"
> INCRBYFLOAT f12 1.0000000000000001
"1.0000000000000001"
> INCRBYFLOAT f13 1e400
"10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880"
> INCRBYFLOAT f13 -1e400
"0"
> INCRBYFLOAT f f
(error) ERR value is not a valid float
> INCRBYFLOAT f nan
(error) ERR value is not a valid float
> INCRBYFLOAT f inf
(error) ERR increment would produce NaN or Infinity
> INCRBYFLOAT f -inf
(error) ERR increment would produce NaN or Infinity
> INCRBYFLOAT f " 1"
(error) ERR value is not a valid float
> INCRBYFLOAT f "1 "
(error) ERR value is not a valid float
> INCRBYFLOAT f 1e
(error) ERR value is not a valid float
> INCRBYFLOAT f ""
(error) ERR value is not a valid float
> INCRBYFLOAT f 1e5000
(error) ERR value is not a valid float
> SET fs abc
OK
> INCRBYFLOAT fs 1
(error) ERR value is not a valid float
> SET fs 1.5
OK
> INCR fs
(error) ERR value is not an integer or out of range
> INCRBY fs 1
(error) ERR value is not an integer or out of range
`,
    ));

  await t.step("values are binary-safe", async () => {
    const c = await RawClient.connect(server.port);
    try {
      const bin = new Uint8Array([0, 255, 13, 10, 0x80, 32, 0]);
      assert.equal(text(await c.call("SET", "bin", bin)), "OK");
      assert.deepEqual(await c.call("GET", "bin"), { type: "bulk", value: bin });
      assert.equal(text(await c.call("STRLEN", "bin")), "7");
      assert.equal(text(await c.call("APPEND", "bin", new Uint8Array([1, 2]))), "9");
      assert.deepEqual(await c.call("GETRANGE", "bin", "-3", "-1"), {
        type: "bulk",
        value: new Uint8Array([0, 1, 2]),
      });
      const key = new Uint8Array([0xff, 0, 0x41]);
      assert.equal(text(await c.call("SET", key, "v")), "OK");
      assert.equal(text(await c.call("GET", key)), "v");
      assert.equal(text(await c.call("SET", "empty", "")), "OK");
      assert.deepEqual(await c.call("GET", "empty"), { type: "bulk", value: new Uint8Array(0) });
      assert.equal(text(await c.call("EXISTS", "empty")), "1");
    } finally {
      c.close();
    }
  });
});
