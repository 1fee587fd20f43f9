#!/usr/bin/env node
// The `gradlab` command (`npx gradlab ...`). The CLI is TypeScript compiled to
// dist/; a fresh checkout builds it first.
"use strict";
const { existsSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

const root = join(__dirname, "..");
const cli = join(root, "dist", "kernel-ext", "cli.js");
if (!existsSync(cli)) {
  console.error("gradlab: building (npm run build) ...");
  const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
  spawnSync(process.execPath, [tsc, "-p", root], { stdio: "inherit" });
  if (!existsSync(cli)) {
    console.error("gradlab: the build did not produce " + cli);
    process.exit(1);
  }
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code), (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
