/* Compare page: charts with one line per task (legend per task) for every chart title any
   task logged, and a parallel-coordinates chart of hyperparameters against a chosen metric. */
import {DASHES, RingChart, observeCharts, runColor} from "./chart.js";
import {RL} from "./common.js";
import {sideBySide} from "./compare_media.js";
import {diffTable, parcoords as drawParcoords, runList as buildRunList} from "./compare_tools.js";
import "./embed.js";
import {ViewState} from "./viewstate.js";

(function () {
  const tasks = JSON.parse(document.getElementById("compare-data").textContent);
  const charts = [];
  const view = new ViewState();          // smoothing, log y, x, filter, sections, zooms, hidden runs in the URL
  let hidden = new Set();
  const shown = () => tasks.filter(t => !hidden.has(t.id));

  // every line of a run's series shows in one tooltip at the hovered step ("x unified")
  const opts = () => ({smoothing: Number(document.getElementById("smoothing").value),
                       logy: document.getElementById("logy").checked, hover: "x unified", hidden,
                       x: document.getElementById("xaxis").value, method: "m4"});

  const side = sideBySide(document.getElementById("side-details"), document.getElementById("side-by-side"), () => shown());
  buildRunList(document.getElementById("run-list"), tasks, view, h => {
    hidden = h;
    charts.forEach(c => c.set({hidden}));
    side.refresh();
    if (window.Plotly) parcoords();
  });
  diffTable(document.getElementById("hp-diff"), tasks);

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
                                  color: runColor(tasks[i].id),        // colour = run (same on every page),
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
      const chart = new RingChart(cbox, c.name, c.lines, Object.assign(opts(), {metric: c.title}, view.chartOpts(c.id)));
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
    view.sections(box);
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
    rows.forEach((r, i) => { r.querySelector(".swatch").style.background = runColor(tasks[i].id); });
    holder.appendChild(RL.el("h2", {text: "Single values"}));
    holder.appendChild(RL.el("div", {class: "table-wrap"}, [
      RL.el("table", {class: "grid single-values"}, [RL.el("thead", null, [head]), RL.el("tbody", null, rows)])]));
  }

  function parcoords() {
    drawParcoords(document.getElementById("parcoords"), document.getElementById("pc-metric"), shown());
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

  RL.plotly().then(parcoords);
  loadCharts().catch(e => { document.getElementById("charts").textContent = "could not load: " + e.message; });
})();
