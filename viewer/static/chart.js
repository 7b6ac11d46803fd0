/* RingChart: one plotly chart of one or more series, always drawn from decimated data.

   - asks /api/tasks/<id>/scalar for about one point per pixel of the chart's width;
   - on zoom/pan (plotly_relayout) re-queries only the visible x range, so finer data arrive;
   - draws the min/max envelope as a filled band (spikes always show, even when smoothed);
   - marks NaN/+Inf/-Inf on a hidden 0..1 overlay axis (top: +Inf, middle: NaN, bottom: -Inf);
   - smoothing (debiased EMA, running average or Gaussian: smoothers.js) runs client-side over the bucket
     means the API adds with mean=1, each bucket weighted by its point count, so zooming does not move
     the smoothed line; the raw line stays faint behind it;
   - "ignore outliers" (opts.outliers) fits the y axis to the 1st-99th percentile of the drawn points;
   - refresh() re-asks the current range with If-None-Match: an unchanged series costs a 304.
   State for tests lives in data-* attributes of the container: data-loads, data-level,
   data-points (points drawn), data-raw (raw points in range), data-state (loading|ready|error).

   The one chart drawer of the viewer (an ES module): the task page and compare use RingChart,
   report widgets draw their scalar traces with seriesTraces(), so both show the same envelope
   band and NaN/Inf markers. */
import {RL} from "./common.js";
import {drawTurn, footerSummary, outlierRange} from "./chart_tools.js";
import {batchedScalar} from "./scalar_batch.js";
import {drawPreview, plotlyAfterPreviews, previewSettled, previewStarted, upgradeTurn} from "./quickdraw.js";
import {emaX, smoothBuckets, smoothPoints} from "./smoothers.js";

/* Every chart's plotly config starts here: no plotly logo, and none of plotly's cloud links ("Edit in
   Chart Studio", "Share"/send-to-cloud): the viewer is local-only and never offers an upload. */
export const PLOTLY_CONFIG = {responsive: true, displaylogo: false, showLink: false, showSendToCloud: false,
                              showEditInChartStudio: false};

/* A fresh copy of PLOTLY_CONFIG with ``extra`` on top (plotly may keep the object it is given). */
export function plotlyConfig(extra = {}) {
  return {...PLOTLY_CONFIG, ...extra};
}

/* colours and dashes live in colors.js; re-exported for the pages that import them from here */
export {DASHES, PALETTE, runColor, runSwatch} from "./colors.js";
import {PALETTE} from "./colors.js";

/* The plotly traces of one series answer ({x, y, band, nonfinite}, as /api/tasks/<id>/scalar and the
   widget data give them): the min/max band, the (optionally smoothed) line and the non-finite
   markers on the hidden overlay axis "y2" (see NONFINITE_AXIS). */
export function seriesTraces(r, {name, color, dash, group, smoothing = 0, smoother = "ema", toPlotX = xs => xs, meta}) {
  const out = [];
  const xs = toPlotX(r.x);
  if (r.band && r.band.x.length) {
    const bx = toPlotX(r.band.x);
    out.push({x: bx, y: r.band.lo, type: "scatter", mode: "lines", line: {width: 0, color},
              legendgroup: group, showlegend: false, hoverinfo: "skip", name: name + " min"});
    out.push({x: bx, y: r.band.hi, type: "scatter", mode: "lines", line: {width: 0, color},
              fill: "tonexty", fillcolor: hexAlpha(color, 0.18), legendgroup: group,
              showlegend: false, hoverinfo: "skip", name: name + " max"});
  }
  if (smoothing > 0) {
    out.push({x: xs, y: r.y, type: "scatter", mode: "lines", line: {width: 1, color},
              opacity: 0.3, legendgroup: group, showlegend: false, hoverinfo: "skip",
              name: name + " raw"});
  }
  // smoothing runs over the bucket means when the answer has them (mean=1), so it does not move
  // with the zoom; else (x against a metric, huge ranges) over the drawn points
  const sm = smoothing > 0 && r.mean && r.mean.x.length;
  const mx = sm && smoother === "ema" && r.mean.x_last ? emaX(r.mean.x, r.mean.x_last, r.mean.n, smoothing) : sm && r.mean.x;
  out.push({x: sm ? toPlotX(mx) : xs, y: sm ? smoothBuckets(smoother, r.mean.y, r.mean.n, smoothing)
                                                  : smoothing > 0 ? smoothPoints(smoother, r.y, smoothing) : r.y, type: "scatter",
            mode: r.x.length < 60 ? "lines+markers" : "lines", line: {width: 1.5, color, dash: dash || "solid"},
            legendgroup: group, name: escapeHover(name), connectgaps: false,
            hovertemplate: "%{x}: %{y}<extra>" + escapeHover(name) + "</extra>"});
  const nf = r.nonfinite;
  if (nf && nf.x.length) {
    // in the strip above the plot area (NONFINITE_AXIS), in a neutral ink, never a run's colour
    const pos = {"nan": 0.5, "+inf": 0.8, "-inf": 0.2};
    const sym = {"nan": "x-thin-open", "+inf": "triangle-up-open", "-inf": "triangle-down-open"};
    out.push({x: toPlotX(nf.x), y: nf.kind.map(k => pos[k]), yaxis: "y2", type: "scatter",
              mode: "markers", marker: {color: NONFINITE_INK, size: 9, symbol: nf.kind.map(k => sym[k]),
                                        line: {width: 2, color: NONFINITE_INK}},
              text: nf.kind.map((k, j) => (nf.count && nf.count[j] > 1 ? `${nf.count[j]} × ${k}` : k)),
              legendgroup: group, showlegend: false, name: name + " non-finite",
              hovertemplate: "%{x}: %{text}<extra>" + escapeHover(name) + "</extra>"});
  }
  if (meta !== undefined) out.forEach(t => { t.meta = meta; });
  return out;
}

