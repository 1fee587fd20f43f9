/**
 * Mocha root hooks, loaded by .mocharc.json before any test file. Loading
 * the tfjs backend registers it, so every forEachBackend suite also runs on
 * it; its engine loads in the first such suite's before hook. With
 * GRADLAB_BACKEND=tfjs the whole run starts on that backend.
 */
import "../src/backend/tfjs";
import * as backends from "../src/backend";

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await backends.ready();
  },
};
