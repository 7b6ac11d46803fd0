/* Compare page tools around the charts (compare.js draws the charts):

   - runList(): each run's swatch (runColor: the same colour on every page), a "show" checkbox that
     hides/shows the run in every chart, a remove link, and an "add run" box (a datalist of recent
     tasks); add/remove navigate to the new id list, keeping the view (viewstate.js);
   - diffTable(): the hyperparameters whose values differ between the shown runs, one column a run;
   - parcoords(): parallel coordinates of hyperparameters against a summary metric: a first "run"
     axis naming each line's run, a log axis for a positive parameter spanning more than two decades
     (a learning rate), and a "missing" tick keeping a run that lacks a value.
   Everything from the store goes in with textContent (RL.el) or escaped for plotly's hover HTML. */
import {escapeHover, plotlyConfig, runColor, runSwatch} from "./chart.js";
import {RL} from "./common.js";

const numeric = v => typeof v === "number" && isFinite(v);

/* the compare URL for ``ids`` with the current view */
function compareUrl(ids, view) {
  const q = view.query();
  q.set("ids", ids.join(","));
  return "/compare?" + q.toString();
}

export function runList(holder, tasks, view, onHidden) {
  holder.textContent = "";
  const ids = tasks.map(t => t.id);
  const hidden = new Set([...view.v.hide].filter(id => ids.includes(id)));
  tasks.forEach(t => {
    const box = RL.el("input", {type: "checkbox", class: "run-show", "data-task": t.id, title: "show this run",
                                "aria-label": "show " + t.name});
    box.checked = !hidden.has(t.id);
    box.addEventListener("change", () => {
      if (box.checked) hidden.delete(t.id); else hidden.add(t.id);
      li.classList.toggle("run-hidden", !box.checked);
      view.setHidden(hidden);
      onHidden(new Set(hidden));
    });
    const swatch = runSwatch(t.id);
    const rest = ids.filter(id => id !== t.id);
    const li = RL.el("li", {"data-task": t.id, class: hidden.has(t.id) ? "run-hidden" : null}, [
      RL.el("label", null, [box, swatch]),
      RL.el("a", {href: `/tasks/${encodeURIComponent(t.id)}`, text: t.name}), " ",
      RL.el("span", {class: "status status-" + t.status, "data-task": t.id, text: t.status}), " ",
      rest.length ? RL.el("a", {class: "run-remove", href: compareUrl(rest, view), title: "remove from the comparison",
                                "aria-label": "remove " + t.name, text: "✕"}) : null]);
    holder.appendChild(li);
  });
  // add a run: pick from recent tasks (or paste an id)
  const input = RL.el("input", {type: "text", id: "add-run", list: "add-run-list", placeholder: "add a run…",
                                "aria-label": "add a run (name or id)", size: 18});
  const list = RL.el("datalist", {id: "add-run-list"});
  const known = new Map();
  const add = () => {
    const val = input.value.trim();
    const id = known.get(val) || val;
    if (!id || ids.includes(id)) return;
    location.href = compareUrl(ids.concat([id]), view);
  };
  input.addEventListener("change", add);
  input.addEventListener("keydown", e => { if (e.key === "Enter") add(); });
  holder.appendChild(RL.el("li", {class: "run-add"}, [input, list]));
  RL.getJSON("/api/tasks?limit=200").then(({data}) => data.tasks.forEach(t => {
    if (ids.includes(t.id)) return;
    const label = `${t.name} · ${t.project} · ${t.id.slice(0, 8)}`;
    known.set(label, t.id);
    list.appendChild(RL.el("option", {value: label}));
  })).catch(() => {});
  onHidden(new Set(hidden));
}

/* hyperparameters whose values differ (a missing value differs from any value) */
export function diffTable(holder, tasks) {
  holder.textContent = "";
  const keys = [...new Set(tasks.flatMap(t => Object.keys(t.config_flat || {})))].sort();
  const show = v => (v === undefined ? "—" : typeof v === "string" ? v : RL.fmtNum(v));
  const differ = keys.filter(k => new Set(tasks.map(t => JSON.stringify((t.config_flat || {})[k]))).size > 1);
  holder.appendChild(RL.el("h2", {text: "Hyperparameters that differ"}));
  if (!differ.length) {
    holder.appendChild(RL.el("p", {class: "muted", text: `All ${keys.length} hyperparameters are equal.`}));
    return;
  }
  const head = RL.el("tr", null, [RL.el("th", {text: "parameter"})].concat(tasks.map(t => {
    const sw = RL.el("span", {class: "swatch"});
    sw.style.background = runColor(t.id);
    return RL.el("th", {"data-task": t.id}, [sw, t.name]);
  })));
  const rows = differ.map(k => RL.el("tr", {"data-key": k}, [RL.el("th", {text: k})].concat(tasks.map(t =>
    RL.el("td", {class: "num", text: show((t.config_flat || {})[k])})))));
  holder.appendChild(RL.el("div", {class: "table-wrap"}, [
    RL.el("table", {class: "grid hp-diff"}, [RL.el("thead", null, [head]), RL.el("tbody", null, rows)])]));
  holder.appendChild(RL.el("p", {class: "muted", text: `${keys.length - differ.length} equal hyperparameters not shown.`}));
}

