// A small SVG line chart (loss per epoch). Built with createElementNS and
// presentation attributes only: no innerHTML, no inline styles (CSP).
import { s } from "./dom.js";

/**
 * points: [{x, y}] (x = epoch, y = loss). Returns an <svg> with axes, the line,
 * a dot per point and a text summary for screen readers.
 */
export function lossChart(points, { width = 360, height = 180, label = "Training loss per epoch" } = {}) {
  const pad = { l: 44, r: 12, t: 12, b: 30 };
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const summary = finite.length
    ? `${label}: ${finite.map((p) => `epoch ${p.x}: ${p.y.toFixed(4)}`).join(", ")}`
    : `${label}: no epochs yet`;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": summary });
  const w = width - pad.l - pad.r;
  const hgt = height - pad.t - pad.b;
  svg.append(
    s("line", { x1: pad.l, y1: pad.t, x2: pad.l, y2: pad.t + hgt, stroke: "#4a5361" }),
    s("line", { x1: pad.l, y1: pad.t + hgt, x2: pad.l + w, y2: pad.t + hgt, stroke: "#4a5361" }),
    s("text", { x: pad.l + w / 2, y: height - 4, "text-anchor": "middle", class: "chart-label" }, "epoch"),
  );
  if (finite.length === 0) return svg;
  const xs = finite.map((p) => p.x);
  const ys = finite.map((p) => p.y);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 0.05; y1 += 0.05; }
  const px = (x) => pad.l + ((x - x0) / (x1 - x0)) * w;
  const py = (y) => pad.t + (1 - (y - y0) / (y1 - y0)) * hgt;
  for (const y of [y0, (y0 + y1) / 2, y1]) {
    svg.append(
      s("line", { x1: pad.l - 4, y1: py(y), x2: pad.l + w, y2: py(y), stroke: "#d5dae1" }),
      s("text", { x: pad.l - 6, y: py(y) + 4, "text-anchor": "end", class: "chart-label" }, y.toFixed(3)),
    );
  }
  for (const x of [...new Set(xs)]) {
    svg.append(s("text", { x: px(x), y: pad.t + hgt + 14, "text-anchor": "middle", class: "chart-label" }, String(x)));
  }
  svg.append(
    s("polyline", {
      points: finite.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" "),
      fill: "none",
      stroke: "#1f5fa8",
      "stroke-width": 2.5,
    }),
    ...finite.map((p) => s("circle", { cx: px(p.x), cy: py(p.y), r: 3.5, fill: "#1f5fa8" })),
  );
  return svg;
}
