/* Compare page: charts with one line per task (legend per task) for every chart title any
   task logged, and a parallel-coordinates chart of hyperparameters against a chosen metric. */
"use strict";
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
    const byTitle = new Map();
    lists.forEach(({data}, i) => data.charts.forEach(c => c.series.forEach(s => {
      if (!byTitle.has(c.title)) byTitle.set(c.title, []);
      const multi = c.series.length > 1;
      byTitle.get(c.title).push({task: tasks[i].id, title: c.title, series: s.series,
                                 name: tasks[i].name + (multi ? " · " + s.series : ""),
                                 color: PALETTE[i % PALETTE.length]});
    })));
    box.textContent = "";
    // W&B sections: keys with a "/" are grouped by their prefix, the rest under "Charts"
    const sectionOf = t => (t.includes("/") ? t.split("/")[0] : "");
    const titles = [...byTitle.keys()].sort((a, b) =>
      sectionOf(a).localeCompare(sectionOf(b)) || a.localeCompare(b));
    let section = null, grid = null;
    for (const title of titles) {
      if (grid === null || sectionOf(title) !== section) {
        section = sectionOf(title);
        const details = RL.el("details", {class: "section", open: true}, [RL.el("summary", {text: section || "Charts"})]);
        grid = RL.el("div", {class: "chart-grid"});
        details.appendChild(grid);
        box.appendChild(details);
      }
      const cbox = RL.el("div", {class: "chart-box", "data-title": title});
      grid.appendChild(cbox);
      const c = new RingChart(cbox, title, byTitle.get(title), opts());
      c.opts.height = 320;
      charts.push(c);
    }
    if (!charts.length) box.appendChild(RL.el("p", {class: "muted", text: "These tasks logged no scalars."}));
    observeCharts(charts);
  }

  function numeric(v) { return typeof v === "number" && isFinite(v); }

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
        dims.push({label: p, values: vals.map(v => (v === undefined ? NaN : v))});
      } else {
        const cats = [...new Set(vals.map(v => JSON.stringify(v === undefined ? null : v)))].sort();
        dims.push({label: p, values: vals.map(v => cats.indexOf(JSON.stringify(v === undefined ? null : v))),
                   tickvals: cats.map((_, i) => i),
                   ticktext: cats.map(c => { const v = JSON.parse(c); return escapeHover(typeof v === "string" ? v : c); })});
      }
    }
    const box = document.getElementById("parcoords");
    if (!metric && !dims.length) { box.textContent = "No hyperparameters or summary metrics to compare."; return; }
    const mv = tasks.map(t => (numeric((t.summary || {})[metric]) ? t.summary[metric] : NaN));
    if (metric) dims.push({label: metric, values: mv});
    Plotly.react(box, [{type: "parcoords", dimensions: dims,
                        line: metric ? {color: mv, colorscale: "Viridis", showscale: true} : {}}],
                 {height: 380, margin: {l: 60, r: 60, t: 50, b: 30}}, {displaylogo: false, responsive: true});
  }

  document.getElementById("pc-metric").addEventListener("change", parcoords);
  document.getElementById("smoothing").addEventListener("input", e => {
    document.getElementById("smoothing-out").textContent = e.target.value;
    charts.forEach(c => c.set({smoothing: Number(e.target.value)}));
  });
  document.getElementById("logy").addEventListener("change", e => charts.forEach(c => c.set({logy: e.target.checked})));
  document.getElementById("xaxis").addEventListener("change", e => charts.forEach(c => c.set({x: e.target.value})));
  document.getElementById("chart-filter").addEventListener("input", e => {
    const q = e.target.value.toLowerCase();
    charts.forEach(c => { c.box.hidden = q !== "" && !c.title.toLowerCase().includes(q); });
  });
  parcoords();
  loadCharts().catch(e => { document.getElementById("charts").textContent = "could not load: " + e.message; });
})();
