/**
 * Graded exercises: `const { test, check, expect } = grading;` in a notebook
 * (solutions/README.md). The grader itself (`gradlab grade`) is in cli.ts and
 * grader.ts, loaded only by the command line.
 */
import { check, test } from "./api";
import { expect } from "./expect";

export type { CheckReport, TestResult, TestFn } from "./api";
export type { CloseOptions, Expectation } from "./expect";

/** Frozen, so a submission cannot swap `grading.expect` for one that always passes. */
export const grading: Readonly<{ test: typeof test; check: typeof check; expect: typeof expect }> = Object.freeze({ test, check, expect });
