/* Report editor: a widget picker. Pick runs (recent tasks, /api/tasks), a widget type and a metric
   (the titles the first picked run logged: scalars from /series, plots from /plots, debug samples
   from /media, single values from /series), and "Insert widget" puts the widget's <iframe> (the
   same snippet as a chart's embed button, embed.js) at the editor's cursor. Options are built with
   textContent; names never become markup. */
import { ringlogEmbedCode } from "./embed.js";

function option(value, text) {
  var o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}

function getJSON(url) {
  return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
    if (!r.ok) { throw new Error("HTTP " + r.status + " for " + url); }
    return r.json();
  });
}

/* the titles of ``type`` the task logged */
function titlesOf(task, type) {
  var base = "/api/tasks/" + encodeURIComponent(task);
  if (type === "plot") { return getJSON(base + "/plots?latest=1").then(function (d) { return d.groups.map(function (g) { return g.title; }); }); }
  if (type === "sample") { return getJSON(base + "/media").then(function (d) { return d.groups.map(function (g) { return g.title; }); }); }
  return getJSON(base + "/series").then(function (d) {
    return type === "single" ? (d.single_values || []).map(function (v) { return v.name; })
                             : d.charts.map(function (c) { return c.title; });
  });
}

/* ``source``: the Markdown textarea */
export function widgetPicker(source) {
  var runs = document.getElementById("rl-pick-runs");
  var type = document.getElementById("rl-pick-type");
  var metric = document.getElementById("rl-pick-metric");
  var insert = document.getElementById("rl-pick-insert");
  var note = document.getElementById("rl-pick-note");
  if (!runs) { return; }
  var seq = 0;
  /* where the cursor was in the source when it was last used (the end until then) */
  var lastAt = null;
  ["keyup", "click", "select", "input"].forEach(function (ev) {
    source.addEventListener(ev, function () { lastAt = source.selectionStart; });
  });

  function picked() {
    return Array.prototype.filter.call(runs.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
  }
  function fillMetrics() {
    var ids = picked();
    var mine = ++seq;
    metric.replaceChildren(option("", ids.length ? "loading…" : "pick a run first"));
    insert.disabled = true;
    if (!ids.length) { return; }
    Promise.all(ids.map(function (id) { return titlesOf(id, type.value); })).then(function (lists) {
      if (mine !== seq) { return; }
      var seen = {};
      var titles = [];
      lists.forEach(function (l) { l.forEach(function (t) { if (!seen[t]) { seen[t] = 1; titles.push(t); } }); });
      titles.sort();
      metric.replaceChildren.apply(metric, titles.length ? titles.map(function (t) { return option(t, t); })
                                                          : [option("", "nothing of this type logged")]);
      insert.disabled = !titles.length;
      metric.dataset.ready = "1";
    }).catch(function (err) { note.textContent = err.message; });
  }

  getJSON("/api/tasks?limit=200").then(function (d) {
    d.tasks.forEach(function (t) { runs.appendChild(option(t.id, t.name + " · " + t.project + " · " + t.id.slice(0, 8))); });
    runs.dataset.ready = "1";
  }).catch(function (err) { note.textContent = err.message; });
  runs.addEventListener("change", fillMetrics);
  type.addEventListener("change", fillMetrics);
  insert.addEventListener("click", function () {
    var ids = picked();
    if (!ids.length || !metric.value) { return; }
    var code = ringlogEmbedCode({ type: type.value, objects: ids, metrics: metric.value });
    var at = lastAt === null ? source.value.length : Math.min(lastAt, source.value.length);
    source.setRangeText("\n" + code + "\n", at, at, "end");
    source.dispatchEvent(new Event("input"));
    note.textContent = "inserted";
  });
}
