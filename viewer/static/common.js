/* ringlog viewer: small shared helpers (no framework). Builds DOM with textContent only,
   so nothing from the store is ever parsed as HTML. An ES module: pages import what they use. */
export const RL = (function () {
  const pageEl = document.getElementById("page-data");
  const page = pageEl ? JSON.parse(pageEl.textContent) : {};
  const etags = new Map(); // url -> {etag, data}

  /* GET JSON; with cache=true sends If-None-Match and returns {data, changed}. */
  async function getJSON(url, cache) {
    const headers = {"Accept": "application/json"};
    const prev = cache ? etags.get(url) : undefined;
    if (prev) headers["If-None-Match"] = prev.etag;
    const resp = await fetch(url, {headers, cache: "no-store"});
    if (resp.status === 304 && prev) return {data: prev.data, changed: false};
    let body;
    try { body = await resp.json(); } catch (e) { body = null; }
    if (!resp.ok) {
      const msg = body && body.error ? body.error.message : resp.statusText;
      const err = new Error(msg); err.status = resp.status; throw err;
    }
    const et = resp.headers.get("ETag");
    if (cache && et) etags.set(url, {etag: et, data: body});
    return {data: body, changed: true};
  }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of [].concat(children || [])) {
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  function fmtTime(ts) {
    if (ts === null || ts === undefined || ts === "") return "";
    const d = new Date(Number(ts) * 1000);
    return isNaN(d) ? String(ts) : d.toLocaleString();
  }
  function fmtDuration(s) {
    if (s === null || s === undefined) return "";
    s = Math.round(s);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? `${h}h ${m}m` : m ? `${m}m ${sec}s` : `${sec}s`;
  }
  function fmtNum(v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number") return typeof v === "object" ? JSON.stringify(v) : String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  }

  /* TensorBoard's debiased exponential moving average; non-finite values pass through. */
  function ema(ys, weight) {
    if (!(weight > 0)) return ys.slice();
    const out = new Array(ys.length);
    let last = 0, n = 0;
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (y === null || !isFinite(y)) { out[i] = y; continue; }
      last = last * weight + (1 - weight) * y;
      n++;
      out[i] = last / (1 - Math.pow(weight, n));
    }
    return out;
  }

  /* The same debiased EMA over bucket means: a bucket of n finite points with mean m counts as n
     points of value m (s = w^n s + (1 - w^n) m), so a bucket of one point is TensorBoard's EMA step
     and the smoothed line is the same whether a range is drawn from 3 buckets or 3,000 points.
     A bucket without finite points gives null (a gap). */
  function emaCounts(ys, ns, weight) {
    const out = new Array(ys.length);
    let s = 0, den = 0;
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i], n = ns[i];
      if (!(n > 0) || y === null || !isFinite(y)) { out[i] = null; continue; }
      const a = weight > 0 ? Math.pow(weight, n) : 0;
      s = a * s + (1 - a) * y;
      den = a * den + (1 - a);
      out[i] = s / den;
    }
    return out;
  }

  function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null || v === "") continue;
      if (Array.isArray(v)) v.forEach(x => u.append(k, x)); else u.append(k, v);
    }
    return u.toString();
  }

  function showError(box, err) {
    if (!box) return;
    box.hidden = false;
    box.textContent = String(err && err.message ? err.message : err);
  }

  /* {dtype: "<f8", b64} (the API's enc=b64) -> Float64Array; plain arrays pass through.
     Exact, NaN/Inf kept; plotly draws typed arrays directly. */
  function f64(v) {
    if (!v || typeof v.b64 !== "string") return v;
    const bin = atob(v.b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float64Array(bytes.buffer);
  }

  /* plotly.js once it has run. Pages that load it with <script async id="plotly-js"> fetch their
     data while the browser compiles the 4.6 MB bundle; drawing code awaits this first. A page that
     only preloads it (<link rel="preload" id="plotly-preload">: the task page, quickdraw.js) gets the
     script tag on the first call. */
  let plotlyWait = null;
  function plotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (plotlyWait) return plotlyWait;
    let tag = document.getElementById("plotly-js");
    const pre = document.getElementById("plotly-preload");
    if (!tag && pre) {                 // only preloaded (the task page): run it now, on first use
      tag = Object.assign(document.createElement("script"), {id: "plotly-js", src: pre.href, async: true});
      document.head.appendChild(tag);
    }
    if (!tag) return Promise.reject(new Error("plotly.js is not on this page"));
    plotlyWait = new Promise((resolve, reject) => {
      tag.addEventListener("load", () => resolve(window.Plotly));
      tag.addEventListener("error", () => reject(new Error("plotly.js failed to load")));
    });
    return plotlyWait;
  }

  return {page, getJSON, el, fmtTime, fmtDuration, fmtNum, ema, emaCounts, qs, showError, f64, plotly};
})();
