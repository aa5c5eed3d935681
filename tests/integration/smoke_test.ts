import assert from "node:assert/strict";
import { RawClient, text } from "./_resp_client.ts";
import { redisCli, startServer } from "./_server.ts";

Deno.test("a started server answers redis-cli and raw clients, and stops on SHUTDOWN", async () => {
  await using server = await startServer();
  const r = await redisCli(server.port, ["ping"]);
  assert.equal(r.stdout.trim(), "PONG");
  const c = await RawClient.connect(server.port);
  try {
    assert.equal(text(await c.call("SET", "a", "1")), "OK");
    assert.equal(text(await c.call("get", "a")), "1");
    assert.equal(text(await c.call("SHUTDOWN")), "OK");
  } finally {
    c.close();
  }
  const status = await server.exited();
  assert.equal(status.code, 0);
});
