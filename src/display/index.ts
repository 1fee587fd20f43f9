/**
 * Rich display: MIME bundles for notebooks (Deno's `Symbol.for("Jupyter.display")`
 * convention), plots, progress, and the computation graph.
 */
export { DISPLAY, isDisplayable, bundleOf, displayable, htmlTable, escapeHtml, pngImgTag, toBase64 } from "./bundle";
export type { MimeBundle, Displayable, Cell, TableOptions } from "./bundle";
export { display, updateDisplay, clearOutput, newDisplayId, html, markdown, DisplayHandle } from "./display";
export { kernelHook, KERNEL_HOOK } from "./hook";
export type { KernelHook, SendOptions } from "./hook";
export { progress, Progress, Interrupted } from "./progress";
export type { ProgressOptions, ProgressFields } from "./progress";
export { tensorBundle } from "./tensor";
export { drawGraph, GraphView } from "./graph";
export type { GraphOptions } from "./graph";
export { diagram, Diagram } from "./diagram";
export type { DiagramSpec, DiagramNode, DiagramEdge, DiagramOptions } from "./diagram";
export { encodePng, decodePng, heatmapPng, imageGridPng, colorHex } from "./image";
export type { ColorMap } from "./image";
export { Plot, ImageGrid, setPlotDefaults, plotDefaults } from "./plot";
export type { Engine, Values, Matrix, PlotOptions, LineOptions, ScatterOptions, HeatmapOptions, ContourOptions, HistogramOptions, ImagesOptions } from "./plot";
export { vegaLiteToSvg, svgToPng, VEGA_LITE_MIME } from "./vega";
export { PLOTLY_MIME } from "./plotly";

import { bar, contour, heatmap, histogram, images, line, scatter } from "./plot";
/** `plot.line(...)`, `plot.scatter(...)`, ...: each returns a Plot that shows itself in a notebook. */
export const plot = { line, scatter, heatmap, contour, histogram, bar, images };
