/* W&B image overlays (wandb.Image(masks=..., boxes=..., classes=...)) drawn over a debug sample.

   The listing names them (viewer/media.py overlays_stub); they are fetched when the image is shown
   (overlays_payload; report widgets get them inline): masks as URLs of PNGs
   of class ids, boxes as corners (fractions of the image, or pixels when `pixel`), labels and
   scores as [key, value] pairs. Each mask is coloured per class on a <canvas> over the image
   (semi-transparent, opacity adjustable); boxes are SVG outlines in percent of the image, so they
   follow the image's displayed size, labelled with their caption (else the class name) and
   scores. A legend per group, as W&B's media panel has: the group on/off, a checkbox per class,
   and for boxes a minimum per score (boxes below it are hidden). The choices are remembered per
   card (`scope`) and group, so they hold while the iteration slider moves and across live
   refreshes, as W&B's panel settings do. Every string from the store goes in through
   textContent / setAttribute, never parsed as HTML. */
import {RL} from "./common.js";

export const RLOverlays = (function () {
  const SVG = "http://www.w3.org/2000/svg";
  // distinct colours, indexed by class id (W&B likewise gives each class a fixed colour)
  const PALETTE = [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
    [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128],
    [220, 190, 255], [170, 110, 40], [255, 250, 200], [128, 0, 0], [170, 255, 195], [128, 128, 0],
    [255, 215, 180], [0, 0, 128], [128, 128, 128]];
  const color = id => PALETTE[((Number(id) % PALETTE.length) + PALETTE.length) % PALETTE.length];
  const css = (id, a) => { const [r, g, b] = color(id); return a === undefined ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${a})`; };

  // scope -> group -> {on, off: Set of class ids turned off, min: Map score -> minimum, opacity}
  const memory = new Map();
  function remembered(scope, group) {
    const fresh = () => ({on: true, off: new Set(), min: new Map(), opacity: 0.45});
    if (!scope) return fresh();  // no card to share with (a table cell): this image's own choices
    const key = JSON.stringify([scope, group]);
    if (!memory.has(key)) memory.set(key, fresh());
    return memory.get(key);
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
    return e;
  }

  /* id -> name: the group's class_labels, then the image's classes, then W&B's default "class_<id>" */
  function namer(groupLabels, classes) {
    const m = new Map();
    for (const [id, name] of classes || []) m.set(id, name);
    for (const [id, name] of groupLabels || []) m.set(id, name);
    return id => (m.has(id) ? m.get(id) : `class_${id}`);
  }

  const fmt = v => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(v) : v.toFixed(2));

  function classRow(group, id, name, enabled, mem, onChange) {
    const box = RL.el("input", {type: "checkbox", checked: enabled.has(id), "data-group": group, "data-class": id,
                                "aria-label": `${group}: show ${name}`});
    box.addEventListener("change", () => {
      if (box.checked) { enabled.add(id); mem.off.delete(id); } else { enabled.delete(id); mem.off.add(id); }
      onChange();
    });
    const swatch = RL.el("span", {class: "swatch"});
    Object.assign(swatch.style, {display: "inline-block", width: "0.8em", height: "0.8em", margin: "0 0.3em",
                                 background: css(id), verticalAlign: "middle"});
    return RL.el("label", {class: "overlay-class"}, [box, swatch, RL.el("span", {text: name})]);
  }

  function groupBox(title, group, mem, onToggle) {
    const on = RL.el("input", {type: "checkbox", checked: mem.on, "data-group": group, "data-role": "group",
                               "aria-label": `show ${title}`});
    on.addEventListener("change", () => { mem.on = on.checked; onToggle(on.checked); });
    const fs = RL.el("fieldset", {class: "overlay-group", "data-group": group},
                     RL.el("legend", null, RL.el("label", null, [on, " ", RL.el("span", {text: title})])));
    Object.assign(fs.style, {display: "inline-block", verticalAlign: "top", margin: "0.2em 0.4em 0.2em 0"});
    return fs;
  }

  /* ---- masks: a canvas per mask group, re-coloured from the decoded class ids on each change ---- */
  function maskLayer(m, classes, stage, legend, scope) {
    const group = "mask:" + m.name;
    const mem = remembered(scope, group);
    const canvas = RL.el("canvas", {class: "overlay-mask", "data-group": group});
    Object.assign(canvas.style, {position: "absolute", left: 0, top: 0, width: "100%", height: "100%",
                                 imageRendering: "pixelated", pointerEvents: "none"});
    stage.appendChild(canvas);
    const name = namer(m.labels, classes);
    const st = {opacity: mem.opacity, enabled: new Set(), ids: null, w: 0, h: 0};
    canvas.hidden = !mem.on;
    const fs = groupBox("mask: " + m.name, group, mem, on => { canvas.hidden = !on; });
    legend.appendChild(fs);
    const draw = () => {
      if (!st.ids) return;
      const ctx = canvas.getContext("2d");
      const out = ctx.createImageData(st.w, st.h);
      const a = Math.round(st.opacity * 255);
      const lut = new Uint8ClampedArray(256 * 4);
      for (const id of st.enabled) {
        if (id >= 0 && id < 256) { const [r, g, b] = color(id); lut.set([r, g, b, a], id * 4); }  // a mask pixel is 8-bit
      }
      const px = out.data, ids = st.ids;
      for (let i = 0, j = 0; i < ids.length; i++, j += 4) {
        const k = ids[i] * 4;
        px[j] = lut[k]; px[j + 1] = lut[k + 1]; px[j + 2] = lut[k + 2]; px[j + 3] = lut[k + 3];
      }
      ctx.putImageData(out, 0, 0);
    };
    const opacity = RL.el("input", {type: "range", min: 0, max: 1, step: 0.05, value: st.opacity,
                                    "data-group": group, "data-role": "opacity", "aria-label": `${group} opacity`});
    opacity.addEventListener("input", () => { st.opacity = mem.opacity = Number(opacity.value); draw(); });
    fs.appendChild(RL.el("label", {class: "overlay-opacity"}, ["opacity ", opacity]));
    const classBox = RL.el("div", {class: "overlay-classes"});
    fs.appendChild(classBox);
    decodeMask(m).then(({ids, w, h}) => {
      st.ids = ids; st.w = w; st.h = h;
      canvas.width = w; canvas.height = h;
      const present = new Set(ids);
      const all = [...new Set([...m.labels.map(p => p[0]), ...present])].sort((x, y) => x - y);
      all.filter(id => !mem.off.has(id)).forEach(id => st.enabled.add(id));
      for (const id of all) classBox.appendChild(classRow(group, id, name(id), st.enabled, mem, draw));
      draw();
      canvas.dataset.ready = "1";
    }).catch(e => { fs.appendChild(RL.el("p", {class: "error", text: "mask not shown: " + e.message})); });
  }

  /* the PNG's first channel, exactly as stored (no colour management, no premultiplication); from
     the mask's inline base64 `png` when the listing carried it (report widgets), else its URL */
  async function decodeMask(m) {
    let blob;
    if (typeof m.png === "string") {
      const bin = atob(m.png);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      blob = new Blob([bytes], {type: "image/png"});
    } else {
      const resp = await fetch(m.url);
      if (!resp.ok) throw new Error(`${resp.status} ${resp.statusText}`);
      blob = await resp.blob();
    }
    const bmp = await createImageBitmap(blob, {colorSpaceConversion: "none", premultiplyAlpha: "none"});
    const c = document.createElement("canvas");
    c.width = bmp.width; c.height = bmp.height;
    const ctx = c.getContext("2d", {willReadFrequently: true});
    ctx.drawImage(bmp, 0, 0);
    const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
    const ids = new Uint8Array(bmp.width * bmp.height);
    for (let i = 0; i < ids.length; i++) ids[i] = px[i * 4];
    return {ids, w: bmp.width, h: bmp.height};
  }

  /* ---- boxes: one SVG per box group, in percent of the image ---- */
  function boxLayer(g, classes, stage, legend, img, scope) {
    const group = "boxes:" + g.name;
    const mem = remembered(scope, group);
    const layer = svg("svg", {class: "overlay-boxes", "data-group": group});
    Object.assign(layer.style, {position: "absolute", left: 0, top: 0, width: "100%", height: "100%",
                                overflow: "visible", pointerEvents: "none"});
    stage.appendChild(layer);
    const name = namer(g.labels, classes);
    const ids = [...new Set([...g.labels.map(p => p[0]), ...g.boxes.map(b => b.class_id).filter(x => x !== null)])]
      .sort((x, y) => x - y);
    const st = {enabled: new Set(ids.filter(id => !mem.off.has(id))), min: new Map()};
    const fs = groupBox("boxes: " + g.name, group, mem, () => draw());
    legend.appendChild(fs);
    // a minimum per score name, over the range the boxes span (W&B's per-score filter)
    const ranges = new Map();
    for (const b of g.boxes) for (const [k, v] of b.scores) {
      const r = ranges.get(k) || [v, v];
      ranges.set(k, [Math.min(r[0], v), Math.max(r[1], v)]);
    }
    for (const [k, [lo, hi]] of ranges) {
      // a remembered minimum holds where this image's scores reach it; the slider spans this image's range
      const start = mem.min.has(k) ? Math.min(Math.max(mem.min.get(k), lo), hi) : lo;
      st.min.set(k, mem.min.has(k) ? mem.min.get(k) : lo);
      const out = RL.el("output", {text: fmt(st.min.get(k))});
      const input = RL.el("input", {type: "range", min: lo, max: hi, step: hi > lo ? (hi - lo) / 100 : 1, value: start,
                                    "data-group": group, "data-score": k, "aria-label": `${group}: minimum ${k}`});
      input.addEventListener("input", () => {
        const v = Number(input.value);
        st.min.set(k, v); mem.min.set(k, v); out.textContent = fmt(v); draw();
      });
      fs.appendChild(RL.el("label", {class: "overlay-score"}, [RL.el("span", {text: `${k} ≥ `}), input, " ", out]));
    }
    const classBox = RL.el("div", {class: "overlay-classes"});
    for (const id of ids) classBox.appendChild(classRow(group, id, name(id), st.enabled, mem, draw));
    fs.appendChild(classBox);
    if (g.truncated) fs.appendChild(RL.el("p", {class: "muted", text: `first ${g.boxes.length} boxes shown`}));

    function draw() {
      layer.textContent = "";
      const W = img.naturalWidth, H = img.naturalHeight;
      if (!mem.on) return;
      for (const b of g.boxes) {
        if (b.class_id !== null && !st.enabled.has(b.class_id)) continue;
        if (b.scores.some(([k, v]) => v < st.min.get(k))) continue;
        if (b.pixel && !(W > 0 && H > 0)) continue;  // pixel boxes wait for the image's size
        const [x0, x1, y0, y1] = b.pixel ? [b.x0 / W, b.x1 / W, b.y0 / H, b.y1 / H] : [b.x0, b.x1, b.y0, b.y1];
        const id = b.class_id === null ? 0 : b.class_id;
        const label = [b.caption !== null ? b.caption : b.class_id !== null ? name(b.class_id) : ""]
          .concat(b.scores.map(([k, v]) => `${k} ${fmt(v)}`)).filter(Boolean).join(" ");
        const rect = svg("rect", {x: `${x0 * 100}%`, y: `${y0 * 100}%`, width: `${(x1 - x0) * 100}%`,
                                  height: `${(y1 - y0) * 100}%`, fill: "none", stroke: css(id), "stroke-width": 2,
                                  "data-class": b.class_id === null ? "" : b.class_id});
        const title = svg("title");
        title.textContent = label;
        rect.appendChild(title);
        layer.appendChild(rect);
        if (label) {
          // above the box, or just inside it when the box touches the image's top edge
          const text = svg("text", {x: `${x0 * 100}%`, y: `${y0 * 100}%`, dy: y0 > 0.08 ? -3 : 12, dx: 2,
                                    "font-size": 11, "font-family": "sans-serif", fill: "#fff", stroke: css(id),
                                    "stroke-width": 3, "paint-order": "stroke", class: "overlay-label"});
          text.textContent = label;
          layer.appendChild(text);
        }
      }
    }
    if (img.complete && img.naturalWidth) draw();
    img.addEventListener("load", draw);
    draw();
  }

  /* `img` wrapped with its overlays and their legend; `compact` (table cells) folds the legend;
     `scope` names the card whose legend choices this image shares (its other iterations). */
  function view(img, ov, compact, scope) {
    Object.assign(img.style, {display: "block"});
    const stage = RL.el("div", {class: "overlay-stage"}, img);
    Object.assign(stage.style, {position: "relative", display: "inline-block", lineHeight: 0});
    const legend = RL.el("div", {class: "overlay-legend"});
    // the listing carries a stub ({detail: URL, masks: n, boxes: n}); report widgets get the whole thing
    const full = ov.detail ? fetch(ov.detail).then(r => {
      if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
      return r.json();
    }) : Promise.resolve(ov);
    full.then(o => {
      for (const m of o.masks || []) maskLayer(m, o.classes, stage, legend, scope);
      for (const g of o.boxes || []) boxLayer(g, o.classes, stage, legend, img, scope);
      stage.dataset.overlays = "ready";
    }).catch(e => legend.appendChild(RL.el("p", {class: "error", text: "overlays not shown: " + e.message})));
    const fold = compact ? RL.el("details", {class: "overlay-fold"}, [RL.el("summary", {text: "overlays"}), legend])
                         : legend;
    return RL.el("div", {class: "overlay-view"}, [stage, fold]);
  }

  return {view, color};
})();
