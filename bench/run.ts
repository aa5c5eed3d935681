/**
 * `deno task bench`: runs every benchmark in turn and prints its table.
 * Benchmarks report medians and ratios against a baseline measured in the
 * same run; they never pass or fail.
 */
const benches = ["bitcask.ts", "server.ts", "cluster.ts", "snapshot.ts"];
for (const b of benches) {
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`./${b}`, import.meta.url).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) Deno.exit(status.code || 1);
}
