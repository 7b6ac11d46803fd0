/* First paint without plotly.js (issue 19: the 20-chart page on a fresh browser, the 5,000-series run).

   plotly.min.js is 4.6 MB; a fresh browser spends 1.3-1.6 s fetching, compiling and running it, and
   while it runs the page cannot paint. So the task page only *preloads* it (<link rel="preload">,
   the download overlaps the page's own requests) and a chart whose data arrive before plotly.js has
   run draws them at once as a small SVG chart: the same traces seriesTraces() gives plotly (min/max
   band, the raw or smoothed line, dashes, NaN/Inf markers in their strip above the plot), axes with
   ticks and titles, resume markers. When every chart that started has drawn (or SETTLE_MS after the first),
   plotly.js is run, and the charts in view become interactive plotly charts first, the others after
   them (upgradeTurn), each replacing its SVG in one task, so there is no blank gap.

   data-drawn on the chart box says what is shown: "preview" (this module) or "plotly"; data-state
   stays "loading" until plotly has drawn (tests and zoom handlers wait for "ready"). */
import {RL} from "./common.js";

const NS = "http://www.w3.org/2000/svg";
const SETTLE_MS = 800;                 // after the first preview: the longest plotly.js waits for the others
const STALL_MS = 5000;                 // ...and for the first one (a request that hangs)
const DASH = {dash: "6,4", dot: "2,3", dashdot: "6,3,2,3", longdash: "10,5", longdashdot: "10,4,2,4"};

/* ---- when plotly.js runs: after the first previews have painted ------------------------------ */
/* A browser that has run this plotly.js before has it in its caches (compiled code too): it runs it at
   once, as the page did before this module, and its charts mostly go straight to plotly. */
const SEEN = "ringlog.plotly-run", pre = document.getElementById("plotly-preload");
const seen = () => { try { return !!pre && localStorage.getItem(SEEN) === pre.href; } catch (e) { return false; } };
const remember = P => { try { if (pre) localStorage.setItem(SEEN, pre.href); } catch (e) { /* private mode */ } return P; };
if (!window.Plotly && seen()) RL.plotly().then(remember, () => {});

let open = 0, timer = null, gate = null, openGate;
function release() {
  clearTimeout(timer);
  // two frames: the previews drawn in this task are painted before plotly.js blocks the main thread
  requestAnimationFrame(() => setTimeout(openGate, 0));
}
function theGate() {
  if (!gate) gate = new Promise(res => { openGate = res; }).then(() => RL.plotly()).then(remember);
  return gate;
}
let first = true;
/* a chart's first load started while plotly.js has not run (its preview is awaited) */
export function previewStarted() {
  theGate();
  if (open++ === 0 && !timer) timer = setTimeout(release, STALL_MS);
}
/* that chart has drawn its preview (or failed): the last one lets plotly.js run; slower charts get
   SETTLE_MS after the first preview (their data then wait for plotly.js, as before this module) */
export function previewSettled() {
  if (--open <= 0) { open = 0; release(); return; }
  if (first) { first = false; clearTimeout(timer); timer = setTimeout(release, SETTLE_MS); }
}
/* plotly.js, run once the previews asked for have painted (at once when none were) */
export function plotlyAfterPreviews() {
  return window.Plotly ? Promise.resolve(window.Plotly) : gate || RL.plotly();
}

/* Charts in view take their turn to become plotly charts before those out of view; one per task. */
const queue = {now: [], later: []};
let pumping = false;
export function upgradeTurn(box) {
  return new Promise(resolve => {
    const r = box.getBoundingClientRect();
    (r.bottom > 0 && r.top < innerHeight ? queue.now : queue.later).push(resolve);
    if (!pumping) { pumping = true; setTimeout(pump, 0); }
  });
}
function pump() {
  const next = queue.now.shift() || queue.later.shift();
  if (!next) { pumping = false; return; }
  next();                              // the chart draws in this task's microtasks
  setTimeout(pump, 0);
}

/* ---- the SVG chart ---------------------------------------------------------------------------- */
const svg = (tag, attrs) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  return e;
};
const fin = v => v !== null && v !== undefined && Number.isFinite(v);

/* "nice" ticks over [lo, hi] (about n of them): 1, 2 or 5 times a power of ten */
export function niceTicks(lo, hi, n = 6) {
  if (!(hi > lo)) return fin(lo) ? [lo] : [];
  const raw = (hi - lo) / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * p).find(s => s >= raw) || 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
                    172800, 604800];
