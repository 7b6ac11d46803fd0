/* The chart view in the page's URL query, so a reload or a shared link shows the same view
   (task page and compare; the hash stays the task page's tab):

     smooth=0.6  smoother=avg|gauss  outliers=1  logy=1  x=wall|time|metric:<key>  method=lttb
     filter=<text>  re=1 (the filter is a regular expression)  size=s|l (chart size; m = default)
     pin=<chart id>~logy:1~smooth:<smoother>:<strength>~outliers:0 (a chart's own view, one per chart)
     open=<section> / shut=<section> (sections opened/closed against their default, repeated)
     zoom=<chart id>~<x_min>~<x_max> (one per zoomed chart, API units)  hide=<task id> (compare)
     panel=<chart id>~<height px>~<columns> (a chart resized by dragging its corner grip)

   readView() parses it (anything malformed is ignored: a stale link still opens the page),
   new ViewState(...) sets the toolbar's controls from it, then keeps the URL in step with the
   controls, sections, zooms and hidden runs (history.replaceState: no new history entries). */
const KEYS = ["smooth", "smoother", "outliers", "logy", "x", "method", "filter", "re", "size", "pin", "open", "shut",
              "zoom", "hide", "panel"];
const SMOOTHER_KINDS = ["ema", "avg", "gauss"];

/* "logy:1~smooth:gauss:0.9~outliers:0" -> {logy: true, smoother: "gauss", smoothing: 0.9, outliers: false} */
function parsePin(parts) {
  const o = {};
  for (const p of parts) {
    const [k, a, b] = p.split(":");
    if (k === "logy" || k === "outliers") { if (a === "0" || a === "1") o[k] = a === "1"; }
    else if (k === "smooth" && SMOOTHER_KINDS.includes(a) && Number(b) >= 0 && Number(b) < 1) {
      o.smoother = a; o.smoothing = Number(b);
    }
  }
  return o;
}
function pinText(o) {
  const parts = [];
  if ("logy" in o) parts.push(`logy:${o.logy ? 1 : 0}`);
  if ("smoothing" in o) parts.push(`smooth:${o.smoother || "ema"}:${o.smoothing}`);
  if ("outliers" in o) parts.push(`outliers:${o.outliers ? 1 : 0}`);
  return parts.join("~");
}

export function readView(search = location.search) {
  const q = new URLSearchParams(search);
  const num = Number(q.get("smooth"));
  const zoom = new Map();
  for (const z of q.getAll("zoom")) {
    const parts = z.split("~");
    if (parts.length < 3) continue;
    const hi = Number(parts.pop()), lo = Number(parts.pop());
    if (isFinite(lo) && isFinite(hi) && lo < hi) zoom.set(parts.join("~"), [lo, hi]);
  }
  const panels = new Map();
  for (const z of q.getAll("panel")) {
    const parts = z.split("~");
    if (parts.length < 3) continue;
    const span = Number(parts.pop()), h = Number(parts.pop());
    if (Number.isInteger(h) && h >= 160 && h <= 1200 && Number.isInteger(span) && span >= 1 && span <= 12) {
      panels.set(parts.join("~"), {h, span});
    }
  }
  const pins = new Map();
  for (const z of q.getAll("pin")) {
    const all = z.split("~");            // a chart id may itself hold "~": the view starts at the first key
    const k = all.findIndex((p, i) => i > 0 && /^(logy|smooth|outliers):/.test(p));
    if (k < 1) continue;
    const id = all.slice(0, k).join("~"), o = parsePin(all.slice(k));
    if (id && Object.keys(o).length) pins.set(id, o);
  }
  return {smooth: num > 0 && num < 1 ? num : 0, logy: q.get("logy") === "1", x: q.get("x") || "",
          smoother: SMOOTHER_KINDS.includes(q.get("smoother")) ? q.get("smoother") : "ema",
          outliers: q.get("outliers") === "1", re: q.get("re") === "1", size: ["s", "l"].includes(q.get("size")) ? q.get("size") : "",
          pins, panels, method: q.get("method") || "", filter: q.get("filter") || "",
          open: new Set(q.getAll("open")), shut: new Set(q.getAll("shut")), zoom, hide: new Set(q.getAll("hide"))};
}

const $ = id => document.getElementById(id);