const fmt = v => RL.fmtNum(Number(v.toPrecision(4)));

/* A numeric axis. Missing values sit on a "missing" tick below the range (plotly's parcoords drops a
   whole run for one NaN); positive values spanning > 2 decades go on a log10 axis. */
export function numericDim(label, vals) {
  const have = vals.filter(v => v !== undefined);
  const log = have.length > 1 && have.every(v => v > 0) && Math.max(...have) / Math.min(...have) > 100;
  const tv = v => (v === undefined ? undefined : log ? Math.log10(v) : v);
  const xs = vals.map(tv), hv = have.map(tv);
  const lo = Math.min(...hv), hi = Math.max(...hv);
  let ticks = hi > lo ? [0, 0.25, 0.5, 0.75, 1].map(f => lo + f * (hi - lo)) : [lo];
  if (log) {
    ticks = [];
    for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) ticks.push(e);
    if (ticks.length < 2) ticks = [lo, hi];
  }
  const text = ticks.map(v => (log ? (Number.isInteger(v) ? `1e${v}` : fmt(10 ** v)) : fmt(v)));
  const name = log ? label + " (log)" : label;
  if (!xs.some(v => v === undefined)) {
    return log ? {label: name, values: xs, range: [lo, hi], tickvals: ticks, ticktext: text} : {label, values: xs};
  }
  const span = hi > lo ? hi - lo : Math.abs(lo) || 1;
  const miss = lo - span * 0.15;
  return {label: name, values: xs.map(v => (v === undefined ? miss : v)), range: [miss, hi > lo ? hi : lo + span * 0.15],
          tickvals: [miss, ...ticks], ticktext: ["missing", ...text]};
}

export function parcoords(box, sel, tasks) {
  const metrics = new Set();
  tasks.forEach(t => Object.entries(t.summary || {}).forEach(([k, v]) => numeric(v) && metrics.add(k)));
  if (!sel.options.length) [...metrics].sort().forEach(m => sel.appendChild(RL.el("option", {value: m, text: m})));
  const metric = sel.value;
  const params = [...new Set(tasks.flatMap(t => Object.keys(t.config_flat || {})))].sort();
  // the first axis names the runs: each line can be read back to its run
  const dims = [{label: "run", values: tasks.map((_, i) => i), tickvals: tasks.map((_, i) => i),
                 ticktext: tasks.map(t => escapeHover(t.name)), range: [-0.5, Math.max(0.5, tasks.length - 0.5)]}];
  for (const p of params) {
    const vals = tasks.map(t => (t.config_flat || {})[p]);
    if (vals.every(v => v === undefined)) continue;
    if (vals.every(v => v === undefined || numeric(v))) { dims.push(numericDim(p, vals)); continue; }
    const cats = [...new Set(vals.map(v => JSON.stringify(v === undefined ? null : v)))].sort();
    dims.push({label: p, values: vals.map(v => cats.indexOf(JSON.stringify(v === undefined ? null : v))),
               tickvals: cats.map((_, i) => i),
               ticktext: cats.map(c => { const v = JSON.parse(c); return escapeHover(typeof v === "string" ? v : c); })});
  }
  if (!metric && dims.length < 2) { box.textContent = "No hyperparameters or summary metrics to compare."; return; }
  const mdim = metric ? numericDim(metric, tasks.map(t => (numeric((t.summary || {})[metric]) ? t.summary[metric] : undefined)))
                      : null;
  if (mdim) dims.push(mdim);
  // without a metric each line takes its run's colour
  const line = metric ? {color: mdim.values, colorscale: "Viridis", showscale: true}
    : {color: tasks.map((_, i) => i), colorscale: tasks.map((t, i) => [tasks.length > 1 ? i / (tasks.length - 1) : 0, runColor(t.id)])
        .concat(tasks.length > 1 ? [] : [[1, runColor(tasks[0].id)]])};
  Plotly.react(box, [{type: "parcoords", dimensions: dims, line}],
               {height: 380, margin: {l: 90, r: 60, t: 50, b: 30}}, plotlyConfig());
  box.dataset.runs = String(tasks.length);
}