/* NaN/±Inf markers sit in a grey strip above the plot area, on their own hidden 0..1 axis (+Inf top,
   NaN middle, -Inf bottom): outside the data's range, so a marker never reads as a value. */
export const NONFINITE_INK = "#3d4350";
export const NONFINITE_AXIS = {domain: [0.9, 1], range: [0, 1], visible: false, fixedrange: true};
const DATA_DOMAIN = [0, 0.86];

/* Where a resumed task continued (``markers``: {step, t, time, from}, the page's ``resumes``), on the x axis in
   use: the step, seconds since the start, or the local wall time; none on a metric axis */
function markerXs(markers, x) {
  return (markers || []).map(m => (x === "step" ? m.step : x === "time" ? m.t : x === "wall" ? localDate(m.time) : null))
    .filter(v => v !== null && v !== undefined);
}

export function addResumeMarkers(layout, markers, x) {
  const xs = markerXs(markers, x);
  if (!xs.length) return layout;
  layout.shapes = (layout.shapes || []).concat(xs.map(v => ({type: "line", xref: "x", yref: "paper", x0: v, x1: v,
    y0: 0, y1: 1, line: {color: "#8a8f98", width: 1, dash: "dot"}})));
  layout.annotations = (layout.annotations || []).concat(xs.map(v => ({xref: "x", yref: "paper", x: v, y: 1,
    xanchor: "left", yanchor: "bottom", text: "resumed", showarrow: false, font: {size: 10, color: "#8a8f98"}})));
  return layout;
}

/* makes room for the strip in ``layout`` when ``results`` hold non-finite values (else none is drawn) */
export function addNonfiniteStrip(layout, results) {
  if (!results.some(r => r && r.nonfinite && r.nonfinite.x && r.nonfinite.x.length)) return layout;
  layout.yaxis = Object.assign({}, layout.yaxis, {domain: DATA_DOMAIN});
  layout.yaxis2 = NONFINITE_AXIS;
  layout.shapes = (layout.shapes || []).concat([{type: "rect", xref: "paper", yref: "paper", x0: 0, x1: 1,
    y0: NONFINITE_AXIS.domain[0], y1: NONFINITE_AXIS.domain[1], fillcolor: "rgba(120,128,144,0.12)",
    line: {width: 0}, layer: "below"}]);
  layout.annotations = (layout.annotations || []).concat([{xref: "paper", yref: "paper", x: 0, xanchor: "right",
    y: (NONFINITE_AXIS.domain[0] + NONFINITE_AXIS.domain[1]) / 2, yanchor: "middle", showarrow: false,
    text: "NaN/Inf", font: {size: 9, color: NONFINITE_INK}}]);
  return layout;
}

