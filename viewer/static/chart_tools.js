/* Chart workspace tools (issue 19, items 3 and 6): the "ignore outliers" y range, a chart's own menu
   (full screen, log y / smoothing / outliers overrides), the chart-size control and drag-resize. */
import {RL} from "./common.js";
import {smootherParam} from "./smoothers.js";

/* y range [lo, hi] (log10 units on a log axis) from the 1st to the 99th percentile of the drawn points
   of ``results`` (scalar answers), 5% padded; null when too few. A bucket's min and max (its band) are
   left out where a band exists: M4 draws every bucket's extremes, so a spike in one point of a
   thousand would be a quarter of the points drawn; the first and last points of the buckets are
   ordinary samples of the raw values. */
export function outlierRange(results, logy) {
  const ys = [];
  const take = (y, skip) => { if (y !== null && isFinite(y) && (!logy || y > 0) && !(skip && skip.has(y))) ys.push(logy ? Math.log10(y) : y); };
  for (const r of results) {
    const skip = r.band && r.band.lo.length ? new Set([...r.band.lo, ...r.band.hi]) : null;
    const before = ys.length;
    for (const y of r.y) take(y, skip);
    if (ys.length - before < 3) for (const y of r.y) take(y, null);   // buckets of one or two points
  }
  if (ys.length < 3) return null;
  ys.sort((a, b) => a - b);
  const q = p => { const i = p * (ys.length - 1), j = Math.floor(i);
                   return j + 1 < ys.length ? ys[j] + (i - j) * (ys[j + 1] - ys[j]) : ys[j]; };
  const lo = q(0.01), hi = q(0.99), pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

/* Charts whose data came together draw one per macrotask, in order, so the browser can paint the
   first before plotly has drawn the other 23 of a page (they would all draw in one task otherwise). */
let drawChain = Promise.resolve();
export function drawTurn() {
  drawChain = drawChain.then(() => new Promise(resolve => setTimeout(resolve, 0)));
  return drawChain;
}

const METHODS = {m4: "M4 (first, last, min and max of each bucket)", minmax: "MinMax", lttb: "LTTB", minmaxlttb: "MinMaxLTTB"};

/* A chart footer's plain words ("12,000 points, 1,600 drawn") and a "details" disclosure with how they
   were read: the pyramid level, the bucket size, the method, whether smoothing uses bucket means. */
export function footerSummary(results, lines, opts) {
  const raw = results.reduce((n, r) => n + (r.raw_count || 0), 0), drawn = results.reduce((n, r) => n + r.x.length, 0);
  const how = results.map((r, i) => `${lines[i].name}: ${r.raw_count.toLocaleString()} points, ` + (r.exact ? "every point drawn"
    : `read from pyramid level ${r.level} (buckets of about ${Math.max(1, Math.round(r.raw_count / Math.max(1, r.x.length / 4))).toLocaleString()} points)`))
    .concat([`method ${METHODS[opts.method] || opts.method}`,
             opts.smoothing > 0 ? "smoothed over the bucket means (does not move with the zoom)" : ""]).filter(Boolean).join("\n");
  const words = `${raw.toLocaleString()} points` + (results.every(r => r.exact) ? ", all drawn" : `, ${drawn.toLocaleString()} drawn`);
  return [RL.el("span", {class: "muted", text: words}),
          RL.el("details", {class: "chart-details"}, [RL.el("summary", {class: "muted", text: "details", title: how}),
                                                      RL.el("div", {class: "muted chart-how", text: how})])];
}

const $ = id => document.getElementById(id);

/* the toolbar's smoothing method, strength and "ignore outliers": apply({smoothing | smoother | outliers})
   on each change; the read-out names the chosen smoother's own parameter (window, sigma) */
export function smoothingControls(apply) {
  const out = () => {
    const w = Number($("smoothing").value);
    $("smoothing-out").textContent = w > 0 ? `${w} (${smootherParam($("smoother").value, w)})` : "0";
  };
  $("smoothing").addEventListener("input", () => { out(); apply({smoothing: Number($("smoothing").value)}); });
  $("smoother").addEventListener("change", () => { out(); apply({smoother: $("smoother").value}); });
  $("outliers").addEventListener("change", () => apply({outliers: $("outliers").checked}));
  out();
}

/* The chart filter: a substring (any case), or with "regex" ticked a regular expression (any case).
   A regex that does not compile filters nothing and is shown as invalid (aria-invalid, the
   browser's message beside the box); it never throws. onChange() after each edit; returns test(name). */
export function chartFilter(onChange) {
  const input = $("chart-filter"), rx = $("chart-regex"), msg = $("chart-filter-msg");
  let test = () => true;
  const update = () => {
    const q = input.value;
    let bad = "";
    if (rx && rx.checked && q) {
      try { const re = new RegExp(q, "i"); test = t => re.test(t); }
      catch (e) { bad = e.message; test = () => true; }
    } else {
      const l = q.toLowerCase();
      test = t => !l || t.toLowerCase().includes(l);
    }
    if (bad) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    if (msg) { msg.textContent = bad ? "invalid regular expression: " + bad : ""; msg.hidden = !bad; }
  };
  input.addEventListener("input", () => { update(); onChange(); });
  if (rx) rx.addEventListener("change", () => { update(); onChange(); });
  update();
  return name => test(name);
}

/* the toolbar's chart size (small, medium, large): the grid's column width (CSS) and the charts' height */
export const HEIGHTS = {s: 220, m: 300, l: 460};
export function chartHeight() { return HEIGHTS[($("chart-size") || {}).value] || HEIGHTS.m; }
export function chartSize(charts) {
  const sel = $("chart-size");
  if (!sel) return;
  const apply = () => {
    $("charts").classList.remove("size-s", "size-l");
    if (sel.value !== "m") $("charts").classList.add("size-" + sel.value);
  };
  sel.addEventListener("change", () => {
    apply();
    charts().forEach(c => {
      if (c.box.classList.contains("fullscreen")) { c.normalHeight = chartHeight(); return; }
      c.opts.height = c.panelHeight || chartHeight();   // a chart resized by hand keeps its height
      if (c.drawn) c.load(false);                     // a wider chart asks finer data
    });
  });
  apply();
}

const opt = (value, text, cur) => RL.el("option", {value, text, selected: value === cur});

/* A chart's own menu: full screen (Esc leaves it), and its log y, smoothing and outliers pinned against
   the page's toolbar (chart.override; onPin(pinned) records them in the URL). */
export function chartMenu(chart, onPin) {
  const box = chart.box, pin = chart.pinned;
  const flag = k => (!(k in pin) ? "" : pin[k] ? "1" : "0");
  const logy = RL.el("select", {class: "pin-logy", "aria-label": "log y for this chart"},
    [opt("", "log y: as the page", flag("logy")), opt("1", "log y", flag("logy")), opt("0", "linear y", flag("logy"))]);
  const curSm = !("smoothing" in pin) ? "" : pin.smoothing > 0 ? pin.smoother : "none";
  const sm = RL.el("select", {class: "pin-smoother", "aria-label": "smoothing for this chart"},
    [opt("", "smoothing: as the page", curSm), opt("none", "no smoothing", curSm), opt("ema", "exponential", curSm),
     opt("avg", "running average", curSm), opt("gauss", "Gaussian", curSm)]);
  const strength = RL.el("input", {type: "range", class: "pin-strength", min: 0.01, max: 0.99, step: 0.01,
    value: pin.smoothing > 0 ? pin.smoothing : 0.6, "aria-label": "smoothing strength for this chart"});
  const out = RL.el("output", {class: "muted"});
  const outl = RL.el("select", {class: "pin-outliers", "aria-label": "outliers for this chart"},
    [opt("", "outliers: as the page", flag("outliers")), opt("1", "ignore outliers", flag("outliers")),
     opt("0", "keep outliers", flag("outliers"))]);
  const update = () => {
    const on = sm.value !== "" && sm.value !== "none";
    strength.hidden = out.hidden = !on;
    out.textContent = on ? smootherParam(sm.value, Number(strength.value)) : "";
  };
  const changed = () => {
    update();
    chart.override({logy: logy.value === "" ? undefined : logy.value === "1",
                    outliers: outl.value === "" ? undefined : outl.value === "1",
                    smoothing: sm.value === "" ? undefined : sm.value === "none" ? 0 : Number(strength.value),
                    smoother: sm.value === "" || sm.value === "none" ? undefined : sm.value});
    onPin(Object.assign({}, chart.pinned));
    menu.classList.toggle("pinned", Object.keys(chart.pinned).length > 0);
  };
  [logy, sm, outl].forEach(e => e.addEventListener("change", changed));
  strength.addEventListener("input", changed);
  const menu = RL.el("details", {class: "chart-menu" + (Object.keys(pin).length ? " pinned" : "")}, [
    RL.el("summary", {title: "this chart's own view", "aria-label": "this chart's own view", text: "⚙"}),
    RL.el("div", {class: "chart-menu-body"}, [logy, sm, strength, out, outl])]);
  update();

  const fs = RL.el("button", {type: "button", class: "chart-fs", "aria-pressed": "false",
                              title: "full screen (Esc leaves)", "aria-label": "full screen", text: "⛶"});
  const esc = e => { if (e.key === "Escape") full(false); };
  function full(on) {
    if (on === box.classList.contains("fullscreen")) return;
    box.classList.toggle("fullscreen", on);
    fs.setAttribute("aria-pressed", String(on));
    fs.textContent = on ? "✕" : "⛶";
    fs.setAttribute("aria-label", on ? "leave full screen" : "full screen");
    if (on) { chart.normalHeight = chart.opts.height; chart.opts.height = Math.max(300, window.innerHeight - 110); }
    else chart.opts.height = chart.normalHeight || chart.opts.height;
    (on ? document.addEventListener : document.removeEventListener).call(document, "keydown", esc);
    if (chart.drawn) chart.load(false);               // more pixels: finer data
    fs.focus();
  }
  fs.addEventListener("click", () => full(!box.classList.contains("fullscreen")));
  box.insertBefore(RL.el("div", {class: "chart-tools"}, [menu, fs]), box.firstChild);
  return {full};
}

/* Drag-resize of a chart panel (issue 19, item 6, "resizable panels"): the grip at the box's
   bottom-right corner sets the chart's height (dragged down or up, 160-1200 px) and how many grid
   columns it spans (dragged right or left, snapped to whole columns); on the focused grip the arrow
   keys do the same (up/down 20 px, left/right one column). The chart then re-asks its data for its
   new width. ``panel`` ({h, span}) is where it starts (the URL's panel=...); onPanel({h, span}) records
   each change. The page's size control leaves a resized chart's height alone. */
const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
export function panelGrip(chart, panel, onPanel) {
  const box = chart.box;
  const grip = RL.el("span", {class: "panel-grip", role: "separator", tabindex: "0", title: "drag to resize",
                              "aria-label": "resize this chart (drag, or arrow keys)"});
  box.appendChild(grip);
  const cols = () => (box.parentElement ? getComputedStyle(box.parentElement).gridTemplateColumns.split(" ").filter(Boolean).length : 1);
  let cur = {h: 0, span: 1};
  const show = p => {                    // the box's size now (the plot follows on commit)
    box.style.gridColumn = p.span > 1 && cols() > 1 ? `span ${Math.min(p.span, cols())}` : "";
    chart.plotEl.style.minHeight = p.h ? p.h + "px" : "";
    box.dataset.panel = p.h ? `${p.h}x${p.span}` : "";
  };
  const commit = (p, save) => {
    cur = p;
    show(p);
    chart.panelHeight = p.h;
    if (p.h) chart.opts.height = p.h;
    if (save) { onPanel(p); if (chart.drawn) chart.load(false); }
  };
  if (panel && panel.h) commit({h: clamp(panel.h, 160, 1200), span: Math.max(1, panel.span || 1)}, false);
  window.addEventListener("resize", () => show(cur));          // fewer columns: the span shrinks with them
  const colWidth = () => { const g = box.parentElement, n = cols(), gap = parseFloat(getComputedStyle(g).columnGap) || 0;
                           return (g.clientWidth - gap * (n - 1)) / n; };
  grip.addEventListener("pointerdown", e => {
    e.preventDefault();
    grip.setPointerCapture(e.pointerId);
    const x0 = e.clientX, y0 = e.clientY, h0 = cur.h || chart.plotEl.clientHeight || 300;
    const w0 = box.getBoundingClientRect().width, cw = colWidth();
    let p = cur;
    const move = ev => { p = {h: Math.round(clamp(h0 + ev.clientY - y0, 160, 1200)),
                              span: clamp(Math.round((w0 + ev.clientX - x0) / cw), 1, cols())}; show(p); };
    const up = () => { grip.removeEventListener("pointermove", move); grip.removeEventListener("pointerup", up);
                       commit(p, true); };
    grip.addEventListener("pointermove", move);
    grip.addEventListener("pointerup", up);
  });
  grip.addEventListener("keydown", e => {
    const h = cur.h || chart.plotEl.clientHeight || 300;
    const d = {ArrowUp: [-20, 0], ArrowDown: [20, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]}[e.key];
    if (!d) return;
    e.preventDefault();
    commit({h: clamp(h + d[0], 160, 1200), span: clamp(cur.span + d[1], 1, cols())}, true);
  });
}
