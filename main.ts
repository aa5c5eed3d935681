/**
 * The `bitraft` program: reads the command line and starts the node.
 *
 * @module
 */

import { type Config, FlagError, parseFlags, USAGE, VERSION } from "./lib/cli/mod.ts";
import { BitraftNode, NodeStartError } from "./lib/cluster/mod.ts";
import { parseSnapshotCommand } from "./lib/snapshot/mod.ts";

function fail(message: string, code: number): never {
  console.error(`bitraft: ${message}`);
  Deno.exit(code);
}

async function serve(config: Config): Promise<void> {
  let node: BitraftNode;
  try {
    node = await BitraftNode.start({
      data: config.data,
      bind: config.bind,
      durability: config.durability,
      maxDatafileSize: config.maxDatafileSize,
      auth: config.auth,
      logLevel: config.logLevel,
      tls: config.tls,
      maxClients: config.maxClients,
      advertise: config.advertise,
      join: config.join,
      consistency: config.consistency,
      redirect: config.redirect,
      tickMs: config.raftTickMs,
      electionTicks: config.electionTicks,
      restore: config.restore,
      snapshotEntries: config.snapshotEntries,
      compactEntries: config.compactEntries,
      trailingLogs: config.trailingLogs,
      snapshotsKept: config.snapshotsKept,
      logSegmentSize: config.logSegmentSize,
      limits: {
        maxBulk: config.maxBulkLen,
        maxInline: config.maxInlineLen,
        maxMultibulk: config.maxMultibulkLen,
        maxOutput: config.maxClientOutput,
      },
    });
  } catch (e) {
    fail(e instanceof NodeStartError ? e.message : String(e), 1);
  }
  const stop = () => void node.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await node.finished;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  Deno.exit(0);
}

async function main(argv: string[]): Promise<void> {
  let config: Config;
  try {
    config = parseFlags(argv);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    console.error(`bitraft: ${e.message}`);
    console.error(USAGE);
    Deno.exit(2);
  }
  switch (config.mode) {
    case "help":
      console.log(USAGE);
      return;
    case "version":
      console.log(`bitraft ${VERSION}`);
      return;
    case "parse-snapshot":
      Deno.exit(
        await parseSnapshotCommand(config.parseSnapshot ?? "", {
          stdout: Deno.stdout,
          stderr: Deno.stderr,
          progress: Deno.stderr.isTerminal(),
        }),
      );
      break;
    case "serve":
      await serve(config);
  }
}

await main(Deno.args);
