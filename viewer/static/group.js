/* Group page (issue 16, part 4): the runs W&B's init(group=, job_type=) tied together, and one chart
   per (title, series): the mean across the runs as a line and, shaded, the lowest to the highest run
   in every bucket (/api/groups/scalar: exact per bucket, on a bucket grid common to all runs), each
   run's bucket means faint behind. Zoom/pan re-asks only the visible range (as task charts do), so
   the band stays exact down to raw points. The band and markers are drawn by chart.js's
   seriesTraces (the viewer's one chart drawer).
   State for tests in data-* of each chart box: data-state (loading|ready|error), data-loads,
   data-buckets (buckets drawn), data-level, data-raw (raw points of all runs in range), data-points
   (the bucket budget asked) and data-grid (the grid's first and last x). */
import {RL} from "./common.js";
import {addNonfiniteStrip, escapeHover, observeCharts, plotlyConfig, runColor, runSwatch, seriesTraces} from "./chart.js";
import {useRuns} from "./colors.js";
import {emaX, smoothBuckets, smootherOf, smootherParam} from "./smoothers.js";

const page = RL.page;
const who = {project: page.project, group: page.group, job_type: page.job_type};
const MEAN_COLOR = "#1f4e99";
const MAX_COMPARE = 20;   // pages.MAX_COMPARE
const LIVE = new Set(["running", "created"]);

function decode(r) {
  const out = Object.assign({}, r, {x: RL.f64(r.x), y: RL.f64(r.y), n_runs: RL.f64(r.n_runs), n: RL.f64(r.n),
                                    band: {x: RL.f64(r.band.x), lo: RL.f64(r.band.lo), hi: RL.f64(r.band.hi)},
                                    spread: {x: RL.f64(r.spread.x), lo: RL.f64(r.spread.lo), hi: RL.f64(r.spread.hi)}});
  out.runs = r.runs.map(u => Object.assign({}, u, {mean: u.mean ? RL.f64(u.mean) : null, n: u.n ? RL.f64(u.n) : null}));
  out.nonfinite = {x: RL.f64(r.nonfinite.x), kind: r.nonfinite.kind, count: RL.f64(r.nonfinite.count)};
  return out;
}

class GroupChart {
  constructor(box, chart, opts, range, onRange) {
    this.box = box;
    this.chart = chart;
    this.opts = opts;          // {showRuns, band: "points" | "spread", smoothing} (shared by the page's charts)
    this.range = range || null;   // [x_min, x_max] in steps, null = every run's whole length
    this.onRange = onRange;
    this.result = null;
    this.loads = 0;
    this.seq = 0;
    this.drawn = false;
    this.plotEl = RL.el("div", {class: "plot"});
    this.footer = RL.el("div", {class: "chart-foot"});
    box.appendChild(RL.el("h3", {class: "chart-title", text: chart.key}));
    box.appendChild(this.plotEl);
    box.appendChild(this.footer);
    box.dataset.state = "loading";
  }

  pointsBudget() {
    const w = this.plotEl.clientWidth || this.box.clientWidth || 600;
    return Math.max(100, Math.min(8000, Math.round(w)));
  }

  url() {
    const p = Object.assign({}, who, {title: this.chart.title, series: this.chart.series,
                                      points: this.pointsBudget(), enc: "b64"});
    if (this.range) { p.x_min = this.range[0]; p.x_max = this.range[1]; }
    return "/api/groups/scalar?" + RL.qs(p);
  }

  async load(useCache) {
    const my = ++this.seq;
    this.box.dataset.state = "loading";
    try {
      const a = await RL.getJSON(this.url(), useCache);
      await RL.plotly();
      if (my !== this.seq) return;
      if (useCache && this.drawn && !a.changed) { this.box.dataset.state = "ready"; return; }
      this.result = decode(a.data);
      this.loads++;
      this.render();
    } catch (e) {
      if (my !== this.seq) return;
      this.box.dataset.state = "error";
      this.footer.textContent = "";
      this.footer.appendChild(RL.el("span", {class: "error", text: "could not load: " + e.message}));
    }
  }

