import assert from "node:assert/strict";
import { redisCli, startServer } from "./_server.ts";

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/** A test CA and a certificate it signed for 127.0.0.1. */
async function testCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const f = (n: string) => `${dir}/${n}`;
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=bitraft test CA",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.pem"),
  ]);
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    f("key.pem"),
    "-out",
    f("req.csr"),
  ]);
  await Deno.writeTextFile(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    f("req.csr"),
    "-CA",
    f("ca.pem"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    f("ext.cnf"),
    "-out",
    f("cert.pem"),
  ]);
  return { ca: f("ca.pem"), cert: f("cert.pem"), key: f("key.pem") };
}

Deno.test({
  name: "--tls-cert/--tls-key serve RESP over TLS to redis-cli and Deno clients",
  ignore: Deno.build.os === "windows",
  async fn() {
    const certDir = await Deno.makeTempDir({ prefix: "bitraft_tls_" });
    try {
      const { ca, cert, key } = await testCertificates(certDir);
      await using server = await startServer({ args: ["--tls-cert", cert, "--tls-key", key] });
      const r = await redisCli(server.port, ["--tls", "--cacert", ca, "SET", "secure", "yes"]);
      assert.equal(r.stdout.trim(), "OK", r.stderr);
      const conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: server.port,
        caCerts: [await Deno.readTextFile(ca)],
      });
      try {
        await conn.write(new TextEncoder().encode("*2\r\n$3\r\nGET\r\n$6\r\nsecure\r\n"));
        const buf = new Uint8Array(64);
        const n = await conn.read(buf);
        assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "$3\r\nyes\r\n");
      } finally {
        conn.close();
      }
      // A plain-text client gets nothing useful and the server carries on.
      const plain = await redisCli(server.port, ["PING"]);
      assert.notEqual(plain.stdout.trim(), "PONG");
      const again = await redisCli(server.port, ["--tls", "--cacert", ca, "GET", "secure"]);
      assert.equal(again.stdout.trim(), "yes");
    } finally {
      await Deno.remove(certDir, { recursive: true });
    }
  },
});
