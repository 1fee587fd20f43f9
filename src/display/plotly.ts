import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { escapeHtml } from "./bundle";
import { kernelHook } from "./hook";
import type { JsonObject } from "./vega";

/**
 * Plotly figures: `application/vnd.plotly.v1+json` for frontends that draw it
 * (JupyterLab with jupyterlab-plotly, VS Code) and `text/html` that draws it
 * with a local plotly.js for the rest (the classic notebook, JupyterLab
 * without the extension, nbconvert's HTML). Nothing is fetched from the
 * network: the first figure of a kernel session inlines plotly.min.js (about
 * 4.7 MB, once), later figures wait for it.
 */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export interface PlotlyFigure {
  data: JsonObject[];
  layout: JsonObject;
}

let plotlySource: string | undefined;

function plotlyScript(): string {
  plotlySource ??= readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
  // Hide CommonJS/AMD loaders (the classic notebook has require.js) so the
  // bundle sets window.Plotly; and keep "</script" inside it from ending the tag.
  return `(function(module, exports, define){\n${plotlySource}\n}).call(window);`.replace(/<\/script/gi, "<\\/script");
}

// Per kernel session; outside a kernel every page must carry its own copy.
const LOADED = Symbol.for("gradlab.plotly.loaded");
function needsLibrary(): boolean {
  const hook = kernelHook();
  if (!hook) return true;
  const g = globalThis as { [LOADED]?: string };
  if (g[LOADED] === hook.session) return false;
  g[LOADED] = hook.session;
  return true;
}

/** The HTML that draws a figure offline; `standalone` always inlines plotly.js (for files written to disk). */
export function plotlyHtml(fig: PlotlyFigure, opts: { width: number; height: number; standalone?: boolean }): string {
  const id = "gradlab-plotly-" + randomBytes(6).toString("hex");
  const lib = opts.standalone || needsLibrary() ? `<script type="text/javascript">${plotlyScript()}</script>` : "";
  const json = JSON.stringify({ data: fig.data, layout: fig.layout, config: { responsive: true, displaylogo: false } }).replace(/</g, "\\u003c");
  // A later figure may render before the output that carries plotly.js (or after
  // it was cleared): wait a while, then say what to do instead of a blank box.
  const draw = `(function(){var fig=${json};var el=document.getElementById(${JSON.stringify(id)});var tries=0;
function go(){if(window.Plotly){window.Plotly.newPlot(el,fig.data,fig.layout,fig.config);return;}
if(++tries<100){setTimeout(go,100);return;}
el.innerHTML='<pre style="color:#a00">plotly.js is not loaded in this page: re-run the first plotly cell of the session, or restart the kernel and run all.</pre>';}
go();})();`;
  return (
    lib +
    `<div id="${escapeHtml(id)}" class="gradlab-plotly" style="width:${opts.width}px;height:${opts.height}px"></div>` +
    `<script type="text/javascript">${draw}</script>`
  );
}
