import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURE_REGIONS, RegionResult, formatResults, screenshotRegions } from "./screenshots";
import { ROOT, executeFixture } from "./util";

/**
 * The executed fixture notebook rendered by nbconvert and opened in headless
 * Chromium: every table and plot must put pixels on the page where it is.
 * Screenshots go to screenshots/ (git-ignored) for a person to look at.
 */
describe("kernel: notebook HTML in headless Chromium", function () {
  this.timeout(240_000);
  let results: RegionResult[];
  before(async () => {
    const run = await executeFixture();
    results = await screenshotRegions(run.htmlPath, join(ROOT, "screenshots"), FIXTURE_REGIONS, "fixture");
  });

  for (const region of FIXTURE_REGIONS) {
    it(`${region.name} is visible (${region.selector})`, () => {
      const r = results.find((x) => x.name === region.name);
      assert.ok(r?.found, `${region.selector} not found in the page\n${formatResults(results)}`);
      assert.ok(r.ok, formatResults(results));
    });
  }
});
