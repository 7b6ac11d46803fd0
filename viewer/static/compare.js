/* Compare page: charts with one line per task (legend per task) for every chart title any
   task logged, and a parallel-coordinates chart of hyperparameters against a chosen metric. */
import {DASHES, RingChart, runColor} from "./chart.js";
import {useRuns} from "./colors.js";
import {chartFilter, chartHeight, chartMenu, chartSize, panelGrip, smoothingControls} from "./chart_tools.js";
import {RL} from "./common.js";
import {sideBySide} from "./compare_media.js";
import {diffTable, parcoords as drawParcoords, runList as buildRunList} from "./compare_tools.js";
import "./embed.js";
import {ChartSections} from "./sections.js";
import {ViewState} from "./viewstate.js";

(function () {
  const tasks = JSON.parse(document.getElementById("compare-data").textContent);
  useRuns(tasks.map(t => t.id));          // up to 20 runs never share a colour, on every chart (colors.js)
  const charts = [];
  const view = new ViewState();          // smoothing, log y, x, filter, sections, zooms, hidden runs in the URL
  let hidden = new Set();
  const shown = () => tasks.filter(t => !hidden.has(t.id));

  // every line of a run's series shows in one tooltip at the hovered step ("x unified")
  const opts = () => ({smoothing: Number(document.getElementById("smoothing").value),
                       smoother: document.getElementById("smoother").value,
                       outliers: document.getElementById("outliers").checked, height: chartHeight(),
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
    sections.render(ordered);
    view.sections(box);
    if (!byChart.size) box.appendChild(RL.el("p", {class: "muted", text: "These tasks logged no scalars."}));
  }
  const make = (g, c) => {
    const cbox = RL.el("div", {class: "chart-box", "data-title": c.name, "data-chart": c.id});
    g.appendChild(cbox);
    const sys = c.section === "system" && opts().x === "step" ? {x: "wall"} : {};   // system metrics: wall time
    const chart = new RingChart(cbox, c.name, c.lines, Object.assign(opts(), sys, {metric: c.title}, view.chartOpts(c.id)));
    chart.system = c.section === "system";
    chartMenu(chart, pinned => view.setPin(c.id, pinned));
    panelGrip(chart, view.v.panels.get(c.id), p => view.setPanel(c.id, p));
    charts.push(chart);
    return chart;
  };
  const sections = new ChartSections(document.getElementById("charts"), {
    make, test: name => filterTest(name),
    drop: ch => { const i = charts.indexOf(ch); if (i >= 0) charts.splice(i, 1); }});

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
  smoothingControls(o => charts.forEach(c => c.set(o)));
  chartSize(() => charts);
  document.getElementById("logy").addEventListener("change", e => charts.forEach(c => c.set({logy: e.target.checked})));
  document.getElementById("xaxis").addEventListener("change", e => charts.forEach(c =>
    c.set({x: c.system && e.target.value === "step" ? "wall" : e.target.value})));
  const filterTest = chartFilter(() => sections.refilter());
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