const pad2 = n => String(n).padStart(2, "0");
/* local wall-clock ticks (x = unix seconds) */
function timeTicks(lo, hi, n = 5) {
  const step = TIME_STEPS.find(s => s >= (hi - lo) / n) || 604800;
  const off = -new Date(lo * 1000).getTimezoneOffset() * 60;        // tick on local round times
  const out = [];
  for (let v = Math.ceil((lo + off) / step) * step - off; v <= hi; v += step) out.push(v);
  const fmt = v => { const d = new Date(v * 1000);
    return step >= 86400 ? `${d.getMonth() + 1}/${d.getDate()}`
         : `${pad2(d.getHours())}:${pad2(d.getMinutes())}` + (step < 60 ? `:${pad2(d.getSeconds())}` : ""); };
  return out.map(v => [v, fmt(v)]);
}
export function tickLabel(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1).replace("e+", "e");
  return String(Number(v.toPrecision(6)));
}

/* Draws ``traces`` (seriesTraces' plotly traces, x in API units) into ``el`` as an SVG chart.
   view: {height, xTitle, wall (x is unix seconds: local clock ticks), logy, xrange, yrange (log10
   units when logy, as plotly's), markers (x of resume markers)} */
export function drawPreview(el, traces, view) {
  const W = Math.max(200, el.clientWidth || 600);
  const H = view.height > 0 ? view.height : Math.max(200, el.clientHeight || 300);
  const m = {l: 55, r: 15, t: 28, b: 40}, pw = W - m.l - m.r, ph = H - m.t - m.b;
  const strip = traces.some(t => t.yaxis === "y2");
  const dataTop = m.t + (strip ? ph * 0.14 : 0), dataH = ph - (strip ? ph * 0.14 : 0);
  const ly = v => (view.logy ? (v > 0 ? Math.log10(v) : NaN) : v);
  const main = traces.filter(t => t.yaxis !== "y2");
  let [x0, x1] = view.xrange || [Infinity, -Infinity], [y0, y1] = view.yrange || [Infinity, -Infinity];
  for (const t of main) {
    if (!view.xrange) for (const x of t.x) if (fin(x)) { if (x < x0) x0 = x; if (x > x1) x1 = x; }
    if (!view.yrange) for (const y of t.y) { const v = ly(y); if (fin(v)) { if (v < y0) y0 = v; if (v > y1) y1 = v; } }
  }
  if (!(x1 >= x0)) { x0 = 0; x1 = 1; }
  if (!(y1 >= y0)) { y0 = 0; y1 = 1; }
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { const d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
  if (!view.yrange) { const d = (y1 - y0) * 0.04; y0 -= d; y1 += d; }
  const X = x => m.l + (x - x0) / (x1 - x0) * pw;
  const Y = y => dataTop + dataH - (ly(y) - y0) / (y1 - y0) * dataH;
  const root = svg("svg", {class: "quick-svg", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
                           "aria-label": "chart (interactive version loading)", "font-family": "sans-serif", "font-size": 11});
  const clip = "qc" + Math.random().toString(36).slice(2);
  const defs = svg("defs");
  defs.appendChild(svg("clipPath", {id: clip})).appendChild(svg("rect", {x: m.l, y: m.t, width: pw, height: ph}));
  root.appendChild(defs);
  const grid = svg("g", {stroke: "#e6e8ec", "stroke-width": 1});
  const labels = svg("g", {fill: "#444", class: "quick-ticks"});
  const xt = view.wall ? timeTicks(x0, x1) : niceTicks(x0, x1, Math.max(2, Math.round(pw / 90))).map(v => [v, tickLabel(v)]);
  for (const [v, s] of xt) {
    const px = X(v);
    grid.appendChild(svg("line", {x1: px, x2: px, y1: dataTop, y2: dataTop + dataH}));
    labels.appendChild(svg("text", {x: px, y: H - m.b + 14, "text-anchor": "middle", class: "xtick"})).textContent = s;
  }
  const yt = view.logy ? logTicks(y0, y1) : niceTicks(y0, y1, Math.max(2, Math.round(dataH / 50))).map(v => [v, tickLabel(v)]);
  for (const [v, s] of yt) {
    const py = dataTop + dataH - (v - y0) / (y1 - y0) * dataH;
    grid.appendChild(svg("line", {x1: m.l, x2: m.l + pw, y1: py, y2: py}));
    labels.appendChild(svg("text", {x: m.l - 4, y: py + 4, "text-anchor": "end", class: "ytick"})).textContent = s;
  }
  root.append(grid, labels);
  root.appendChild(svg("text", {x: m.l + pw / 2, y: H - 6, "text-anchor": "middle", fill: "#444", class: "xtitle"}))
    .textContent = view.xTitle || "";
  const plot = svg("g", {"clip-path": `url(#${clip})`});
  root.appendChild(plot);
  for (const x of view.markers || []) {
    plot.appendChild(svg("line", {x1: X(x), x2: X(x), y1: m.t, y2: m.t + ph, stroke: "#8a8f98", "stroke-dasharray": "2,3"}));
  }
  let prev = null;
  for (const t of main) {
    const c = (t.line && t.line.color) || "#1f77b4";
    if (t.fill && prev) {          // the min/max band: between the previous trace and this one
      const d = pathOf(prev.x, prev.y, X, Y, true) + " " + pathOf(t.x, t.y, X, Y, true, true).replace(/^M/, "L") + " Z";
      plot.appendChild(svg("path", {d, fill: t.fillcolor || c, stroke: "none", class: "quick-band"}));
    }
    if (!(t.line && t.line.width === 0)) {
      plot.appendChild(svg("path", {d: pathOf(t.x, t.y, X, Y), fill: "none", stroke: c, "stroke-width": t.line.width || 1.5,
                                    "stroke-opacity": t.opacity ?? 1, "stroke-dasharray": DASH[t.line.dash],
                                    "stroke-linejoin": "round", class: "quick-line"}));
      if (String(t.mode).includes("markers")) t.x.forEach((x, i) => {
        if (fin(x) && fin(ly(t.y[i]))) plot.appendChild(svg("circle", {cx: X(x), cy: Y(t.y[i]), r: 2.5, fill: c}));
      });
    }
    prev = t;
  }
  const named = main.filter(t => t.showlegend !== false);
  if (named.length > 1) {                        // a legend in the top margin: each line's dash and name
    const lg = svg("g", {class: "quick-legend", "font-size": 10, fill: "#444"});
    let x = m.l;
    for (const t of named) {
      if (x > W - 60) break;
      lg.appendChild(svg("line", {x1: x, x2: x + 18, y1: 10, y2: 10, stroke: t.line.color, "stroke-width": 2,
                                  "stroke-dasharray": DASH[t.line.dash]}));
      const name = String(t.name).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
      lg.appendChild(svg("text", {x: x + 22, y: 13})).textContent = name;
      x += 30 + 6 * Math.min(name.length, 30);
    }
    root.appendChild(lg);
  }
  if (strip) {                                   // NaN/Inf markers in the strip above the plot area
    const sy0 = m.t, sh = ph * 0.1;
    root.appendChild(svg("rect", {x: m.l, y: sy0, width: pw, height: sh, fill: "rgba(120,128,144,0.12)"}));
    root.appendChild(svg("text", {x: m.l - 4, y: sy0 + sh / 2 + 3, "text-anchor": "end", "font-size": 9, fill: "#3d4350"}))
      .textContent = "NaN/Inf";
    for (const t of traces.filter(t => t.yaxis === "y2")) t.x.forEach((x, i) => {
      if (!fin(x) || x < x0 || x > x1) return;
      plot.appendChild(svg("text", {x: X(x), y: sy0 + sh * (1 - t.y[i]) + 3, "text-anchor": "middle", "font-size": 9,
                                    fill: "#3d4350", class: "quick-nonfinite"})).textContent = t.y[i] > 0.6 ? "▲" : t.y[i] < 0.4 ? "▼" : "×";
    });
  }
  el.querySelectorAll(".quick-svg").forEach(e => e.remove());
  el.appendChild(root);
  return root;
}

/* "M x y L x y ..." with a new M after every gap (null/NaN: connectgaps false); ``reverse`` walks back */
function pathOf(xs, ys, X, Y, joined = false, reverse = false) {
  const parts = [];
  let pen = false;
  const n = xs.length;
  for (let k = 0; k < n; k++) {
    const i = reverse ? n - 1 - k : k, px = X(xs[i]), py = Y(ys[i]);
    if (!fin(px) || !fin(py)) { pen = joined && pen; continue; }
    parts.push((pen ? "L" : "M") + px.toFixed(1) + " " + py.toFixed(1));
    pen = true;
  }
  return parts.join("") || "M0 0";
}

/* log axis ticks (y0, y1 in log10 units): every power of ten, or nice ticks of the exponent */
function logTicks(y0, y1) {
  const pows = [];
  for (let e = Math.ceil(y0); e <= Math.floor(y1); e++) pows.push(e);
  const ex = pows.length >= 2 ? pows : niceTicks(y0, y1, 4);
  return ex.map(e => [e, tickLabel(Math.pow(10, e))]);
}
