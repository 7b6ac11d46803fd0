/* Plots and Debug samples tabs: one card per (title, series) with an iteration slider.
   Plots are plotly figures as stored; groups of single bar/histogram traces also get a
   "distribution over steps" heatmap (as TensorBoard's histograms). Images, audio and video use
   the browser's own elements; HTML samples go into an iframe with sandbox="allow-scripts"
   (opaque origin: cannot touch the viewer), served with a CSP that blocks remote loads. An image
   with W&B overlays (masks, boxes) gets them drawn over it with a legend (overlays.js), in the
   Debug samples tab and in table cells alike. */
import {plotlyConfig} from "./chart.js";
import {RL} from "./common.js";
import {RLOverlays} from "./overlays.js";

export const RLSamples = (function () {
  const sigs = {};

  function slider(items, onPick) {
    const label = RL.el("span", {class: "iter"});
    const input = RL.el("input", {type: "range", min: 0, max: Math.max(0, items.length - 1), step: 1,
                                  value: items.length - 1, "aria-label": "iteration"});
    const pick = () => { const it = items[Number(input.value)]; label.textContent = `iteration ${it.iteration}`; onPick(it); };
    input.addEventListener("input", pick);
    return {node: RL.el("div", {class: "slider"}, [input, label]), pick, input};
  }

  function card(g, task, type) {
    const embed = JSON.stringify({type, objects: [task], metrics: g.title, variants: g.series});
    return RL.el("div", {class: "sample-card", "data-title": g.title, "data-series": g.series}, [
      RL.el("h3", null, [g.series && g.series !== g.title ? `${g.title} / ${g.series}` : g.title, " ",
        RL.el("button", {type: "button", class: "embed", "data-ringlog-embed": embed,
                         title: "copy embed code for a report", text: "embed"})])]);
  }

  function figureLayout(fig) {
    return Object.assign({margin: {l: 50, r: 20, t: 30, b: 40}, height: 360}, fig.layout || {});
  }

  function histogramOverSteps(g, box) {
    /* the server resampled every iteration onto one grid: z[i][j] = count of bin j at iteration i */
    const h = g.over_steps;
    Plotly.react(box, [{type: "heatmap", x: h.x, y: h.y, z: h.z, colorscale: "Viridis",
                        hovertemplate: "value %{x}<br>iteration %{y}<br>count %{z}<extra></extra>"}],
                 {height: 360, margin: {l: 60, r: 20, t: 30, b: 40}, title: {text: "distribution over iterations"},
                  yaxis: {title: {text: "iteration"}}}, plotlyConfig());
  }

  function tableNode(data) {
    /* a logged table as a real HTML table (cells as text), capped for the browser's sake */
    const cols = data.columns || [];
    const rows = (data.data || []).slice(0, 2000);
    const t = RL.el("table", {class: "grid"}, [
      RL.el("thead", null, RL.el("tr", null, cols.map(c => RL.el("th", {text: String(c)})))),
      RL.el("tbody", null, rows.map(r => RL.el("tr", null, [].concat(r).map(v =>
        v && typeof v === "object" && v._type  /* a media cell: the sample itself (viewer/media.py linked it) */
          ? RL.el("td", {class: "media-cell"}, v.url ? mediaCell(v) : RL.el("span", {class: "muted",
              text: `[${v._type}${v.caption ? ": " + v.caption : ""}: not kept]`}))
          : RL.el("td", {class: typeof v === "number" ? "num" : null, text: RL.fmtNum(v)}))))),
    ]);
    const wrap = RL.el("div", {class: "table-wrap"}, t);
    if ((data.data || []).length > rows.length) wrap.appendChild(RL.el("p", {class: "muted",
      text: `showing ${rows.length} of ${data.data.length} rows`}));
    return wrap;
  }

  async function loadPlots(task, root, live) {
    const {data, changed} = await RL.getJSON(`/api/tasks/${encodeURIComponent(task)}/plots`, true);
    await RL.plotly();
    if (live && !changed) return;
    const sig = JSON.stringify(data.groups.map(g => [g.title, g.series, g.items.length]));
    if (live && sigs.plots === sig) return;
    sigs.plots = sig;
    root.textContent = "";
    if (!data.groups.length) { root.appendChild(RL.el("p", {class: "muted", text: "No plots reported."})); return; }
    for (const g of data.groups) {
      const c = card(g, task, "plot");
      const plot = RL.el("div", {class: "plot"});
      const table = RL.el("div", {class: "table-holder"});
      c.appendChild(plot);
      c.appendChild(table);
      const s = slider(g.items, it => {
        const fig = it.figure || {};
        table.textContent = "";
        if (it.kind === "table" && it.data && Array.isArray(it.data.columns)) {
          Plotly.purge(plot); plot.hidden = true;
          table.appendChild(tableNode(it.data));
          return;
        }
        plot.hidden = false;
        Plotly.react(plot, fig.data || [], figureLayout(fig), plotlyConfig());
      });
      if (g.items.length > 1) c.appendChild(s.node);
      if (g.over_steps) {
        const h = RL.el("div", {class: "plot"});
        c.appendChild(h);
        root.appendChild(c);
        histogramOverSteps(g, h);
      } else root.appendChild(c);
      s.pick();
    }
  }

  const VIDEO_EXTS = new Set(["mp4", "webm", "ogg", "ogv", "m4v"]);
  const ANIMATED_IMAGE_EXTS = new Set(["gif", "apng", "webp", "png"]);

  function mediaCell(v) {
    /* a table's media cell: the sample (overlays folded) with its caption under it */
    const node = mediaNode(v, true, null);
    if (!v.caption || v.kind === "file") return node;
    const fig = RL.el("figure", {class: "media-cell"}, [node, RL.el("figcaption", {class: "caption", text: v.caption})]);
    fig.style.margin = "0";
    return fig;
  }

  function mediaNode(it, compact, scope) {
    if (!it.url) return RL.el("p", {class: "muted", text: "stored remotely: " + (it.uri || "unknown location")});
    switch (it.kind) {
      case "image": {
        const img = RL.el("img", {src: it.url, alt: it.caption || "", loading: "lazy"});
        // small images (e.g. 28x28 digits) are scaled up by an integer factor, pixels kept sharp;
        // in a table cell (compact) images are thumbnails of at most 160 px
        const target = compact ? 160 : 256;
        if (compact) img.style.maxWidth = target + "px";
        img.addEventListener("load", () => {
          const w = img.naturalWidth;
          if (w > 0 && w < target) img.style.width = Math.min(8, Math.floor(target / w)) * w + "px";
        });
        return it.overlays ? RLOverlays.view(img, it.overlays, compact, scope) : img;
      }
      case "audio": return RL.el("audio", {src: it.url, controls: true, preload: "metadata"});
      case "video": {
        // ringlog.Video defaults to GIF (as W&B): an animated image, which <video> cannot play
        const ext = String(it.ext || "").toLowerCase().replace(/^\./, "");
        if (VIDEO_EXTS.has(ext)) return RL.el("video", {src: it.url, controls: true, preload: "metadata"});
        if (ANIMATED_IMAGE_EXTS.has(ext)) return RL.el("img", {src: it.url, alt: it.caption || "", class: "video-gif"});
        return RL.el("a", {href: it.url, download: "", text: `download video (.${ext || "?"}: the browser cannot play it)`});
      }
      case "html": return RL.el("iframe", {src: it.url, sandbox: "allow-scripts", referrerpolicy: "no-referrer",
                                           class: "html-sample", title: it.caption || "HTML sample"});
      default: return RL.el("a", {href: it.url, download: "", text: it.caption ? `download ${it.caption}` : "download file"});
    }
  }

  /* A slider whose items may grow while the page is open (live refresh). update(items) keeps the
     sample the user picked (by key) unless the slider was on the newest one, which it then follows;
     the shown element is rebuilt only when the picked sample changes, so a refresh never flickers. */
  function liveSlider(key, onPick) {
    const label = RL.el("span", {class: "iter"});
    const input = RL.el("input", {type: "range", min: 0, step: 1, value: 0, "aria-label": "iteration"});
    const node = RL.el("div", {class: "slider"}, [input, label]);
    const st = {items: [], shown: undefined};
    function show() {
      const it = st.items[Number(input.value)];
      if (!it) return;
      label.textContent = `iteration ${it.iteration}`;
      if (key(it) === st.shown) return;
      st.shown = key(it);
      onPick(it);
    }
    function update(items) {
      const newest = !st.items.length || Number(input.value) >= st.items.length - 1;
      let idx = items.length - 1;
      if (!newest) { const j = items.findIndex(it => key(it) === st.shown); if (j >= 0) idx = j; }
      st.items = items;
      input.max = String(Math.max(0, items.length - 1));
      input.value = String(idx);
      node.hidden = items.length < 2;
      show();
    }
    input.addEventListener("input", show);
    return {node, input, update};
  }

  async function loadMedia(task, root, live) {
    const {data, changed} = await RL.getJSON(`/api/tasks/${encodeURIComponent(task)}/media`, true);
    if (live && !changed && root._cards) return;
    root._groups = data.groups;   // the image viewer and the step × series grid (media_view.js) read it
    root.dispatchEvent(new CustomEvent("samples-listed"));
    if (!data.groups.length) {
      root._cards = null;
      root.textContent = "";
      root.appendChild(RL.el("p", {class: "muted", text: "No debug samples reported."}));
      return;
    }
    if (!root._cards) { root._cards = new Map(); root.textContent = ""; }
    const cards = root._cards, seen = new Set();
    data.groups.forEach((g, i) => {
      const key = `${g.title}\u0000${g.series}`;
      seen.add(key);
      let entry = cards.get(key);
      if (!entry) {
        const c = card(g, task, "sample");
        const holder = RL.el("div", {class: "sample"});
        const cap = RL.el("p", {class: "caption"});
        const s = liveSlider(it => it.id, it => {
          holder.replaceChildren(mediaNode(it, false, `${task}\u0000${g.title}\u0000${g.series}`));
          cap.textContent = it.caption || "";
          // media_view.js makes a shown image open the full-size viewer
          root.dispatchEvent(new CustomEvent("sample-shown", {detail: {holder, title: g.title, series: g.series, item: it}}));
        });
        c.append(holder, cap, s.node);
        entry = {card: c, slider: s};
        cards.set(key, entry);
      }
      // in the listing's order; a card already in place is not moved (a moved iframe reloads)
      if (root.children[i] !== entry.card) root.insertBefore(entry.card, root.children[i] || null);
      entry.slider.update(g.items);
    });
    for (const [key, entry] of cards) if (!seen.has(key)) { entry.card.remove(); cards.delete(key); }
  }

  return {loadPlots, loadMedia};
})();
