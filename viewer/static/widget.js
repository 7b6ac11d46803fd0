/* Draws one embedded widget from /widgets/data (same query string as the page). Re-polls while
   a shown task is running (every 3 s; every 30 s otherwise, so dynamic queries pick up new
   tasks). A click on a trace or the header arrow opens the source task in the top window.
   An ES module: scalar traces are drawn by chart.js's seriesTraces(), the task page's own drawer,
   so a widget shows the same min/max envelope band and NaN/Inf markers. */
import {DASHES, addNonfiniteStrip, runColor, fromLocalDate, localDate, plotlyConfig, seriesTraces, zoneLabel} from "./chart.js";
import {useRuns} from "./colors.js";
import {outlierRange} from "./chart_tools.js";
import {RLOverlays} from "./overlays.js";

(function () {
  var body = document.body;
  var box = document.getElementById("rl-w-body");
  var titleEl = document.getElementById("rl-w-title");
  var liveEl = document.getElementById("rl-w-live");
  var sourceEl = document.getElementById("rl-w-source");
  var light = body.classList.contains("rl-light");
  var fg = light ? "#1d2330" : "#dfe3ea";
  var grid = light ? "#e6e8ee" : "#2d323c";
  var timer = null;
  var lastJson = null;
  var lastData = null;
  /* zoomed scalar charts: title -> {range: [x_min, x_max] in API units, chart: the finer answer} */
  var zoomed = {};
  var zoomTimer = null, zoomSeq = {};
  /* the view an embed snippet carries (chart.js renderFooter): smoothing, log y, a zoomed x range */
  var viewQ = new URLSearchParams(body.dataset.query);
  var smoothing = Math.min(0.999, Math.max(0, Number(viewQ.get("smoothing")) || 0));
  var smoother = viewQ.get("smoother") || "ema";     /* ema, avg or gauss (smoothers.js; others: EMA) */
  var outliers = viewQ.get("outliers") === "1";
  var logy = viewQ.get("logy") === "1";
  var startZoom = (viewQ.get("zoom") || "").split(",").map(Number);
  startZoom = startZoom.length === 2 && startZoom.every(isFinite) && startZoom[0] < startZoom[1] ? startZoom : null;

  function dataUrl(extra) {
    /* the signature covers the widget's query; the zoom bounds (extra) are outside it (guard.py) */
    return "/widgets/data?" + body.dataset.query + (extra || "") + "&sig=" + encodeURIComponent(body.dataset.sig);
  }
  function getData(extra) {
    return fetch(dataUrl(extra), { credentials: "same-origin", cache: "no-store" }).then(function (resp) {
      return resp.json().then(function (d) {
        if (!resp.ok) { throw new Error((d.error && d.error.message) || ("HTTP " + resp.status)); }
        return d;
      });
    });
  }

  /* a zoom (box or axis drag) re-asks the visible x range of that chart, as the task page does;
     a double-click (autorange) goes back to the widget's own data */
  function onZoom(div, title, xaxis) {
    if (div.dataset.zoomBound) { return; }
    div.dataset.zoomBound = "1";
    div.on("plotly_relayout", function (ev) {
      var range;
      if (ev["xaxis.autorange"]) { range = null; }
      else if (ev["xaxis.range[0]"] !== undefined) { range = [ev["xaxis.range[0]"], ev["xaxis.range[1]"]]; }
      else if (ev["xaxis.range"]) { range = ev["xaxis.range"]; }
      else { return; }
      var api = range && range.map(function (v) { return xaxis === "iso_time" ? fromLocalDate(v) : Number(v); });
      clearTimeout(zoomTimer);
      zoomTimer = setTimeout(function () { zoomTo(title, api); }, 120);
    });
  }
  function zoomTo(title, range, initial) {
    var my = zoomSeq[title] = (zoomSeq[title] || 0) + 1;
    if (!range) { delete zoomed[title]; drawScalar(lastData); return Promise.resolve(); }
    return getData("&x_min=" + encodeURIComponent(range[0]) + "&x_max=" + encodeURIComponent(range[1]))
      .then(function (d) {
        if (my !== zoomSeq[title]) { return; }
        var c = d.charts.filter(function (x) { return x.title === title; })[0];
        if (c) { zoomed[title] = { range: range, chart: c, initial: initial }; } else { delete zoomed[title]; }
        drawScalar(lastData);
      })
      .catch(function (err) { liveEl.hidden = false; liveEl.textContent = "zoom failed: " + err.message; });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function message(text, cls) { box.replaceChildren(el("p", cls || "rl-w-msg", text)); }
  function go(url) {
    try { window.top.location.href = url; } catch (e) { window.open(url, "_blank", "noopener"); }
  }
  function layoutBase(extra) {
    var l = { paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: fg, size: 11 },
              margin: { l: 50, r: 12, t: 28, b: 40 }, showlegend: true, legend: { orientation: "h", y: -0.28 },
              xaxis: { gridcolor: grid, zerolinecolor: grid }, yaxis: { gridcolor: grid, zerolinecolor: grid },
              uirevision: "keep" };
    Object.keys(extra || {}).forEach(function (k) { l[k] = extra[k]; });
    return l;
  }
  function chartDiv(key) {
    var id = "rl-w-c-" + key;
    var div = document.getElementById(id);
    if (!div) { div = el("div", "rl-w-chart"); div.id = id; }
    return div;
  }
  function onClickGo(div, urlOf) {
    if (div.dataset.bound) { return; }
    div.dataset.bound = "1";
    div.on("plotly_click", function (ev) {
      var url = ev.points && ev.points.length ? urlOf(ev.points[0]) : null;
      if (url) { go(url); }
    });
  }

  /* charts are attached before plotting so plotly sizes them to the frame, not to its 700x450 default */
  function attach(divs) {
    if (box.children.length !== divs.length || divs.some(function (dv, i) { return box.children[i] !== dv; })) {
      box.replaceChildren.apply(box, divs);
    }
  }

  function drawScalar(d) {
    if (!d.charts.length) { message("No scalar matches this query yet."); return; }
    box.classList.toggle("rl-w-multi", d.charts.length > 1);
    useRuns(d.tasks.map(function (t) { return t.id; }));   // its runs never share a colour (colors.js)
    var divs = d.charts.map(function (c, i) { return chartDiv("s" + i); });
    attach(divs);
    d.charts.forEach(function (c0, i) {
      var div = divs[i];
      var c = zoomed[c0.title] ? zoomed[c0.title].chart : c0;     // finer data of a zoomed chart
      // x of iso_time charts is epoch milliseconds: drawn as local wall-clock strings (plotly's date
      // axis would show epoch numbers in UTC), like the task page
      var toPlotX = d.xaxis === "iso_time" ? function (xs) {
        return Array.from(xs, function (v) { return v === null || !isFinite(v) ? null : localDate(v / 1000); });
      } : function (xs) { return xs; };
      var perTask = {};     // colour = run (as on every page), dash = its series
      var traces = c.traces.flatMap(function (t, j) {
        var k = perTask[t.task] = (perTask[t.task] === undefined ? 0 : perTask[t.task] + 1);
        return seriesTraces(t, { name: t.name, color: runColor(t.task), dash: DASHES[k % DASHES.length], group: "g" + j,
                                 meta: t.task, toPlotX: toPlotX, smoothing: smoothing,
                                 smoother: smoother });
      });
      var xaxis = { gridcolor: grid, zerolinecolor: grid,
                    title: { text: d.xaxis === "iter" ? "iteration" : d.xaxis === "timestamp" ? "seconds from start"
                                                                            : "wall time (" + zoneLabel() + ")" } };
      if (d.xaxis === "iso_time") { xaxis.type = "date"; }
      var z = zoomed[c0.title];
      if (z && z.initial) { xaxis.range = d.xaxis === "iso_time" ? z.range.map(localDate) : z.range.slice(); }
      var yaxis = { gridcolor: grid, zerolinecolor: grid, type: logy ? "log" : "linear" };
      var yr = outliers ? outlierRange(c.traces, logy) : null;       // "ignore outliers", as on the task page
      if (yr) { yaxis.range = yr; }
      Plotly.react(div, traces, addNonfiniteStrip(layoutBase({ title: { text: c.title, font: { size: 13 } }, xaxis: xaxis,
                                                               yaxis: yaxis }),
                                                  c.traces), plotlyConfig());
      onClickGo(div, function (p) { return "/tasks/" + encodeURIComponent(p.data.meta); });
      onZoom(div, c0.title, d.xaxis);
      div.dataset.raw = String(c.traces.reduce(function (n, t) { return n + (t.raw_count || 0); }, 0));
      div.dataset.points = String(c.traces.reduce(function (n, t) { return n + t.x.length; }, 0));
      div.dataset.zoomed = zoomed[c0.title] ? "1" : "0";
    });
  }

  function drawPlot(d) {
    if (!d.plots.length) { message("No plot matches this query yet."); return; }
    box.classList.toggle("rl-w-multi", d.plots.length > 1);
    var divs = d.plots.map(function (p, i) { return chartDiv("p" + i); });
    attach(divs);
    d.plots.forEach(function (p, i) {
      var div = divs[i];
      var fig = p.figure || {};
      var layout = layoutBase(fig.layout || {});
      layout.paper_bgcolor = "rgba(0,0,0,0)";
      layout.font = { color: fg, size: 11 };
      delete layout.width;
      delete layout.height;
      if (!fig.layout || !fig.layout.title) {
        layout.title = { text: p.title + " / " + p.series + (d.tasks.length > 1 ? " · " + (p.task_name || p.task) : ""), font: { size: 13 } };
      }
      Plotly.react(div, fig.data || [], layout, plotlyConfig());
      onClickGo(div, function () { return "/tasks/" + encodeURIComponent(p.task); });
    });
  }

  function drawSamples(d) {
    if (!d.samples.length) { message("No debug sample matches this query yet."); return; }
    var wrap = el("div", "rl-w-samples");
    d.samples.forEach(function (g) {
      var card = el("div", "rl-w-sample");
      var head = el("a", null, g.title + " / " + g.series + (d.tasks.length > 1 ? " · " + (g.task_name || g.task) : ""));
      head.href = "/tasks/" + encodeURIComponent(g.task);
      head.target = "_top";
      var fig = el("figure");
      var cap = el("figcaption");
      var slider = el("input");
      slider.type = "range";
      slider.min = 0;
      slider.max = g.items.length - 1;
      slider.value = g.items.length - 1;
      function show(i) {
        var it = g.items[i];
        var media;
        if (!it.url) { media = el("p", "rl-w-msg", it.uri ? "remote: " + it.uri : "file not available"); }
        else if (it.kind === "image") {
          media = el("img"); media.src = it.url; media.alt = g.title;
          if (it.overlays) { media = RLOverlays.view(media, it.overlays, true, null); }  // W&B masks/boxes
        }
        else if (it.kind === "video") { media = el("video"); media.src = it.url; media.controls = true; }
        else if (it.kind === "audio") { media = el("audio"); media.src = it.url; media.controls = true; }
        else { media = el("a", null, "open " + (it.ext || "file")); media.href = it.url; media.target = "_blank"; }
        fig.replaceChildren(media, cap);
        cap.textContent = "iteration " + it.iteration + (it.caption ? " · " + it.caption : "");
      }
      slider.addEventListener("input", function () { show(+slider.value); });
      show(g.items.length - 1);
      card.append(head, fig);
      if (g.items.length > 1) { card.append(slider); }
      wrap.append(card);
    });
    box.replaceChildren(wrap);
  }

  function fmt(v) {
    if (v === null || v === undefined) { return "–"; }
    return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : String(+v.toPrecision(6));
  }

  function drawSingle(d) {
    if (!d.rows.length) { message("No task matches this query."); return; }
    if (!d.columns.length) { message("These tasks have no single values (report_single_value) yet."); return; }
    var table = el("table", "rl-w-table");
    var tr = el("tr");
    tr.append(el("th", null, "task"));
    d.columns.forEach(function (c) { tr.append(el("th", null, c)); });
    var thead = el("thead");
    thead.append(tr);
    var tbody = el("tbody");
    d.rows.forEach(function (r) {
      var row = el("tr");
      var cell = el("td");
      var a = el("a", null, r.name || r.task);
      a.href = r.url;
      a.target = "_top";
      cell.append(a);
      row.append(cell);
      d.columns.forEach(function (c) { row.append(el("td", null, fmt(r.values[c]))); });
      tbody.append(row);
    });
    table.append(thead, tbody);
    box.replaceChildren(table);
  }

  function drawParcoords(d) {
    if (!d.values.length) { message("No task has the metric " + d.metric + " yet."); return; }
    var div = chartDiv("pc");
    attach([div]);
    var dims = d.dimensions.map(function (x) {
      var dim = { label: x.label, values: x.values };
      if (x.ticktext) { dim.tickvals = x.tickvals; dim.ticktext = x.ticktext; }
      return dim;
    });
    dims.push({ label: d.metric + " (" + d.value_type + ")", values: d.values });
    Plotly.react(div, [{ type: "parcoords", dimensions: dims,
                         line: { color: d.values, colorscale: "Viridis", showscale: true } }],
                 layoutBase({ margin: { l: 60, r: 60, t: 40, b: 20 } }), plotlyConfig());
  }

  var draw = { scalar: drawScalar, plot: drawPlot, sample: drawSamples, single: drawSingle, parcoords: drawParcoords };

  function show(d) {
    var text = JSON.stringify(d);
    if (text === lastJson) { return; }
    lastJson = text;
    lastData = d;
    var names = d.tasks.map(function (t) { return t.name; });
    titleEl.textContent = d.type + (names.length ? " · " + (names.length > 3 ? names.length + " tasks" : names.join(", ")) : "");
    sourceEl.href = d.source;
    liveEl.hidden = !d.live;
    if (typeof Plotly === "undefined" && d.type !== "single" && d.type !== "sample") {
      message("plotly.js did not load", "rl-w-error");
    } else {
      draw[d.type](d);
    }
    body.dataset.ready = "1";
  }

  function refresh() {
    /* a printed widget (PDF) carries its data in the page: drawn once, no request, no polling */
    var inline = document.getElementById("rl-w-data");
    if (inline) { show(JSON.parse(inline.textContent)); return; }
    /* the frame is sandboxed without allow-same-origin: the signature is what lets this read through */
    getData("")
      .then(function (d) {
        show(d);
        // a live run's zoomed charts re-ask their range too
        if (d.live && d.type === "scalar") {
          Object.keys(zoomed).forEach(function (t) { zoomTo(t, zoomed[t].range, zoomed[t].initial); });
        }
        // an embed that carries a zoomed range opens on it (finer data of that range)
        if (startZoom && d.type === "scalar") {
          d.charts.forEach(function (c) { zoomTo(c.title, startZoom, true); });
          startZoom = null;
        }
        timer = setTimeout(refresh, d.live ? 3000 : 30000);
      })
      .catch(function (err) {
        message(err.message, "rl-w-error");
        timer = setTimeout(refresh, 30000);
      });
  }
  sourceEl.addEventListener("click", function (ev) { ev.preventDefault(); go(sourceEl.href); });
  refresh();
}());
