import type * as VegaModule from "vega";
import type * as VegaLiteModule from "vega-lite";

/**
 * Vega-Lite specs drawn in Node: spec -> Vega -> SVG (vega's own SVG
 * renderer) -> PNG (resvg). The PNG travels beside the spec so that
 * frontends with no vega renderer (the classic notebook, nbconvert's HTML,
 * GitHub) still show the plot.
 *
 * Rendering is synchronous, so a training loop that blocks the event loop
 * can still redraw its loss curve every epoch. vega's public `view.toSVG()`
 * is asynchronous only to wait for data loading and images, which gradlab's
 * inline-data specs never use; we run the view and its headless SVG renderer
 * ourselves with the same sizes `toSVG()` computes (a test checks the two
 * agree, so a vega upgrade that changes this shows up there).
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

// Loaded on first use: vega costs ~150 ms to load, which `import "gradlab"` should not pay.
let vegaMod: typeof VegaModule | undefined;
let vlMod: typeof VegaLiteModule | undefined;
function vega(): typeof VegaModule {
  return (vegaMod ??= require("vega") as typeof VegaModule);
}
function vegaLite(): typeof VegaLiteModule {
  return (vlMod ??= require("vega-lite") as typeof VegaLiteModule);
}

/** What the headless SVG renderer needs from a view beyond its public API (see vega-view's renderHeadless). */
interface ViewInternals {
  _viewWidth: number;
  _viewHeight: number;
  _origin: [number, number];
  _scenegraph: { root: unknown };
}

interface HeadlessSvgRenderer {
  initialize(el: null, width: number, height: number, origin: [number, number], scaleFactor: number): HeadlessSvgRenderer;
  background(color: unknown): HeadlessSvgRenderer;
  render(scene: unknown): HeadlessSvgRenderer;
  svg(): string;
}

/** Compiles a Vega-Lite spec and returns the view, already run. */
function runView(spec: JsonObject): VegaModule.View {
  const v = vega();
  const compiled = vegaLite().compile(spec as unknown as VegaLiteModule.TopLevelSpec).spec;
  const view = new v.View(v.parse(compiled), { renderer: "none" });
  view.run();
  return view;
}

/** The SVG of a Vega-Lite spec, drawn synchronously. */
export function vegaLiteToSvg(spec: JsonObject): string {
  const v = vega();
  const view = runView(spec);
  try {
    const inner = view as unknown as ViewInternals;
    if (typeof inner._viewWidth !== "number" || !inner._origin || !inner._scenegraph) {
      throw new Error("vegaLiteToSvg: this vega version's View no longer has the fields gradlab renders from");
    }
    const pad = view.padding() as { left: number; right: number; top: number; bottom: number };
    const renderModule = v.renderModule as unknown as (name: string) => { headless: new (loader: unknown) => HeadlessSvgRenderer };
    const Ctor = renderModule("svg").headless;
    const r = new Ctor(view.loader());
    r.initialize(
      null,
      Math.max(0, inner._viewWidth + pad.left + pad.right),
      Math.max(0, inner._viewHeight + pad.top + pad.bottom),
      [pad.left + inner._origin[0], pad.top + inner._origin[1]],
      1,
    ).background((view as unknown as { background(): unknown }).background());
    r.render(inner._scenegraph.root);
    return r.svg();
  } finally {
    view.finalize();
  }
}

/** The same SVG through vega's public, asynchronous `toSVG()`: the reference the synchronous path is tested against. */
export async function vegaLiteToSvgAsync(spec: JsonObject): Promise<string> {
  const view = runView(spec);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

interface ResvgModule {
  Resvg: new (svg: string, opts?: { fitTo?: { mode: "zoom"; value: number }; font?: { loadSystemFonts?: boolean }; background?: string }) => {
    render(): { asPng(): Uint8Array };
  };
}
let resvgMod: ResvgModule | undefined;

/** Rasterises an SVG with resvg (system fonts; a missing family falls back to any sans font). */
export function svgToPng(svg: string, scale = 1): Uint8Array {
  resvgMod ??= require("@resvg/resvg-js") as ResvgModule;
  const r = new resvgMod.Resvg(svg, { fitTo: { mode: "zoom", value: scale }, font: { loadSystemFonts: true }, background: "white" });
  return r.render().asPng();
}
