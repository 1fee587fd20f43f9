/**
 * Every error gradlab raises on bad input is a GradlabError that names the op
 * at fault, so a student reading a stack trace learns *which* call was wrong
 * and *why*, not just that something was undefined.
 */
export class GradlabError extends Error {
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = "GradlabError";
  }
}

export function fail(op: string, detail: string): never {
  throw new GradlabError(op, detail);
}

/** `[2,3]`: the way every message in gradlab writes a shape. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}
