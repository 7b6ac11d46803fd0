/* Debug samples (issue 19, item 7): a full-size image viewer and a step × series grid.

   The viewer is a modal <dialog>: Left/Right walk the iterations of one image series, Up/Down move
   to the previous/next image series at the same (else the nearest) iteration, Escape closes and
   gives the focus back to what opened it. Any shown sample image opens it (click, or Enter/Space
   when focused). The grid is a table, one row per iteration (newest first, at most GRID_ROWS), one
   column per image series, each cell a thumbnail button opening the viewer there. Built with
   textContent and attributes only. Listens to samples.js: "samples-listed" (a new listing, kept on
   the #media element as _groups) and "sample-shown" (a card showed a sample). An ES module. */
import {RL} from "./common.js";

const GRID_ROWS = 100;

/* the image series of a listing, each with its served images oldest first */
function imageGroups(groups) {
  return (groups || []).map(g => ({title: g.title, series: g.series,
                                   label: g.series && g.series !== g.title ? `${g.title} / ${g.series}` : g.title,
                                   items: g.items.filter(it => it.kind === "image" && it.url)}))
                       .filter(g => g.items.length);
}

function nearest(items, iteration) {
  let best = 0;
  items.forEach((it, i) => {
    if (Math.abs(it.iteration - iteration) < Math.abs(items[best].iteration - iteration)) best = i;
  });
  return best;
}

export function mediaTab() {
  const root = document.getElementById("media");
  const gridBox = document.getElementById("media-grid");
  const mode = document.getElementById("media-view");
  let groups = [];
  const st = {g: 0, i: 0, opener: null};

  const img = RL.el("img", {class: "viewer-img", alt: ""});
  const head = RL.el("h2", {id: "image-viewer-title"});
  const pos = RL.el("p", {class: "viewer-pos muted"});
  const cap = RL.el("p", {class: "caption"});
  const btn = (label, text, fn) => RL.el("button", {type: "button", "aria-label": label, text, onclick: fn});
  const dialog = RL.el("dialog", {id: "image-viewer", class: "image-viewer", "aria-labelledby": "image-viewer-title"}, [
    RL.el("div", {class: "viewer-bar"}, [head,
      btn("previous iteration (Left)", "←", () => move(0, -1)), btn("next iteration (Right)", "→", () => move(0, 1)),
      btn("previous series (Up)", "↑", () => move(-1, 0)), btn("next series (Down)", "↓", () => move(1, 0)),
      btn("close (Escape)", "✕", () => dialog.close())]),
    pos, RL.el("div", {class: "viewer-frame"}, img), cap]);
  document.body.appendChild(dialog);
  dialog.addEventListener("keydown", e => {
    const d = {ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0]}[e.key];
    if (!d) return;
    e.preventDefault();
    move(d[0], d[1]);
  });
  dialog.addEventListener("close", () => { if (st.opener && st.opener.isConnected) st.opener.focus(); });

  function draw() {
    const g = groups[st.g], it = g.items[st.i];
    head.textContent = g.label;
    pos.textContent = `iteration ${it.iteration} · image ${st.i + 1} of ${g.items.length} · series ${st.g + 1} of ${groups.length}`;
    img.src = it.url;
    img.alt = it.caption || `${g.label}, iteration ${it.iteration}`;
    cap.textContent = it.caption || "";
    dialog.dataset.title = g.title; dialog.dataset.series = g.series; dialog.dataset.iteration = String(it.iteration);
  }

  function move(dg, di) {
    if (!groups.length) return;
    if (dg) {
      const iteration = groups[st.g].items[st.i].iteration;
      st.g = Math.min(groups.length - 1, Math.max(0, st.g + dg));
      st.i = nearest(groups[st.g].items, iteration);
    } else st.i = Math.min(groups[st.g].items.length - 1, Math.max(0, st.i + di));
    draw();
  }

  function open(title, series, id, opener) {
    groups = imageGroups(root._groups);
    const g = groups.findIndex(x => x.title === title && x.series === series);
    if (g < 0) return;
    st.g = g;
    st.i = Math.max(0, groups[g].items.findIndex(it => it.id === id));
    st.opener = opener;
    draw();
    if (!dialog.open) dialog.showModal();
  }

  function opener(node, title, series, id) {
    node.classList.add("opens-viewer");
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    node.setAttribute("aria-label", "open full size: " + (node.getAttribute("alt") || title));
    node.addEventListener("click", () => open(title, series, id, node));
    node.addEventListener("keydown", e => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(title, series, id, node); }
    });
  }

  root.addEventListener("sample-shown", e => {
    const {holder, title, series, item} = e.detail;
    if (item.kind !== "image" || !item.url) return;
    const shown = holder.querySelector("img");
    if (shown) opener(shown, title, series, item.id);
  });

  function drawGrid() {
    const gs = imageGroups(root._groups);
    gridBox.textContent = "";
    if (!gs.length) { gridBox.appendChild(RL.el("p", {class: "muted", text: "No images to lay out."})); return; }
    const steps = [...new Set(gs.flatMap(g => g.items.map(it => it.iteration)))].sort((a, b) => b - a);
    const rows = steps.slice(0, GRID_ROWS);
    const at = gs.map(g => new Map(g.items.map(it => [it.iteration, it])));  // the last image of a step
    const table = RL.el("table", {class: "grid media-grid", id: "media-grid-table"}, [
      RL.el("thead", null, RL.el("tr", null, [RL.el("th", {scope: "col", text: "iteration"}),
                                              ...gs.map(g => RL.el("th", {scope: "col", text: g.label}))])),
      RL.el("tbody", null, rows.map(step => RL.el("tr", {"data-iteration": step}, [
        RL.el("th", {scope: "row", class: "num", text: String(step)}),
        ...gs.map((g, k) => {
          const it = at[k].get(step);
          if (!it) return RL.el("td", {class: "muted", text: "–"});
          const b = RL.el("button", {type: "button", class: "thumb", "aria-label": `${g.label}, iteration ${step}`},
                          RL.el("img", {src: it.url, alt: it.caption || "", loading: "lazy"}));
          b.addEventListener("click", () => open(g.title, g.series, it.id, b));
          return RL.el("td", null, b);
        })])))]);
    gridBox.appendChild(RL.el("div", {class: "table-wrap"}, table));
    if (steps.length > rows.length) gridBox.appendChild(RL.el("p", {class: "muted",
      text: `showing the newest ${rows.length} of ${steps.length} iterations`}));
  }

  function applyMode() {
    const grid = mode.value === "grid";
    root.hidden = grid;
    gridBox.hidden = !grid;
    if (grid) drawGrid();
  }
  mode.addEventListener("change", applyMode);
  root.addEventListener("samples-listed", () => { if (mode.value === "grid") drawGrid(); });
  return {open};
}
