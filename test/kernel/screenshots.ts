import { ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Readable, Writable } from "node:stream";
import { repoRoot } from "../../kernel-ext/install";
import { runNotebooks } from "../../kernel-ext/notebooks";
import { decodePng } from "../../src/display/image";

/**
 * An executed notebook's HTML (nbconvert), opened in headless Chromium, with
 * each region that should show something (a table, a plot) screenshotted and
 * checked for ink: non-background pixels and distinct colours where the
 * element is. Talks to Chromium over the DevTools protocol on a pipe
 * (--remote-debugging-pipe), so it needs no library and no port.
 *
 * `npm run screenshots [notebook.ipynb]` executes a notebook (the kernel
 * fixture by default) and runs the checks; test/kernel/screenshots.test.ts
 * does the same inside `npm test`. Pictures go to screenshots/ (git-ignored).
 */

export interface Region {
  name: string;
  /** CSS selector of the element; the first match is checked. */
  selector: string;
  /** Least fraction of the element's pixels that differ from its background. */
  minInk: number;
  /** Least number of distinct colours (a plot has many, a blank box one). */
  minColors?: number;
}

export interface RegionResult extends Region {
  found: boolean;
  box?: { x: number; y: number; width: number; height: number };
  ink: number;
  colors: number;
  ok: boolean;
  file?: string;
}

/** The regions of the kernel fixture notebook (test/kernel/fixtures/display.ipynb), by cell tag. */
export const FIXTURE_REGIONS: Region[] = [
  { name: "tensor-table", selector: ".celltag_tensor .gradlab-tensor table", minInk: 0.03, minColors: 2 },
  { name: "tensor-heatmap", selector: ".celltag_tensor .gradlab-heatmap img", minInk: 0.5, minColors: 4 },
  { name: "vegalite-png", selector: ".celltag_vegalite .jp-RenderedImage img", minInk: 0.02, minColors: 50 },
  { name: "plotly", selector: ".celltag_plotly .gradlab-plotly", minInk: 0.02, minColors: 50 },
  { name: "progress", selector: ".celltag_progress .gradlab-progress", minInk: 0.05, minColors: 2 },
  { name: "updated-bar", selector: ".celltag_update .jp-RenderedImage img", minInk: 0.05, minColors: 4 },
  { name: "image-grid", selector: ".celltag_images .gradlab-images img", minInk: 0.3, minColors: 8 },
  { name: "graph", selector: ".celltag_graph .gradlab-graph img", minInk: 0.05, minColors: 4 },
  { name: "error", selector: ".celltag_throws .jp-OutputArea-output", minInk: 0.02, minColors: 2 },
];

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) throw new Error("no Chromium found (tried " + candidates.filter(Boolean).join(", ") + "); on Debian: apt-get install chromium, or set CHROMIUM");
  return found;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A DevTools protocol connection over Chromium's pipe: JSON messages ended by NUL. */
class Cdp {
  private nextId = 1;
  private readonly waiting = new Map<number, { ok: (r: Record<string, unknown>) => void; fail: (e: Error) => void }>();
  private readonly listeners: ((m: CdpMessage) => void)[] = [];
  private buf = "";

  constructor(private readonly input: Writable, output: Readable) {
    output.on("data", (chunk: Buffer) => {
      this.buf += chunk.toString("utf8");
      let end: number;
      while ((end = this.buf.indexOf("\0")) >= 0) {
        const msg = JSON.parse(this.buf.slice(0, end)) as CdpMessage;
        this.buf = this.buf.slice(end + 1);
        if (msg.id !== undefined && this.waiting.has(msg.id)) {
          const w = this.waiting.get(msg.id)!;
          this.waiting.delete(msg.id);
          if (msg.error) w.fail(new Error(msg.error.message));
          else w.ok(msg.result ?? {});
        } else for (const l of this.listeners) l(msg);
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    return new Promise((ok, fail) => this.waiting.set(id, { ok, fail }));
  }

  waitFor(method: string, timeoutMs: number): Promise<void> {
    return new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`timed out waiting for ${method}`)), timeoutMs);
      this.listeners.push((m) => {
        if (m.method === method) {
          clearTimeout(t);
          ok();
        }
      });
    });
  }
}

/** Fraction of pixels unlike the most common colour, and how many distinct colours there are. */
export function inkOf(png: Uint8Array): { ink: number; colors: number } {
  const { rgba } = decodePng(png);
  const counts = new Map<number, number>();
  const n = rgba.length / 4;
  for (let i = 0; i < rgba.length; i += 4) {
    const key = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let bg = 0, bgCount = -1;
  for (const [k, c] of counts) if (c > bgCount) [bg, bgCount] = [k, c];
  const [br, bgg, bb] = [(bg >> 16) & 255, (bg >> 8) & 255, bg & 255];
  let ink = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    if (Math.abs(rgba[i] - br) + Math.abs(rgba[i + 1] - bgg) + Math.abs(rgba[i + 2] - bb) > 30) ink++;
  }
  return { ink: n ? ink / n : 0, colors: counts.size };
}

/**
 * Opens `htmlFile` in headless Chromium, saves a full-page screenshot and one
 * per region into `outDir` (prefixed with `prefix`), and measures each region.
 */