  traces() {
    const r = this.result, out = [], sm = this.opts.smoothing, kind = this.opts.smoother;
    // each bucket's last x (the band's pairs are its first and last x): where an EMA is placed from (emaX)
    const xLast = r.band.x.length === 2 * r.x.length ? r.band.x.filter((_, i) => i % 2) : null;
    if (this.opts.showRuns) {
      for (const u of r.runs) {
        if (!u.mean) continue;
        // the task page's smoothers and rule: over the bucket means, each weighing its points (smoothers.js)
        const y = sm > 0 ? smoothBuckets(kind, u.mean, u.n, sm) : u.mean;
        const x = sm > 0 && smootherOf(kind) === "ema" && xLast ? emaX(r.x, xLast, u.n, sm) : r.x;
        out.push({x, y, type: "scatter", mode: "lines", connectgaps: true, opacity: 0.45,
                  line: {width: 1, color: runColor(u.id)}, name: escapeHover(u.name || u.id), legendgroup: u.id,
                  meta: "run", hovertemplate: "%{x}: %{y:.6g}<extra>" + escapeHover(u.name || u.id) + "</extra>"});
      }
    }
    const answered = r.runs.filter(u => u.mean).length;
    const band = this.opts.band === "spread" ? r.spread : r.band;
    // smoothing (EMA, running average or Gaussian) over the bucket means, a bucket weighing as many points
    // as its runs have there on average (the task page's rule), so it does not move with the zoom
    const perRun = Float64Array.from(r.n, (v, i) => (r.n_runs[i] > 0 ? v / r.n_runs[i] : 0));
    const mean = seriesTraces({x: r.x, y: r.y, band, nonfinite: r.nonfinite,
                               mean: {x: r.x, x_last: xLast, y: r.y, n: perRun}},
                              {name: `mean of ${answered} run${answered === 1 ? "" : "s"}`, color: MEAN_COLOR,
                               group: "group", meta: "group", smoothing: sm, smoother: kind});
    // the mean's tooltip says over how many runs it is taken (runs that ended or skip the bucket do not count)
    const line = mean.find(t => t.hovertemplate && t.yaxis !== "y2");
    if (line) {
      line.customdata = Array.from(r.n_runs);
      line.hovertemplate = "%{x}: %{y:.6g}, mean of %{customdata} run(s)<extra></extra>";
    }
    return out.concat(mean);
  }

  layout() {
    // the legend under the axis title (the title "step" would sit on it at -0.2)
    const lay = {height: 320, margin: {l: 55, r: 15, t: 28, b: 40}, showlegend: true,
                 legend: {orientation: "h", x: 0, y: -0.3, yanchor: "top"}, hovermode: "closest", uirevision: "keep",
                 xaxis: {title: {text: "step"}, type: "linear"}, yaxis: {type: "linear", exponentformat: "e"}};
    addNonfiniteStrip(lay, [this.result]);
    if (this.range) lay.xaxis.range = this.range.slice(); else lay.xaxis.autorange = true;
    return lay;
  }

  render() {
    const first = !this.drawn;
    Plotly.react(this.plotEl, this.traces(), this.layout(), plotlyConfig({modeBarButtonsToRemove: ["select2d", "lasso2d"]}));
    this.drawn = true;
    if (first) this.plotEl.on("plotly_relayout", ev => this.onRelayout(ev));
    const r = this.result;
    Object.assign(this.box.dataset, {loads: String(this.loads), buckets: String(r.x.length), level: String(r.level),
                                     raw: String(r.raw_count), range: this.range ? this.range.join(",") : "",
                                     points: String(r.points), grid: `${r.grid.x0},${r.grid.x1}`,
                                     state: "ready"});
    this.footer.textContent = "";
    const skipped = r.runs.filter(u => u.skipped).length;
    this.footer.appendChild(RL.el("span", {class: "muted", text:
      `${r.raw_count.toLocaleString()} pts in ${r.runs.length} run${r.runs.length === 1 ? "" : "s"}` +
      (r.exact ? " (all)" : `, level ${r.level}`) + ` · ${r.x.length.toLocaleString()} buckets` +
      (skipped ? ` · ${skipped} run(s) left out: ${r.runs.find(u => u.skipped).skipped}` : "")}));
  }

