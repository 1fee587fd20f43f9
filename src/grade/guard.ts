/**
 * The grader's hold on the runtime API. In a notebook nothing is installed and
 * these do nothing. The grader's harness installs its hooks once, before any
 * submission code runs; a second install (by a submission that found this
 * module) is refused, so a submission cannot switch the guard off.
 */
export interface GraderHooks {
  /** Called at every assertion: undoes what a submission did to built-ins and to gradlab since. */
  beforeAssert(): void;
}

let hooks: GraderHooks | undefined;

export function installGrader(h: GraderHooks): void {
  if (hooks) throw new Error("grading: the grader is already installed");
  hooks = h;
}

/** True inside the grader: `check()` then only records (the grader runs the tests itself, after the submission). */
export function grading(): boolean {
  return hooks !== undefined;
}

export function guardBeforeAssert(): void {
  if (hooks) hooks.beforeAssert();
}