export class RingChart {
  /* lines: [{task, title, series, name, color}] ; opts: {smoothing, logy, x, method, height, metric,
     hover, hidden, range, onRange} (metric: the store title for report embeds when the displayed title
     differs, e.g. system charts; hover: plotly hovermode, "x unified" on compare; hidden: a Set of task
     ids not drawn; range: the zoomed x range to start with; onRange(range): called after each zoom) */
  constructor(container, title, lines, opts) {
    this.box = container;
    this.title = title;
    this.lines = lines;
    this.opts = Object.assign({smoothing: 0, smoother: "ema", outliers: false, logy: false, x: "step", method: "m4",
                               height: 300}, opts || {});
    // per-chart overrides (its own menu, chart_tools.js): pinned keys ignore the page's toolbar
    this.pageOpts = Object.assign({}, this.opts);
    this.pinned = Object.assign({}, this.opts.pinned || {});
    Object.assign(this.opts, this.pinned);
    this.range = this.opts.range || null;   // [x_min, x_max] in API units, null = everything
    this.results = [];        // last API payloads, one per line
    this.loads = 0;
    this.seq = 0;
    this.plotEl = RL.el("div", {class: "plot"});
    this.footer = RL.el("div", {class: "chart-foot"});
    this.box.appendChild(RL.el("h3", {class: "chart-title", text: title}));
    this.box.appendChild(this.plotEl);
    this.box.appendChild(this.footer);
    this.box.dataset.state = "loading";
    this.drawn = false;
    this.relayoutTimer = null;
  }

  pointsBudget() {
    const w = this.plotEl.clientWidth || this.box.clientWidth || 600;
    return Math.max(100, Math.min(8000, Math.round(w)));
  }

  urlFor(line) {
    const p = {title: line.title, series: line.series, x: this.opts.x, points: this.pointsBudget(),
               method: this.opts.method, enc: "b64", mean: this.opts.smoothing > 0 ? 1 : undefined};
    if (this.range) { p.x_min = this.range[0]; p.x_max = this.range[1]; }
    return `/api/tasks/${encodeURIComponent(line.task)}/scalar?` + RL.qs(p);
  }

  async load(useCache) {
    const my = ++this.seq;
    this.box.dataset.state = "loading";
    try {
      // first loads and zooms of one moment go out together (scalar_batch.js); refreshes are conditional
      const early = !window.Plotly && !this.drawn && !this.previewing;
      if (early) { this.previewing = true; previewStarted(); }
      let answers;
      try {
        answers = await Promise.all(this.lines.map(l => (useCache ? RL.getJSON(this.urlFor(l), true)
                                                                  : batchedScalar(l.task, this.urlFor(l)))));
        // plotly.js not run yet: draw the data at once as an SVG chart (quickdraw.js), plotly after
        if (!window.Plotly && my === this.seq) { this.results = answers.map(a => decode(a.data)); this.preview(); }
      } finally { if (early) previewSettled(); }
      const wasPreview = !window.Plotly && !this.drawn;
      await plotlyAfterPreviews();           // runs plotly.js once the first previews have painted
      if (useCache && this.drawn && answers.every(a => !a.changed)) {
        if (my === this.seq) this.box.dataset.state = "ready";
        return;
      }
      await (wasPreview ? upgradeTurn(this.box) : drawTurn());   // one chart drawn per task, charts in view first
      if (my !== this.seq) return;           // a newer request superseded this one
      this.results = answers.map(a => decode(a.data));
      this.loads++;
      this.render();
    } catch (e) {
      if (my !== this.seq) return;
      this.box.dataset.state = "error";
      this.footer.textContent = "";
      this.footer.appendChild(RL.el("span", {class: "error", text: "could not load: " + e.message}));
    }
  }

  refresh() { return this.load(true); }

  toPlotX(xs) {
    if (this.opts.x !== "wall") return xs;
    return Array.from(xs, v => (v === null || !isFinite(v) ? null : localDate(v)));
  }

  fromPlotX(v) {
    return this.opts.x === "wall" ? fromLocalDate(v) : Number(v);
  }

  traces() {
    const hidden = this.opts.hidden, unified = this.opts.hover === "x unified";
    return this.results.flatMap((r, i) => {
      const line = this.lines[i];
      if (hidden && hidden.has(line.task)) return [];
      const ts = seriesTraces(r, {name: line.name, color: line.color || PALETTE[i % PALETTE.length], dash: line.dash,
                                  group: `g${i}`,
                                  smoothing: this.opts.smoothing, smoother: this.opts.smoother,
                                  toPlotX: xs => this.toPlotX(xs)});
      // one tooltip for every line: the x once on top, then each line's name and value
      if (unified) ts.forEach(t => { if (t.hovertemplate && t.yaxis !== "y2") t.hovertemplate = "%{y:.6g}"; });
      return ts;
    });
  }

