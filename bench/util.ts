import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../kernel-ext/install";

/** The repository root, from compiled (dist/bench) or source (bench) code alike. */
export { repoRoot };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A plain-text table, the way every bench script reports. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
  for (const r of cells.slice(1)) console.log(line(r));
  console.log();
}


/** Results land in bench-results/NAME.json (ignored by git), with the machine they ran on. */
export function writeResult(name: string, result: Record<string, unknown>): string {
  const dir = path.join(repoRoot(), "bench-results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version };
  fs.writeFileSync(file, JSON.stringify({ name, date: new Date().toISOString(), machine, ...result }, null, 2) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  return file;
}
