import { readFileSync } from "node:fs";

/**
 * Exercise notebooks (solutions/README.md): cells carry `metadata.gradlab` with
 * their role; solution code sits between `// BEGIN SOLUTION` and
 * `// END SOLUTION`.
 */

export type Role = "setup" | "solution" | "tests" | "hidden" | "manual";

export interface CellMeta {
  role?: Role;
  id?: string;
  points?: number;
}

export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: { gradlab?: CellMeta; [k: string]: unknown };
  outputs?: unknown[];
  execution_count?: number | null;
  [k: string]: unknown;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: { gradlab?: { exercise?: string; title?: string }; [k: string]: unknown };
  nbformat: number;
  nbformat_minor: number;
}

export function sourceOf(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? "");
}

/** nbformat's list-of-lines form: every line keeps its newline, but the last. */
export function toLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n").map((l) => l + "\n");
  const last = lines[lines.length - 1];
  lines[lines.length - 1] = last.slice(0, -1);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function roleOf(cell: NotebookCell): CellMeta {
  const g = cell.metadata?.gradlab;
  return typeof g === "object" && g !== null ? g : {};
}

/** Parses a notebook; throws with the file name when it is not one. */
export function parseNotebook(text: string, file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(text) as Notebook;
  } catch (e) {
    throw new Error(`${file}: not a notebook (invalid JSON: ${(e as Error).message})`);
  }
  if (typeof nb !== "object" || nb === null || !Array.isArray(nb.cells)) throw new Error(`${file}: not a notebook (no cells)`);
  for (const [i, c] of nb.cells.entries()) {
    if (typeof c !== "object" || c === null || typeof c.cell_type !== "string") throw new Error(`${file}: cell ${i} is not a notebook cell`);
    c.metadata ??= {};
  }
  nb.metadata ??= {};
  return nb;
}

export function readNotebook(file: string): Notebook {
  return parseNotebook(readFileSync(file, "utf8"), file);
}

export const STUB = 'throw new Error("not implemented");';
const BEGIN = /^(\s*)\/\/\s*BEGIN SOLUTION\s*$/;
const END = /^\s*\/\/\s*END SOLUTION\s*$/;

/**
 * The student's version of a cell's code: each block from a `// BEGIN
 * SOLUTION` line to its `// END SOLUTION` line becomes the stub, indented
 * like the BEGIN line. `where` names the cell in errors.
 */
export function stripSolution(code: string, where: string): string {
  const out: string[] = [];
  let inside: string | undefined;
  const lines = code.split("\n");
  lines.forEach((line, i) => {
    const b = BEGIN.exec(line);
    if (b) {
      if (inside !== undefined) throw new Error(`${where}, line ${i + 1}: BEGIN SOLUTION inside another solution block`);
      inside = b[1];
      return;
    }
    if (END.test(line)) {
      if (inside === undefined) throw new Error(`${where}, line ${i + 1}: END SOLUTION without a BEGIN SOLUTION`);
      out.push(inside + STUB);
      inside = undefined;
      return;
    }
    if (inside === undefined) out.push(line);
  });
  if (inside !== undefined) throw new Error(`${where}: BEGIN SOLUTION without an END SOLUTION`);
  return out.join("\n");
}

/** JSON with sorted keys and one-space indent, as Jupyter writes notebooks: the same input, the same bytes. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) o[k] = sort((v as Record<string, unknown>)[k]);
      return o;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 1) + "\n";
}

/**
 * The exercise made from a solution notebook: solutions replaced by the stub
 * (in every code cell, so no marked solution leaks from a cell with another
 * role), hidden cells removed, outputs, execution counts and run timestamps cleared.
 */
export function exerciseOf(solution: Notebook, file: string): Notebook {
  const cells: NotebookCell[] = [];
  solution.cells.forEach((cell, i) => {
    const meta = roleOf(cell);
    if (meta.role === "hidden") return;
    const copy: NotebookCell = { ...cell, metadata: { ...cell.metadata } };
    // Jupyter's run timestamps would put exercises/ out of sync after every re-run of a solution.
    delete copy.metadata.execution;
    if (cell.cell_type === "code") {
      copy.source = toLines(stripSolution(sourceOf(cell), `${file}, cell ${i}`));
      copy.outputs = [];
      copy.execution_count = null;
    }
    cells.push(copy);
  });
  return { ...solution, cells };
}

/** A question of an exercise: its id, and the points a teacher grades by hand (manual cells). */
export interface ManualQuestion {
  id: string;
  points: number;
  /** The student's answer (the markdown cell's text). */
  answer: string;
}

export function manualQuestions(nb: Notebook): ManualQuestion[] {
  return nb.cells
    .filter((c) => roleOf(c).role === "manual")
    .map((c) => ({ id: String(roleOf(c).id ?? "manual"), points: Number(roleOf(c).points ?? 0), answer: sourceOf(c) }));
}