export class ViewState {
  /* ``onFilter``: re-applies the chart filter after it is set from the URL */
  constructor() {
    this.v = readView();
    const v = this.v;
    if ($("smoothing") && v.smooth) { $("smoothing").value = String(v.smooth); $("smoothing-out").textContent = String(v.smooth); }
    if ($("logy")) $("logy").checked = v.logy;
    if ($("smoother")) $("smoother").value = v.smoother;
    if ($("outliers")) $("outliers").checked = v.outliers;
    if ($("chart-regex")) $("chart-regex").checked = v.re;
    if ($("chart-size")) $("chart-size").value = v.size || "m";
    if ($("method") && v.method && $("method").querySelector(`option[value="${CSS.escape(v.method)}"]`)) $("method").value = v.method;
    this.applyX();
    if ($("chart-filter")) $("chart-filter").value = v.filter;
    const save = () => this.save();
    for (const [id, ev] of [["smoothing", "input"], ["logy", "change"], ["xaxis", "change"], ["method", "change"],
                            ["chart-filter", "input"], ["smoother", "change"], ["outliers", "change"],
                            ["chart-regex", "change"], ["chart-size", "change"]]) {
      if ($(id)) $(id).addEventListener(ev, () => { this.readControls(); save(); });
    }
  }

  /* the x axis choice; "metric:<key>" options exist only once the series list came (call again then) */
  applyX() {
    const sel = $("xaxis");
    if (!sel || !this.v.x) return;
    if ([...sel.options].some(o => o.value === this.v.x)) sel.value = this.v.x;
  }

  readControls() {
    const v = this.v;
    if ($("smoothing")) v.smooth = Number($("smoothing").value) || 0;
    if ($("logy")) v.logy = $("logy").checked;
    if ($("smoother")) v.smoother = $("smoother").value;
    if ($("outliers")) v.outliers = $("outliers").checked;
    if ($("chart-regex")) v.re = $("chart-regex").checked;
    if ($("chart-size")) v.size = $("chart-size").value === "m" ? "" : $("chart-size").value;
    if ($("xaxis")) {
      const x = $("xaxis").value === "step" ? "" : $("xaxis").value;
      if (x !== v.x) v.zoom.clear();              // a zoom of another x axis means nothing here
      v.x = x;
    }
    if ($("method")) v.method = $("method").value === "m4" ? "" : $("method").value;
    if ($("chart-filter")) v.filter = $("chart-filter").value;
  }

  /* RingChart options for chart ``id``: its zoom from the URL, and a callback that records new zooms */
  chartOpts(id) {
    return {range: this.v.zoom.get(id) || null, pinned: this.v.pins.get(id),
            onRange: r => { if (r) this.v.zoom.set(id, r); else this.v.zoom.delete(id); this.save(); }};
  }

  /* sections (<details data-section>) under ``box``: open/closed as the URL says; toggles recorded */
  sections(box) {
    box.querySelectorAll("details[data-section]").forEach(d => {
      const key = d.dataset.section || "Charts";
      const dflt = d.dataset.collapsed !== "true";
      if (this.v.open.has(key)) d.open = true;
      if (this.v.shut.has(key)) d.open = false;
      d.addEventListener("toggle", () => {
        this.v.open.delete(key); this.v.shut.delete(key);
        if (d.open !== dflt) (d.open ? this.v.open : this.v.shut).add(key);
        this.save();
        // charts drawn while their section was closed had no width: fit them now
        if (d.open && window.Plotly) d.querySelectorAll(".js-plotly-plot").forEach(p => Plotly.Plots.resize(p));
      });
    });
  }

  /* a chart's own view (its menu), {} = follows the page again */
  setPin(id, o) { if (Object.keys(o).length) this.v.pins.set(id, o); else this.v.pins.delete(id); this.save(); }

  /* a chart resized by hand ({h, span}, panelGrip in chart_tools.js) */
  setPanel(id, p) { this.v.panels.set(id, p); this.save(); }

  setHidden(ids) { this.v.hide = new Set(ids); this.save(); }

  /* the query string of the view alone (compare's add/remove links keep it) */
  query() {
    const v = this.v, q = new URLSearchParams();
    if (v.smooth) q.set("smooth", String(v.smooth));
    if (v.smoother !== "ema") q.set("smoother", v.smoother);
    if (v.outliers) q.set("outliers", "1");
    if (v.logy) q.set("logy", "1");
    if (v.x) q.set("x", v.x);
    if (v.method) q.set("method", v.method);
    if (v.filter) q.set("filter", v.filter);
    if (v.re) q.set("re", "1");
    if (v.size) q.set("size", v.size);
    v.pins.forEach((o, id) => q.append("pin", `${id}~${pinText(o)}`));
    v.open.forEach(s => q.append("open", s));
    v.shut.forEach(s => q.append("shut", s));
    v.zoom.forEach((r, id) => q.append("zoom", `${id}~${r[0]}~${r[1]}`));
    v.hide.forEach(id => q.append("hide", id));
    v.panels.forEach((p, id) => q.append("panel", `${id}~${p.h}~${p.span}`));
    return q;
  }

  save() {
    const q = new URLSearchParams(location.search);
    KEYS.forEach(k => q.delete(k));
    this.query().forEach((val, k) => q.append(k, val));
    const s = q.toString();
    history.replaceState(history.state, "", location.pathname + (s ? "?" + s : "") + location.hash);
  }
}
