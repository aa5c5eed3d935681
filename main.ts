/**
 * The `bitraft` program: reads the command line and starts the node.
 *
 * @module
 */

import { type Config, FlagError, parseFlags, USAGE, VERSION } from "./lib/cli/mod.ts";

function fail(message: string, code: number): never {
  console.error(`bitraft: ${message}`);
  Deno.exit(code);
}

function main(argv: string[]): void {
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
      fail("--parse-snapshot is not available in this version yet", 1);
      break;
    case "serve":
      // The storage engine is built; the Redis server that will listen on
      // config.bind and keep its data under config.data comes next.
      console.log(`bitraft ${VERSION}: storage engine only, no server yet`);
      console.log(`(would serve ${config.bind} from data dir '${config.data}')\n`);
      console.log(USAGE);
  }
}

main(Deno.args);
