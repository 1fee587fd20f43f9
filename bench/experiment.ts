/**
 * npm run experiment -- NAME [--quick] [--backend js|tfjs] [--seed N]
 * Reproduces one of the source documents' experiments, prints a table (the
 * document's figure beside this run's) and writes bench-results/NAME.json.
 * --quick (or GRADLAB_QUICK=1) runs a small slice of the data in seconds:
 * the tests use it to keep every experiment runnable.
 */
import { backend as backends } from "../src";
import { EXPERIMENTS, ExperimentContext } from "./experiments";
import { printTable, writeResult } from "./util";

export function parseArgs(argv: readonly string[]): { names: string[]; quick: boolean; backend?: string; seed: number } {
  const names: string[] = [];
  let quick = process.env.GRADLAB_QUICK === "1";
  let backend: string | undefined;
  let seed = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") quick = true;
    else if (a === "--backend") backend = argv[++i];
    else if (a === "--seed") seed = Number(argv[++i]);
    else names.push(a);
  }
  return { names, quick, backend, seed };
}

export async function runExperiment(name: string, ctx: ExperimentContext): Promise<Record<string, unknown>> {
  const exp = EXPERIMENTS[name];
  if (!exp) throw new Error(`unknown experiment "${name}"; available: ${Object.keys(EXPERIMENTS).join(", ")}`);
  console.log(`\n=== ${name}: ${exp.title}${ctx.quick ? " (quick mode: a small slice of the data)" : ""}`);
  const started = performance.now();
  const result = await exp.run(ctx);
  const seconds = (performance.now() - started) / 1000;
  const rows = result.rows.map((r) => [r.metric, r.document ?? "-", r.measured]);
  printTable(`${name}: ${exp.source}`, ["metric", "document", "this run"], rows);
  const out = {
    experiment: name,
    title: exp.title,
    source: exp.source,
    quick: ctx.quick,
    seed: ctx.seed,
    backend: backends.active().name,
    wallSeconds: seconds,
    ...result.values,
  };
  if (!ctx.quick) writeResult(name, out);
  else writeResult(`${name}.quick`, out);
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.backend) await Promise.resolve(backends.use(args.backend));
  const names = args.names.length ? args.names : Object.keys(EXPERIMENTS);
  for (const n of names) await runExperiment(n, { quick: args.quick, seed: args.seed });
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
