/**
 * Helpers for the command tests: redis-cli output checked byte for byte,
 * one call at a time or as a transcript run over one connection.
 *
 * The expected texts were taken from a real Redis 7.0 (`redis-cli` 7.0),
 * except where bitraft deliberately differs (each such place says so).
 */

import assert from "node:assert/strict";
import { redisCli } from "./_server.ts";

/**
 * Runs one command through redis-cli (raw output, as in a shell pipeline).
 *
 * @param port The server's port.
 * @param args The command and its arguments (no shell quoting involved).
 * @returns What redis-cli printed on stdout.
 */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const r = await redisCli(port, args);
  assert.equal(r.stderr, "", `redis-cli ${args.join(" ")} wrote to stderr`);
  return r.stdout;
}

/** One step of a transcript: a command line and the output it must print. */
interface Step {
  command: string;
  output: string;
}

function parseTranscript(script: string): Step[] {
  const steps: Step[] = [];
  for (const line of script.split("\n")) {
    if (line.startsWith("> ")) steps.push({ command: line.slice(2), output: "" });
    else if (line.trim() !== "") {
      if (steps.length === 0) throw new Error(`output before any command: ${line}`);
      steps[steps.length - 1].output += line + "\n";
    }
  }
  return steps;
}

/**
 * Runs a transcript through one `redis-cli --no-raw` process (so one
 * connection, commands sent one after another) and checks every reply.
 *
 * The script has lines `> COMMAND args` (redis-cli quoting: "a b",
 * "\x00") each followed by the exact lines redis-cli prints; blank lines
 * are ignored.
 *
 * @param port The server's port.
 * @param script The transcript.
 */
export async function transcript(port: number, script: string): Promise<void> {
  const steps = parseTranscript(script);
  const input = steps.map((s) => s.command + "\n").join("");
  const r = await redisCli(port, ["--no-raw"], input);
  assert.equal(r.stderr, "", "redis-cli wrote to stderr");
  let at = 0;
  let previous = "(none)";
  for (const step of steps) {
    const got = r.stdout.slice(at, at + step.output.length);
    if (got !== step.output) {
      // Show as many lines as were expected (a longer reply spills into the next ones).
      const lines = step.output.split("\n").length - 1;
      const shown = r.stdout.slice(at).split("\n").slice(0, lines).join("\n") + "\n";
      // A reply longer or shorter than expected shows up at the next command.
      const where = `reply to "${step.command}" (or to the one before: "${previous}")`;
      assert.equal(shown, step.output, where);
      assert.fail(`${where}: ${JSON.stringify(got)}`);
    }
    at += step.output.length;
    previous = step.command;
  }
  assert.equal(r.stdout.slice(at), "", "unexpected output after the last command");
}
