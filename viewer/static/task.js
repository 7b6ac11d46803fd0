/* Task page: tabs, Scalars charts grouped in sections, Summary, Console, live polling. */
import {DASHES, RingChart, runColor} from "./chart.js";
import {chartFilter, chartHeight, chartMenu, chartSize, panelGrip, smoothingControls} from "./chart_tools.js";
import {RL} from "./common.js";
import {consoleView} from "./console.js";
import {mediaTab} from "./media_view.js";
import "./embed.js";
import {RLSamples} from "./samples.js";
import {manySeries} from "./scalar_batch.js";
import {ChartSections} from "./sections.js";
import {ViewState} from "./viewstate.js";

(function () {
  const page = RL.page;
  const task = page.task;
  const state = {charts: [], status: page.status, loaded: {}, seriesSig: "", counts: new Map()};
  const POLL_MS = page.poll_ms || 2000;
  const view = new ViewState();   // smoothing, log y, x, method, filter, sections and zooms in the URL

  // ---- tabs ---------------------------------------------------------------------------
  const tabs = document.querySelectorAll("nav.tabs button");
  function show(name) {
    // WAI-ARIA tabs: the chosen tab is selected and the only one in the Tab order
    tabs.forEach(b => {
      const on = b.dataset.tab === name;
      b.classList.toggle("active", on);
      b.setAttribute("aria-selected", on ? "true" : "false");
      b.tabIndex = on ? 0 : -1;
    });
    document.querySelectorAll("section.tab").forEach(s => { s.hidden = s.id !== "tab-" + name; });
    if (history.replaceState) history.replaceState(null, "", "#" + name);
    if (!state.loaded[name]) { state.loaded[name] = true; loaders[name] && loaders[name](); }
    if (name === "scalars") state.charts.forEach(c => c.drawn && Plotly.Plots.resize(c.plotEl));
  }
  tabs.forEach(b => b.addEventListener("click", () => show(b.dataset.tab)));
  // arrow keys, Home and End move between tabs (and open the one reached), as in every tab widget
  document.querySelector("nav.tabs").addEventListener("keydown", e => {
    const list = [...tabs], i = list.indexOf(document.activeElement);
    const j = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1}[e.key];
    if (i < 0 || j === undefined) return;
    e.preventDefault();
    const b = list[(j + list.length) % list.length];
    b.focus();
    show(b.dataset.tab);
  });

  // ---- scalars ------------------------------------------------------------------------
  const opts = () => ({
    smoothing: Number(document.getElementById("smoothing").value),
    smoother: document.getElementById("smoother").value,
    outliers: document.getElementById("outliers").checked, height: chartHeight(),
    logy: document.getElementById("logy").checked,
    x: document.getElementById("xaxis").value,
    method: document.getElementById("method").value,
  });

  /* The series list. The charts and the summary's single values both need it on page load: they
     share one request, and an answer younger than SERIES_FRESH_MS serves both. The live poll
     forces a (conditional) request, so what it acts on is always current. */
  const SERIES_FRESH_MS = 1000;
  let seriesPending = null, seriesLast = null;
  function getSeries(force) {
    if (!force && !seriesPending && seriesLast && performance.now() - seriesLast.at < SERIES_FRESH_MS) {
      return Promise.resolve(seriesLast.answer);
    }
    if (!seriesPending) {
      seriesPending = RL.getJSON(`/api/tasks/${encodeURIComponent(task)}/series`, true)
        .then(answer => { seriesLast = {at: performance.now(), answer}; return answer; })
        .finally(() => { seriesPending = null; });
    }
    return seriesPending;
  }

  async function loadScalars() {
    const box = document.getElementById("charts");
    let data;
    try { ({data} = await getSeries()); }
    catch (e) { box.textContent = ""; box.appendChild(RL.el("p", {class: "error", text: e.message})); return; }
    state.seriesSig = seriesSig(data);
    state.counts = chartCounts(data);
    box.textContent = "";
    state.charts = [];
    renderSingleValues(document.getElementById("single-values"), data.single_values);
    // x-axis choices: every logged metric can serve as x (W&B step_metric); a run of 5,000 keys gets
    // its 5,000 options when the menu is first used, not before its first chart is drawn
    const xsel = document.getElementById("xaxis");
    xsel.querySelectorAll("option[data-metric]").forEach(o => o.remove());
    const keys = data.charts.flatMap(c => c.series.map(s => s.key));
    manySeries(task, keys.length);      // first loads in one request when opening the task is the cost
    const addOptions = list => list.forEach(k => xsel.appendChild(
      RL.el("option", {value: "metric:" + k, "data-metric": "1", text: "metric: " + k})));
    if (keys.length <= 200) addOptions(keys);
    else {
      const wanted = view.v.x.startsWith("metric:") ? keys.filter(k => "metric:" + k === view.v.x) : [];
      addOptions(wanted);
      let built = false;
      const all = () => { if (built) return; built = true;
                          xsel.querySelectorAll("option[data-metric]").forEach(o => o.remove()); addOptions(keys);
                          view.applyX(); };
      ["focus", "mousedown", "keydown"].forEach(ev => xsel.addEventListener(ev, all, {once: true}));
    }
    view.applyX();
    sections.render(data.charts);
    view.sections(box);
    if (!data.charts.length && !(data.single_values || []).length) {
      box.appendChild(RL.el("p", {class: "muted", text: "No scalars logged yet."}));
    }
  }

  function makeChart(grid, c) {
    const cbox = RL.el("div", {class: "chart-box", "data-title": c.name || c.title, "data-chart": c.id || c.title});
    grid.appendChild(cbox);
    // the run's colour (as on compare and the table), a dash per series
    const lines = c.series.map((s, j) => ({task, title: c.title, series: s.series, name: s.series,
                                           color: runColor(task), dash: DASHES[j % DASHES.length]}));
    // system metrics are drawn against wall time (W&B's system panels) while the page's x is the step
    const sys = c.section === "system" && opts().x === "step" ? {x: "wall"} : {};
    const chart = new RingChart(cbox, c.name || c.title, lines, Object.assign(opts(), sys, {metric: c.title,
      markers: page.resumes || [], hover: lines.length > 1 ? "x unified" : "closest"}, view.chartOpts(c.id || c.title)));
    chart.id = c.id || c.title;
    chart.system = c.section === "system";
    chartMenu(chart, pinned => view.setPin(chart.id, pinned));
    panelGrip(chart, view.v.panels.get(chart.id), p => view.setPanel(chart.id, p));
    state.charts.push(chart);
    return chart;
  }
  const sections = new ChartSections(document.getElementById("charts"), {
    make: makeChart, test: name => filterTest(name),
    drop: ch => { const i = state.charts.indexOf(ch); if (i >= 0) state.charts.splice(i, 1); }});

  const seriesSig = d => JSON.stringify([d.charts.map(c => [c.id, c.series.map(s => s.series)]),
                                         (d.single_values || []).map(v => [v.name, v.value])]);
  const chartCounts = d => new Map(d.charts.map(c => [c.id || c.title,
                                                      c.series.map(x => `${x.count}:${x.last_step}`).join(",")]));

  /* ClearML's report_single_value numbers: a name/value table, not 1-point charts */
  function renderSingleValues(holder, values) {
    holder.textContent = "";
    if (!values || !values.length) { holder.hidden = true; return; }
    holder.hidden = false;
    holder.appendChild(RL.el("h2", {text: "Single values"}));
    holder.appendChild(RL.el("table", {class: "kv single-values"}, values.map(v =>
      RL.el("tr", null, [RL.el("th", {text: v.name}), RL.el("td", {class: "num", text: RL.fmtNum(v.value)})]))));
  }

  smoothingControls(o => state.charts.forEach(c => c.set(o)));
  chartSize(() => state.charts);
  document.getElementById("logy").addEventListener("change", e => state.charts.forEach(c => c.set({logy: e.target.checked})));
  document.getElementById("xaxis").addEventListener("change", e => state.charts.forEach(c =>
    c.set({x: c.system && e.target.value === "step" ? "wall" : e.target.value})));
  document.getElementById("method").addEventListener("change", e => state.charts.forEach(c => c.set({method: e.target.value})));
  const filterTest = chartFilter(() => sections.refilter());

  // ---- summary ------------------------------------------------------------------------
  async function loadSummary(useCache) {
    const {data, changed} = await RL.getJSON(`/api/tasks/${encodeURIComponent(task)}`, useCache);
    if (!changed && document.getElementById("summary").childElementCount) return data;
    const box = document.getElementById("summary");
    box.textContent = "";
    const sv = RL.el("div", {class: "single-values-box"});
    box.appendChild(sv);
    getSeries().then(({data: s}) => renderSingleValues(sv, s.single_values)).catch(() => {});
    const rows = Object.entries(data.summary || {});
    box.appendChild(RL.el("h2", {text: "Summary metrics"}));
    if (!rows.length) box.appendChild(RL.el("p", {class: "muted", text: "No summary yet."}));
    else box.appendChild(RL.el("table", {class: "kv"}, rows.map(([k, v]) =>
      RL.el("tr", null, [RL.el("th", {text: k}), RL.el("td", {text: RL.fmtNum(v)})]))));
    const st = document.getElementById("task-status");
    st.textContent = data.status; st.className = "status status-" + data.status;
    document.getElementById("task-times").textContent =
      `created ${RL.fmtTime(data.created)} · updated ${RL.fmtTime(data.updated)} · ${RL.fmtDuration(data.duration)}`;
    return data;
  }

  // ---- console (console.js: numbers, times, search, download) ---------------------------
  const consoleTab = consoleView(task);
  mediaTab();   // full-size image viewer and step × series grid over the Debug samples listing
  const loadConsole = () => consoleTab.load();

  // ---- timestamps rendered server-side as unix seconds --------------------------------
  document.querySelectorAll(".ts[data-ts]").forEach(e => { if (e.dataset.ts) e.textContent = RL.fmtTime(e.dataset.ts); });

  const loaders = {
    scalars: loadScalars,
    plots: () => RLSamples.loadPlots(task, document.getElementById("plots")),
    media: () => RLSamples.loadMedia(task, document.getElementById("media")),
    console: loadConsole,
    summary: () => loadSummary(false),
  };

  // ---- live polling: only while the task runs; every request is conditional -----------
  async function poll() {
    try {
      const data = await loadSummary(true);
      const running = data.status === "running" || data.status === "created";
      if (state.loaded.scalars) {
        const {data: s, changed} = await getSeries(true);
        if (changed && seriesSig(s) !== state.seriesSig) await loadScalars();  // a new series or value
        else if (changed) {
          // refresh only the charts whose series gained points since the last poll
          const counts = chartCounts(s);
          state.charts.filter(c => c.started && counts.get(c.id) !== state.counts.get(c.id))
                      .forEach(c => c.refresh());
          state.counts = counts;
        }
      }
      if (state.loaded.console) await loadConsole();
      if (state.loaded.plots) RLSamples.loadPlots(task, document.getElementById("plots"), true);
      if (state.loaded.media) RLSamples.loadMedia(task, document.getElementById("media"), true);
      document.getElementById("live-note").textContent = running ? "live: updating every 2 s" : "";
      if (running) setTimeout(poll, POLL_MS);
    } catch (e) {
      document.getElementById("live-note").textContent = "live update failed: " + e.message;
      setTimeout(poll, POLL_MS * 3);
    }
  }

  window.addEventListener("hashchange", () => {
    const name = location.hash.slice(1);
    if (document.getElementById("tab-" + name)) show(name);
  });
  const initial = (location.hash || "#scalars").slice(1);
  show(loaders[initial] || ["config", "info"].includes(initial) ? initial : "scalars");
  // the header's times after the series list: on a run of 5,000 series both requests open the task,
  // and the charts wait for the list, not for the times
  (state.loaded.scalars ? getSeries().catch(() => {}) : Promise.resolve()).then(() => loadSummary(false)).catch(() => {});
  if (state.status === "running" || state.status === "created") setTimeout(poll, POLL_MS);
})();