  onRelayout(ev) {
    let range;
    if (ev["xaxis.autorange"]) range = null;
    else if (ev["xaxis.range[0]"] !== undefined) range = [Number(ev["xaxis.range[0]"]), Number(ev["xaxis.range[1]"])];
    else if (ev["xaxis.range"]) range = ev["xaxis.range"].map(Number);
    else return;                       // y-only zoom or a resize: nothing new to fetch
    this.range = range;
    if (this.onRange) this.onRange();
    clearTimeout(this.relayoutTimer);
    this.relayoutTimer = setTimeout(() => this.load(false), 120);
  }
}

function runItem(u) {
  const li = RL.el("li", {"data-task": u.id}, [runSwatch(u.id),
    RL.el("a", {href: "/tasks/" + encodeURIComponent(u.id), text: u.name || u.id}), " ",
    RL.el("span", {class: "status status-" + u.status, text: u.status})]);
  if (u.job_type && !who.job_type) li.appendChild(RL.el("span", {class: "muted", text: " · " + u.job_type}));
  if (u.last_step !== null && u.last_step !== undefined) li.appendChild(RL.el("span", {class: "muted", text: ` · step ${u.last_step}`}));
  if (!u.aggregated) li.appendChild(RL.el("span", {class: "muted", text: " · not in the charts (only the newest runs are)"}));
  return li;
}

