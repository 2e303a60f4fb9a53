// Product pictures drawn as inline SVG from the catalog's `image` (a shape
// name) and `color`: no external images, no hot-links. Presentation attributes
// only (fill=…), since the CSP forbids inline style.
import { s } from "./dom.js";

const INK = "#1d2430";
const LIGHT = "#ffffff";

const SHAPES = {
  shoe: (c) => [
    s("path", { d: "M14 62 C14 50 22 44 30 44 L44 30 C50 34 58 40 66 42 L84 48 C90 50 92 56 92 62 Z", fill: c }),
    s("rect", { x: 12, y: 62, width: 82, height: 8, rx: 4, fill: INK }),
    s("path", { d: "M46 34 l6 6 M52 30 l6 6 M58 36 l6 6", stroke: LIGHT, "stroke-width": 2 }),
  ],
  shirt: (c) => [s("path", { d: "M34 20 L20 30 L26 44 L34 40 L34 80 L66 80 L66 40 L74 44 L80 30 L66 20 C62 28 38 28 34 20 Z", fill: c })],
  watch: (c) => [
    s("rect", { x: 40, y: 12, width: 20, height: 76, rx: 6, fill: INK }),
    s("circle", { cx: 50, cy: 50, r: 20, fill: c }),
    s("circle", { cx: 50, cy: 50, r: 14, fill: LIGHT }),
    s("path", { d: "M50 50 L50 40 M50 50 L57 54", stroke: INK, "stroke-width": 2.5 }),
  ],
  bottle: (c) => [
    s("rect", { x: 42, y: 12, width: 16, height: 10, rx: 2, fill: INK }),
    s("path", { d: "M38 22 L62 22 L66 34 L66 86 L34 86 L34 34 Z", fill: c }),
    s("rect", { x: 38, y: 46, width: 24, height: 20, fill: LIGHT, opacity: 0.8 }),
  ],
  tent: (c) => [
    s("path", { d: "M50 18 L86 80 L14 80 Z", fill: c }),
    s("path", { d: "M50 40 L62 80 L38 80 Z", fill: INK }),
    s("path", { d: "M8 80 L92 80", stroke: INK, "stroke-width": 3 }),
  ],
  backpack: (c) => [
    s("rect", { x: 28, y: 22, width: 44, height: 62, rx: 12, fill: c }),
    s("rect", { x: 36, y: 52, width: 28, height: 20, rx: 4, fill: INK, opacity: 0.5 }),
    s("path", { d: "M40 22 C40 12 60 12 60 22", stroke: INK, "stroke-width": 4, fill: "none" }),
  ],
  bag: (c) => [s("rect", { x: 18, y: 30, width: 64, height: 44, rx: 22, fill: c }), s("path", { d: "M30 52 L70 52", stroke: LIGHT, "stroke-width": 3 })],
  lamp: (c) => [
    s("circle", { cx: 50, cy: 46, r: 16, fill: c }),
    s("path", { d: "M50 20 L50 26 M28 46 L22 46 M72 46 L78 46 M34 30 L30 26 M66 30 L70 26", stroke: "#c9a227", "stroke-width": 3 }),
    s("rect", { x: 40, y: 62, width: 20, height: 20, rx: 3, fill: INK }),
  ],
  pan: (c) => [
    s("ellipse", { cx: 42, cy: 56, rx: 30, ry: 14, fill: INK }),
    s("ellipse", { cx: 42, cy: 52, rx: 26, ry: 10, fill: c }),
    s("rect", { x: 70, y: 50, width: 24, height: 6, rx: 3, fill: INK }),
  ],
  dropper: (c) => [
    s("rect", { x: 44, y: 12, width: 12, height: 16, rx: 5, fill: INK }),
    s("rect", { x: 34, y: 28, width: 32, height: 56, rx: 8, fill: c }),
    s("rect", { x: 40, y: 44, width: 20, height: 22, fill: LIGHT, opacity: 0.8 }),
  ],
  jar: (c) => [
    s("rect", { x: 26, y: 30, width: 48, height: 12, rx: 3, fill: INK }),
    s("rect", { x: 24, y: 42, width: 52, height: 40, rx: 8, fill: c }),
    s("rect", { x: 34, y: 52, width: 32, height: 16, fill: LIGHT, opacity: 0.8 }),
  ],
  tube: (c) => [
    s("path", { d: "M32 16 L68 16 L62 74 L38 74 Z", fill: c }),
    s("rect", { x: 42, y: 74, width: 16, height: 12, rx: 2, fill: INK }),
  ],
  lipstick: (c) => [
    s("path", { d: "M42 20 L58 28 L58 50 L42 50 Z", fill: c }),
    s("rect", { x: 38, y: 50, width: 24, height: 34, rx: 3, fill: INK }),
  ],
  knife: (c) => [
    s("path", { d: "M12 58 L66 40 C70 46 70 54 66 58 Z", fill: "#b8c2cc" }),
    s("rect", { x: 64, y: 52, width: 28, height: 10, rx: 4, fill: c }),
  ],
  mug: (c) => [
    s("rect", { x: 24, y: 30, width: 40, height: 46, rx: 6, fill: c }),
    s("path", { d: "M64 40 C80 40 80 64 64 64", stroke: c, "stroke-width": 6, fill: "none" }),
    s("path", { d: "M36 16 C32 22 40 24 36 28 M48 16 C44 22 52 24 48 28", stroke: INK, "stroke-width": 2, fill: "none" }),
  ],
  box: (c) => [
    s("rect", { x: 22, y: 26, width: 56, height: 56, rx: 8, fill: c }),
    s("circle", { cx: 50, cy: 54, r: 14, fill: LIGHT }),
    s("circle", { cx: 50, cy: 54, r: 5, fill: INK }),
  ],
  board: (c) => [
    s("rect", { x: 16, y: 30, width: 60, height: 44, rx: 8, fill: c }),
    s("rect", { x: 76, y: 46, width: 14, height: 12, rx: 4, fill: c }),
  ],
  book: (c) => [
    s("rect", { x: 26, y: 14, width: 50, height: 72, rx: 3, fill: c }),
    s("rect", { x: 26, y: 14, width: 8, height: 72, fill: INK, opacity: 0.4 }),
    s("rect", { x: 40, y: 28, width: 28, height: 4, fill: LIGHT }),
    s("rect", { x: 40, y: 36, width: 20, height: 3, fill: LIGHT }),
  ],
  headphones: (c) => [
    s("path", { d: "M22 58 C22 20 78 20 78 58", stroke: INK, "stroke-width": 6, fill: "none" }),
    s("rect", { x: 16, y: 52, width: 16, height: 28, rx: 6, fill: c }),
    s("rect", { x: 68, y: 52, width: 16, height: 28, rx: 6, fill: c }),
  ],
  speaker: (c) => [
    s("rect", { x: 28, y: 14, width: 44, height: 72, rx: 8, fill: c }),
    s("circle", { cx: 50, cy: 36, r: 8, fill: INK }),
    s("circle", { cx: 50, cy: 64, r: 14, fill: INK }),
  ],
  keyboard: (c) => [
    s("rect", { x: 10, y: 34, width: 80, height: 34, rx: 5, fill: c }),
    ...[0, 1, 2].flatMap((row) => [0, 1, 2, 3, 4, 5, 6].map((col) => s("rect", { x: 15 + col * 10.5, y: 39 + row * 9, width: 8, height: 6, rx: 1, fill: LIGHT }))),
  ],
  camera: (c) => [
    s("rect", { x: 14, y: 32, width: 72, height: 46, rx: 8, fill: INK }),
    s("rect", { x: 30, y: 24, width: 20, height: 10, rx: 2, fill: INK }),
    s("circle", { cx: 50, cy: 55, r: 16, fill: c }),
    s("circle", { cx: 50, cy: 55, r: 8, fill: LIGHT, opacity: 0.7 }),
  ],
};

/** An SVG picture of a product; `label` is its accessible name (the alt text). */
export function productImage(item, size = "card") {
  const color = /^#[0-9a-fA-F]{6}$/.test(item.color || "") ? item.color : "#99a8b2";
  const draw = SHAPES[item.image] || SHAPES.box;
  return s(
    "svg",
    { viewBox: "0 0 100 100", class: `pic pic-${size}`, role: "img", "aria-label": `Picture of ${item.title}` },
    s("rect", { x: 0, y: 0, width: 100, height: 100, rx: 10, fill: "#f1f3f6" }),
    draw(color),
  );
}
