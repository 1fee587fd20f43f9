/**
 * npm run bench [-- NAME ...]: runs the named benchmarks (all when none is
 * named), each printing a table and writing bench-results/NAME.json.
 */
import * as grade from "./grade";
import * as matmul from "./matmul";
import * as profile from "./profile";
import * as threads from "./threads";
import * as train from "./train";

const benches: Record<string, { run: () => void | Promise<void> }> = {
  grade,
  matmul,
  profile,
  threads,
  train,
};

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  for (const n of names) {
    if (!benches[n]) {
      console.error(`unknown benchmark "${n}"; available: ${Object.keys(benches).join(", ")}`);
      process.exit(2);
    }
  }
  for (const n of names.length ? names : Object.keys(benches)) await benches[n].run();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
