/* Compare page: charts with one line per task (legend per task) for every chart title any
   task logged, and a parallel-coordinates chart of hyperparameters against a chosen metric. */
import {DASHES, PALETTE, RingChart, escapeHover, observeCharts, plotlyConfig} from "./chart.js";
import {RL} from "./common.js";
import "./embed.js";

(function () {
  const tasks = JSON.parse(document.getElementById("compare-data").textContent);
  const charts = [];

  const opts = () => ({smoothing: Number(document.getElementById("smoothing").value),
                       logy: document.getElementById("logy").checked,
                       x: document.getElementById("xaxis").value, method: "m4"});

  document.querySelectorAll(".swatch").forEach(s => { s.style.background = PALETTE[Number(s.dataset.i) % PALETTE.length]; });

  async function loadCharts() {
    const box = document.getElementById("charts");
    const lists = await Promise.all(tasks.map(t => RL.getJSON(`/api/tasks/${encodeURIComponent(t.id)}/series`)));
    const byChart = new Map();   // chart id -> {id, title, name, section, collapsed, lines}
    lists.forEach(({data}, i) => data.charts.forEach(c => c.series.forEach((s, j) => {
      const id = c.id || c.title;
      if (!byChart.has(id)) byChart.set(id, {id, title: c.title, name: c.name || c.title, section: c.section,
                                             collapsed: !!c.collapsed, lines: []});
      const multi = c.series.length > 1;
      byChart.get(id).lines.push({task: tasks[i].id, title: c.title, series: s.series,
                                  name: tasks[i].name + (multi ? " · " + s.series : ""),
                                  color: PALETTE[i % PALETTE.length],   // colour = run,
                                  dash: DASHES[j % DASHES.length]});      // dash = its series
    })));
    singleValues(lists.map(({data}) => data.single_values || []));
    box.textContent = "";
    // W&B sections: keys with a "/" are grouped by their prefix, the rest under "Charts";
    // the collapsed system section (one chart per system figure) comes last
    const ordered = [...byChart.values()].sort((a, b) => (a.collapsed - b.collapsed) ||
      a.section.localeCompare(b.section) || a.name.localeCompare(b.name, undefined, {numeric: true}));
    let section = null, grid = null, details = null;
    const eager = [];
    const make = (g, c) => {
      const cbox = RL.el("div", {class: "chart-box", "data-title": c.name, "data-chart": c.id});
      g.appendChild(cbox);
      const chart = new RingChart(cbox, c.name, c.lines, Object.assign(opts(), {metric: c.title}));
      chart.opts.height = 320;
      cbox.hidden = !filterMatch(chart.title);    // a chart built later (a section opened) obeys the filter
      charts.push(chart);
      return chart;
    };
    for (const c of ordered) {
      if (grid === null || c.section !== section || details.dataset.collapsed !== String(c.collapsed)) {
        section = c.section;
        details = RL.el("details", {class: "section", open: !c.collapsed, "data-section": section,
                                    "data-collapsed": String(c.collapsed)}, [RL.el("summary", {text: section || "Charts"})]);
        grid = RL.el("div", {class: "chart-grid"});
        details.appendChild(grid);
        box.appendChild(details);
        if (c.collapsed) {   // built on first open (a hidden plot has no width to size its budget)
          const pending = details._pending = [];
          details.addEventListener("toggle", function onToggle() {
            if (!this.open) return;
            this.removeEventListener("toggle", onToggle);
            observeCharts(pending.map(([g, ch]) => make(g, ch)));
          });
        }
      }
      if (details._pending) details._pending.push([grid, c]);
      else eager.push(make(grid, c));
    }
    if (!byChart.size) box.appendChild(RL.el("p", {class: "muted", text: "These tasks logged no scalars."}));
    observeCharts(eager);
  }

  /* report_single_value numbers: one row per task, one column per value name */
  function singleValues(perTask) {
    const holder = document.getElementById("single-values");
    holder.textContent = "";
    const names = [...new Set(perTask.flatMap(vs => vs.map(v => v.name)))].sort();
    if (!names.length) { holder.hidden = true; return; }
    holder.hidden = false;
    const head = RL.el("tr", null, [RL.el("th", {text: "task"})].concat(names.map(n => RL.el("th", {text: n}))));
    const rows = tasks.map((t, i) => {
      const m = new Map(perTask[i].map(v => [v.name, v.value]));
      return RL.el("tr", null, [RL.el("td", null, [RL.el("span", {class: "swatch", style: null}), t.name])]
        .concat(names.map(n => RL.el("td", {class: "num", text: m.has(n) ? RL.fmtNum(m.get(n)) : ""}))));
    });
    rows.forEach((r, i) => { r.querySelector(".swatch").style.background = PALETTE[i % PALETTE.length]; });
    holder.appendChild(RL.el("h2", {text: "Single values"}));
    holder.appendChild(RL.el("div", {class: "table-wrap"}, [
      RL.el("table", {class: "grid single-values"}, [RL.el("thead", null, [head]), RL.el("tbody", null, rows)])]));
  }

  function numeric(v) { return typeof v === "number" && isFinite(v); }

  /* A numeric axis on which a run lacking the value still has a line: plotly's parcoords drops a
     whole run for one NaN, so missing values sit on a "missing" tick below the range. */
  function numericDim(label, vals) {
    if (!vals.some(v => v === undefined)) return {label, values: vals};
    const have = vals.filter(v => v !== undefined);
    const lo = Math.min(...have), hi = Math.max(...have);
    const span = hi > lo ? hi - lo : Math.abs(lo) || 1;
    const miss = lo - span * 0.15;
    const ticks = hi > lo ? [0, 0.25, 0.5, 0.75, 1].map(f => lo + f * (hi - lo)) : [lo];
    return {label, values: vals.map(v => (v === undefined ? miss : v)), range: [miss, hi > lo ? hi : lo + span * 0.15],
            tickvals: [miss, ...ticks], ticktext: ["missing", ...ticks.map(v => RL.fmtNum(Number(v.toPrecision(4))))]};
  }

  function parcoords() {
    const metrics = new Set();
    tasks.forEach(t => Object.entries(t.summary || {}).forEach(([k, v]) => numeric(v) && metrics.add(k)));
    const sel = document.getElementById("pc-metric");
    if (!sel.options.length) [...metrics].sort().forEach(m => sel.appendChild(RL.el("option", {value: m, text: m})));
    const metric = sel.value;
    const params = new Set();
    tasks.forEach(t => Object.keys(t.config_flat || {}).forEach(k => params.add(k)));
    const dims = [];
    for (const p of [...params].sort()) {
      const vals = tasks.map(t => (t.config_flat || {})[p]);
      if (vals.every(v => v === undefined)) continue;
      if (vals.every(v => v === undefined || numeric(v))) {
        dims.push(numericDim(p, vals));
      } else {
        const cats = [...new Set(vals.map(v => JSON.stringify(v === undefined ? null : v)))].sort();
        dims.push({label: p, values: vals.map(v => cats.indexOf(JSON.stringify(v === undefined ? null : v))),
                   tickvals: cats.map((_, i) => i),
                   ticktext: cats.map(c => { const v = JSON.parse(c); return escapeHover(typeof v === "string" ? v : c); })});
      }
    }
    const box = document.getElementById("parcoords");
    if (!metric && !dims.length) { box.textContent = "No hyperparameters or summary metrics to compare."; return; }
    const mdim = metric ? numericDim(metric, tasks.map(t => (numeric((t.summary || {})[metric]) ? t.summary[metric] : undefined)))
                        : null;
    if (mdim) dims.push(mdim);
    const mv = mdim ? mdim.values : [];
    Plotly.react(box, [{type: "parcoords", dimensions: dims,
                        line: metric ? {color: mv, colorscale: "Viridis", showscale: true} : {}}],
                 {height: 380, margin: {l: 60, r: 60, t: 50, b: 30}}, plotlyConfig());
  }

  document.getElementById("pc-metric").addEventListener("change", parcoords);
  document.getElementById("smoothing").addEventListener("input", e => {
    document.getElementById("smoothing-out").textContent = e.target.value;
    charts.forEach(c => c.set({smoothing: Number(e.target.value)}));
  });
  document.getElementById("logy").addEventListener("change", e => charts.forEach(c => c.set({logy: e.target.checked})));
  document.getElementById("xaxis").addEventListener("change", e => charts.forEach(c => c.set({x: e.target.value})));
  function filterMatch(title) {
    const q = document.getElementById("chart-filter").value.toLowerCase();
    return q === "" || title.toLowerCase().includes(q);
  }
  document.getElementById("chart-filter").addEventListener("input", () => {
    charts.forEach(c => {
      const was = c.box.hidden;
      c.box.hidden = !filterMatch(c.title);
      if (was && !c.box.hidden && c.drawn) Plotly.Plots.resize(c.plotEl);   // drawn while hidden: no width then
    });
  });
  /* live: while a compared run is running, re-ask its status (ETag: an unchanged task is a 304) and
     refresh the charts it is drawn in; a run that finished or crashed is no longer polled */
  const POLL_MS = RL.page.poll_ms || 2000;
  const LIVE = new Set(["running", "created"]);
  const live = new Set(tasks.filter(t => LIVE.has(t.status)).map(t => t.id));
  const runList = document.getElementById("run-list");
  let polls = 0;
  async function poll() {
    const ids = [...live];
    await Promise.all(ids.map(async id => {
      try {
        const {data, changed} = await RL.getJSON(`/api/tasks/${encodeURIComponent(id)}`, true);
        if (!changed) return;
        const badge = [...runList.querySelectorAll(".status[data-task]")].find(b => b.dataset.task === id);
        if (badge) { badge.textContent = data.status; badge.className = "status status-" + data.status; }
        if (!LIVE.has(data.status)) live.delete(id);
        charts.filter(c => c.drawn && c.lines.some(l => l.task === id)).forEach(c => c.refresh());
      } catch (e) { /* a failed poll is retried at the next one */ }
    }));
    runList.dataset.polls = String(++polls);
    runList.dataset.live = String(live.size);
    if (live.size) setTimeout(poll, POLL_MS);
  }
  runList.dataset.live = String(live.size);
  if (live.size) setTimeout(poll, POLL_MS);

  parcoords();
  loadCharts().catch(e => { document.getElementById("charts").textContent = "could not load: " + e.message; });
})();