(async function main() {
  const errBox = document.getElementById("group-error");
  const holder = document.getElementById("charts");
  const bandSel = document.getElementById("band-kind");
  /* the view lives in the query string (reload and shared links keep it): smooth=0.6, band=spread, runs=0,
     filter=<text>, zoom=<chart key>~<x_min>~<x_max> (repeatable); malformed values are ignored */
  const q = new URLSearchParams(location.search);
  const zooms = new Map();
  for (const z of q.getAll("zoom")) {
    const b = z.lastIndexOf("~"), a = z.lastIndexOf("~", b - 1);
    const x0 = Number(z.slice(a + 1, b)), x1 = Number(z.slice(b + 1));
    if (a > 0 && z.slice(a + 1, b) !== "" && Number.isFinite(x0) && Number.isFinite(x1) && x0 <= x1) zooms.set(z.slice(0, a), [x0, x1]);
  }
  if (q.get("band") === "spread") bandSel.value = "spread";
  if (q.get("runs") === "0") document.getElementById("show-runs").checked = false;
  const filter = document.getElementById("chart-filter");
  filter.value = q.get("filter") || "";
  const smooth = document.getElementById("smoothing"), smoothOut = document.getElementById("smoothing-out");
  const sq = Number(q.get("smooth")), smoother = document.getElementById("smoother");
  if (sq > 0 && sq < 1) smooth.value = String(sq);
  smoother.value = smootherOf(q.get("smoother"));
  const readOut = () => { const w = Number(smooth.value);
                          smoothOut.textContent = w > 0 ? `${w} (${smootherParam(smoother.value, w)})` : "0"; };
  readOut();
  const opts = {showRuns: document.getElementById("show-runs").checked, band: bandSel.value,
                smoothing: Number(smooth.value), smoother: smoother.value};
  let data;
  try {
    data = (await RL.getJSON("/api/groups/runs?" + RL.qs(who), false)).data;
  } catch (e) {
    RL.showError(errBox, e);
    holder.textContent = "";
    return;
  }
  const list = document.getElementById("group-runs");
  useRuns(data.runs.map(u => u.id));      // up to 20 runs never share a colour (colors.js)
  data.runs.forEach(u => list.appendChild(runItem(u)));
  document.getElementById("group-count").textContent = `${data.runs.length} run${data.runs.length === 1 ? "" : "s"}`;
  if (data.runs.length <= MAX_COMPARE) {
    const a = document.getElementById("compare-link");
    a.href = "/compare?" + RL.qs({ids: data.runs.map(u => u.id).join(",")});
    a.hidden = false;
  }
  holder.textContent = "";
  if (!data.charts.length) holder.appendChild(RL.el("p", {class: "muted empty", text: "No run of this group logged a scalar."}));
  const charts = [], later = [];
  const make = (c, into) => {
    const box = RL.el("div", {class: "chart-box", "data-title": c.key, "data-chart": c.key});
    into.appendChild(box);
    return new GroupChart(box, c, opts, zooms.get(c.key), saveState);
  };
  for (const c of data.charts) if (!c.collapsed) charts.push(make(c, holder)); else later.push(c);
  observeCharts(charts);
  const sys = document.getElementById("system-section");
  if (later.length) {
    sys.hidden = false;
    sys.addEventListener("toggle", () => {
      if (!sys.open || sys.dataset.built) return;
      sys.dataset.built = "1";
      const made = later.map(c => make(c, document.getElementById("system-charts")));
      charts.push(...made);
      observeCharts(made);
      applyFilter();
    });
  }
  function saveState() {
    const out = new URLSearchParams();
    for (const k of ["project", "group", "job_type"]) if (who[k] !== null && who[k] !== undefined) out.set(k, who[k]);
    if (opts.band === "spread") out.set("band", "spread");
    if (opts.smoothing > 0) out.set("smooth", String(opts.smoothing));
    if (opts.smoother !== "ema") out.set("smoother", opts.smoother);
    if (!opts.showRuns) out.set("runs", "0");
    if (filter.value) out.set("filter", filter.value);
    const shown = new Set(charts.map(c => c.chart.key));
    for (const c of charts) if (c.range) out.append("zoom", `${c.chart.key}~${c.range[0]}~${c.range[1]}`);
    for (const [k, r] of zooms) if (!shown.has(k)) out.append("zoom", `${k}~${r[0]}~${r[1]}`);  // not built yet
    history.replaceState(null, "", location.pathname + "?" + out.toString() + location.hash);
  }
  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    for (const c of charts) c.box.hidden = q !== "" && !c.chart.key.toLowerCase().includes(q);
  }
  applyFilter();
  filter.addEventListener("input", () => { applyFilter(); saveState(); });
  document.getElementById("show-runs").addEventListener("change", e => {
    opts.showRuns = e.target.checked;
    saveState();
    for (const c of charts) if (c.drawn) c.render();
  });
  const resmooth = () => {
    opts.smoothing = Number(smooth.value);
    opts.smoother = smoother.value;
    readOut();
    saveState();
    for (const c of charts) if (c.drawn) c.render();
  };
  smooth.addEventListener("input", resmooth);
  smoother.addEventListener("change", resmooth);
  bandSel.addEventListener("change", () => {
    opts.band = bandSel.value;
    saveState();
    for (const c of charts) if (c.drawn) c.render();
  });
  // while a run of the group is running, re-ask the runs and the drawn charts (ETags: an unchanged
  // answer costs a 304); polling stops once no run of the group runs
  async function poll() {
    try {
      const a = await RL.getJSON("/api/groups/runs?" + RL.qs(who), true);
      if (a.changed) {
        data = a.data;
        list.textContent = "";
        data.runs.forEach(u => list.appendChild(runItem(u)));
      }
    } catch (e) { /* keep what is shown; try again later */ }
    for (const c of charts) if (c.drawn) c.load(true);
    list.dataset.live = data.runs.some(u => LIVE.has(u.status)) ? "1" : "0";
    if (list.dataset.live === "1") setTimeout(poll, page.poll_ms || 2000);
  }
  list.dataset.live = data.runs.some(u => LIVE.has(u.status)) ? "1" : "0";
  if (list.dataset.live === "1") setTimeout(poll, page.poll_ms || 2000);
})();