  layout() {
    const x0 = this.results.length && this.results[0].x.length ? this.results[0].x[0] : undefined;
    const xTitle = {step: "step", time: "seconds since start", wall: `wall time (${zoneLabel(x0)})`}[this.opts.x] ||
                   this.opts.x.replace(/^metric:/, "");
    const lay = {
      height: this.opts.height, margin: {l: 55, r: 15, t: 28, b: 40},
      // the legend goes under the x axis: on top it sat under plotly's toolbar, which hid entries
      showlegend: this.lines.length > 1, legend: {orientation: "h", x: 0, y: -0.2, yanchor: "top"},
      hovermode: this.opts.hover || "closest", uirevision: "keep",
      xaxis: {title: {text: xTitle}, type: this.opts.x === "wall" ? "date" : "linear"},
      yaxis: {type: this.opts.logy ? "log" : "linear", exponentformat: "e"},
    };
    addNonfiniteStrip(lay, this.results);
    addResumeMarkers(lay, this.opts.markers, this.opts.x);
    if (this.range) lay.xaxis.range = this.toPlotX(this.range);
    else lay.xaxis.autorange = true;
    if (this.opts.height === "fill") lay.height = undefined;
    return lay;
  }

  /* the view drawn as an SVG chart while plotly.js loads (quickdraw.js): same traces, axes and ranges */
  preview() {
    const shown = this.results.filter((r, i) => !(this.opts.hidden && this.opts.hidden.has(this.lines[i].task)));
    const save = this.opts.x;
    const traces = this.traces.call(Object.assign(Object.create(this), {toPlotX: xs => xs}));
    const yr = this.opts.outliers ? outlierRange(shown, this.opts.logy) : null;
    drawPreview(this.plotEl, traces, {height: this.opts.height, xTitle: this.layout().xaxis.title.text, wall: save === "wall",
      logy: this.opts.logy, xrange: this.range, yrange: yr,
      markers: (this.opts.markers || []).map(m => ({step: m.step, time: m.t, wall: m.time})[save]).filter(v => v !== undefined)});
    this.box.dataset.drawn = "preview";
  }

  render() {
    const first = !this.drawn;
    this.plotEl.querySelectorAll(".quick-svg").forEach(e => e.remove());   // plotly takes the preview's place
    this.box.dataset.drawn = "plotly";
    this.box.dataset.markers = String(markerXs(this.opts.markers, this.opts.x).length);
    const traces = this.traces(), lay = this.layout();
    const shown = this.results.filter((r, i) => !(this.opts.hidden && this.opts.hidden.has(this.lines[i].task)));
    const yr = this.opts.outliers ? outlierRange(shown, this.opts.logy) : null;
    if (yr) lay.yaxis.range = yr;                      // "ignore outliers": the 1st-99th percentile
    this.box.dataset.yrange = yr ? yr.join(",") : "";
    Plotly.react(this.plotEl, traces, lay, plotlyConfig({modeBarButtonsToRemove: ["select2d", "lasso2d"]}));
    this.drawn = true;
    if (first) this.plotEl.on("plotly_relayout", ev => this.onRelayout(ev));
    const r0 = this.results[0] || {};
    this.box.dataset.loads = String(this.loads);
    this.box.dataset.level = String(Math.max(...this.results.map(r => r.level || 0)));
    this.box.dataset.points = String(this.results.reduce((n, r) => n + r.x.length, 0));
    this.box.dataset.raw = String(this.results.reduce((n, r) => n + (r.raw_count || 0), 0));
    this.box.dataset.state = "ready";
    this.renderFooter(r0);
  }

  renderFooter() {
    this.footer.textContent = "";
    this.footer.append(...footerSummary(this.results, this.lines, this.opts));   // plain words; jargon in details
    this.lines.forEach(l => {
      const href = `/api/tasks/${encodeURIComponent(l.task)}/export.csv?` + RL.qs({title: l.title, series: l.series});
      this.footer.appendChild(RL.el("a", {href, class: "csv", download: "", text: "CSV " + l.name}));
    });
    // "embed" copies a report widget snippet (reports area's embed.js handles the click)
    const objects = [...new Set(this.lines.map(l => l.task))];
    const variants = [...new Set(this.lines.map(l => l.series))];
    const xaxis = {step: "iter", time: "timestamp", wall: "iso_time"}[this.opts.x] || "iter";
    // the view goes with it: smoothing, log y and the zoomed range (widget.js reads them)
    const view = {smoothing: this.opts.smoothing > 0 ? this.opts.smoothing : undefined,
                  smoother: this.opts.smoothing > 0 && this.opts.smoother !== "ema" ? this.opts.smoother : undefined,
                  logy: this.opts.logy ? 1 : undefined, outliers: this.opts.outliers ? 1 : undefined,
                  zoom: this.range ? this.range.join(",") : undefined};
    this.footer.appendChild(RL.el("button", {type: "button", class: "embed", title: "copy embed code for a report",
      "data-ringlog-embed": JSON.stringify({type: "scalar", objects, metrics: this.opts.metric || this.title, variants, xaxis,
                                            ...view}),
      text: "embed"}));
  }