export async function screenshotRegions(htmlFile: string, outDir: string, regions: readonly Region[], prefix = "page"): Promise<RegionResult[]> {
  mkdirSync(outDir, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "gradlab-chromium-"));
  const chrome: ChildProcess = spawn(
    chromiumPath(),
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--hide-scrollbars", "--mute-audio", `--user-data-dir=${profile}`,
      "--remote-debugging-pipe", "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  chrome.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<never>((_, fail) => chrome.on("exit", (code) => fail(new Error(`chromium exited (${code}): ${stderr.slice(-2000)}`))));
  exited.catch(() => undefined);
  const cdp = new Cdp(chrome.stdio[3] as Writable, chrome.stdio[4] as Readable);
  const step = <T>(p: Promise<T>): Promise<T> => Promise.race([p, exited]);
  try {
    const { targetId } = (await step(cdp.send("Target.createTarget", { url: "about:blank" }))) as { targetId: string };
    const { sessionId } = (await step(cdp.send("Target.attachToTarget", { targetId, flatten: true }))) as { sessionId: string };
    const s = (method: string, params: Record<string, unknown> = {}) => step(cdp.send(method, params, sessionId));
    await s("Page.enable");
    await s("Emulation.setDeviceMetricsOverride", { width: 1100, height: 900, deviceScaleFactor: 1, mobile: false });
    const loaded = cdp.waitFor("Page.loadEventFired", 30_000);
    await s("Page.navigate", { url: pathToFileURL(resolve(htmlFile)).href });
    await step(loaded);
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = (await s("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true })) as { result: { value: T } };
      return r.result.value;
    };
    // Plotly draws after load: wait until every plotly box has its SVG (or give up after 20 s).
    await evaluate(`new Promise((done) => { const t0 = Date.now(); (function check() {
      const boxes = [...document.querySelectorAll(".gradlab-plotly")];
      if (boxes.every((b) => b.querySelector("svg.main-svg")) || Date.now() - t0 > 20000) done(true); else setTimeout(check, 100);
    })(); })`);
    const boxes = await evaluate<({ x: number; y: number; width: number; height: number } | null)[]>(
      `(${JSON.stringify(regions.map((r) => r.selector))}).map((sel) => { const el = document.querySelector(sel); if (!el) return null;
        el.scrollIntoView(); const r = el.getBoundingClientRect();
        return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height }; })`,
    );
    const metrics = (await s("Page.getLayoutMetrics")) as { cssContentSize?: { width: number; height: number }; contentSize: { width: number; height: number } };
    const size = metrics.cssContentSize ?? metrics.contentSize;
    const shot = async (clip: { x: number; y: number; width: number; height: number }): Promise<Uint8Array> => {
      const r = (await s("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip: { ...clip, scale: 1 } })) as { data: string };
      return Buffer.from(r.data, "base64");
    };
    writeFileSync(join(outDir, `${prefix}-full.png`), await shot({ x: 0, y: 0, width: Math.ceil(size.width), height: Math.ceil(size.height) }));
    const results: RegionResult[] = [];
    for (let i = 0; i < regions.length; i++) {
      const region = regions[i], box = boxes[i];
      if (!box || box.width < 2 || box.height < 2) {
        results.push({ ...region, found: !!box, box: box ?? undefined, ink: 0, colors: 0, ok: false });
        continue;
      }
      const png = await shot(box);
      const file = join(outDir, `${prefix}-${region.name}.png`);
      writeFileSync(file, png);
      const { ink, colors } = inkOf(png);
      results.push({ ...region, found: true, box, ink, colors, file, ok: ink >= region.minInk && colors >= (region.minColors ?? 2) });
    }
    return results;
  } finally {
    // Browser.close lets Chromium end its helper processes before the profile is removed.
    const gone = new Promise((done) => (chrome.exitCode !== null ? done(null) : chrome.once("exit", done)));
    if (chrome.exitCode === null) {
      cdp.send("Browser.close").catch(() => undefined);
      const killer = setTimeout(() => chrome.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(killer);
    }
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

export function formatResults(results: readonly RegionResult[]): string {
  return results
    .map((r) => `${r.ok ? "ok  " : "FAIL"} ${r.name.padEnd(16)} ${r.found ? `${Math.round(r.box?.width ?? 0)}x${Math.round(r.box?.height ?? 0)}`.padEnd(10) : "not found ".padEnd(10)} ink ${(r.ink * 100).toFixed(1).padStart(5)}% (min ${(r.minInk * 100).toFixed(0)}%), ${r.colors} colours`)
    .join("\n");
}

/** `npm run screenshots [notebook.ipynb]`: execute, render, screenshot, check. */
async function main(args: string[]): Promise<number> {
  const root = repoRoot();
  const notebook = args.find((a) => a.endsWith(".ipynb")) ?? join(root, "test", "kernel", "fixtures", "display.ipynb");
  const outDir = join(root, "screenshots");
  const work = join(outDir, "executed");
  const [run] = await runNotebooks([notebook], { out: work, html: true, allowErrors: true });
  console.log(`executed ${notebook} in ${run.seconds} s -> ${run.executed}`);
  const usesFixture = notebook.endsWith(join("fixtures", "display.ipynb"));
  const regions = usesFixture ? FIXTURE_REGIONS : [{ name: "outputs", selector: ".jp-OutputArea-output", minInk: 0.01 }];
  const results = await screenshotRegions(run.executed.replace(/\.ipynb$/, ".html"), outDir, regions, "notebook");
  console.log(formatResults(results));
  console.log(`screenshots in ${outDir}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