  onRelayout(ev) {
    let range;
    if (ev["xaxis.autorange"] || ev["autosize"]) range = null;
    else if (ev["xaxis.range[0]"] !== undefined) range = [ev["xaxis.range[0]"], ev["xaxis.range[1]"]];
    else if (ev["xaxis.range"]) range = ev["xaxis.range"];
    else return;                       // y-only zoom or a style change: nothing new to fetch
    if (range) range = [this.fromPlotX(range[0]), this.fromPlotX(range[1])];
    if (ev["autosize"] && !ev["xaxis.autorange"]) return;
    this.range = range;
    if (this.opts.onRange) this.opts.onRange(range);
    clearTimeout(this.relayoutTimer);
    this.relayoutTimer = setTimeout(() => this.load(false), 120);
  }

  set(opts, own) {
    if (!own) {                         // from the page's toolbar: pinned keys keep the chart's own value
      Object.assign(this.pageOpts, opts);
      opts = Object.fromEntries(Object.entries(opts).filter(([k]) => !(k in this.pinned)));
    }
    const reload = ("x" in opts && opts.x !== this.opts.x) || ("method" in opts && opts.method !== this.opts.method);
    // smoothing needs the bucket means, which answers asked without smoothing lack
    const needMeans = opts.smoothing > 0 && this.results.some(r => !r.mean && r.x_kind !== "metric");
    Object.assign(this.opts, opts);
    if (reload) { this.range = null; this.load(false); }
    else if (needMeans && this.drawn) this.load(false);
    else if (this.drawn) this.render();
  }

  /* the chart's own view (its menu): {key: value} pins a key, {key: undefined} follows the page again */
  override(pins) {
    const apply = {};
    for (const [k, v] of Object.entries(pins)) {
      if (v === undefined) { delete this.pinned[k]; apply[k] = this.pageOpts[k]; }
      else { this.pinned[k] = v; apply[k] = v; }
    }
    this.set(apply, true);
  }
}

/* Wall time is drawn in the browser's local time, as every other time of the viewer (RL.fmtTime):
   plotly's date axis has no time zone, it shows the wall-clock string it is given. */
const pad = (n, w = 2) => String(n).padStart(w, "0");
export function localDate(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
         `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
/* a plotly date-axis value (local wall-clock string, or epoch ms) back to unix seconds */
export function fromLocalDate(v) {
  if (typeof v === "number") return v / 1000;
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d)(?::(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?)?$/.exec(String(v).trim());
  if (!m) return Date.parse(String(v)) / 1000;
  const ms = m[7] ? Number((m[7] + "00").slice(0, 3)) + Number("0." + (m[7].slice(3) || "0")) : 0;
  return new Date(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0), 0).getTime() / 1000 + ms / 1000;
}
/* "local time, UTC+01:00" for axis titles */
export function zoneLabel(unixSeconds) {
  const off = -new Date((unixSeconds || Date.now() / 1000) * 1000).getTimezoneOffset();
  const a = Math.abs(off);
  return `local time, UTC${off < 0 ? "−" : "+"}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/* API answers with enc=b64 carry Float64Arrays (decoded once; the ETag cache keeps the raw answer) */
function decode(r) {
  const out = Object.assign({}, r, {x: RL.f64(r.x), y: RL.f64(r.y)});
  if (r.band) out.band = {x: RL.f64(r.band.x), lo: RL.f64(r.band.lo), hi: RL.f64(r.band.hi)};
  if (r.mean) out.mean = {x: RL.f64(r.mean.x), x_last: RL.f64(r.mean.x_last), y: RL.f64(r.mean.y), n: RL.f64(r.mean.n)};
  return out;
}

function hexAlpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}
export function escapeHover(s) {
  /* plotly renders hover templates as a tiny HTML subset: escape what it would interpret */
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/* Up to EAGER_CHARTS charts load at once; beyond that, charts load as they scroll into view,
   so a page of 500 charts stays responsive. */
const EAGER_CHARTS = 40;
export function observeCharts(charts) {
  if (charts.length <= EAGER_CHARTS) {
    charts.forEach(c => { c.box._chart = c; c.started = true; c.load(false); });
    return null;
  }
  const io = new IntersectionObserver(entries => {
    for (const e of entries) if (e.isIntersecting) {
      const c = e.target._chart;
      io.unobserve(e.target);
      if (c && !c.started) { c.started = true; c.load(false); }
    }
  }, {rootMargin: "400px"});
  charts.forEach(c => { c.box._chart = c; io.observe(c.box); });
  return io;
}
