/* Compare: debug images and plots side by side, one row per (title, series), one column per run
   (each run's newest sample / figure of that series; the column heads carry the run's colour).
   Built when its <details> is first opened (nothing is fetched before), from
   /api/tasks/<id>/media and /api/tasks/<id>/plots?latest=1. Text goes in with textContent;
   images are the viewer's own /media URLs; figures are drawn as stored, as on the task page. */
import {plotlyConfig, runSwatch} from "./chart.js";
import {RL} from "./common.js";

const key = g => JSON.stringify([g.title, g.series]);

function cellOfSample(it) {
  if (!it) return RL.el("td", {class: "muted", text: "—"});
  const cap = `iteration ${it.iteration}` + (it.caption ? " · " + it.caption : "");
  let node;
  if (!it.url) node = RL.el("span", {class: "muted", text: it.uri ? "remote: " + it.uri : "not kept"});
  else if (it.kind === "image" || (it.kind === "video" && it.ext === "gif")) { node = RL.el("img", {src: it.url, alt: cap, loading: "lazy"}); node.style.maxWidth = "240px"; }
  else node = RL.el("a", {href: it.url, target: "_blank", rel: "noopener", text: "open " + (it.ext || it.kind)});
  return RL.el("td", null, [RL.el("figure", {class: "media-cell"}, [node, RL.el("figcaption", {class: "caption", text: cap})])]);
}

function cellOfPlot(it) {
  if (!it) return [RL.el("td", {class: "muted", text: "—"}), null];
  const div = RL.el("div", {class: "side-plot"});
  div.style.width = "340px";
  return [RL.el("td", null, [div, RL.el("div", {class: "caption", text: `iteration ${it.iteration}`})]), [div, it.figure || {}]];
}

async function build(holder, tasks) {
  holder.textContent = "";
  const [media, plots] = await Promise.all([
    Promise.all(tasks.map(t => RL.getJSON(`/api/tasks/${encodeURIComponent(t.id)}/media`).then(a => a.data.groups))),
    Promise.all(tasks.map(t => RL.getJSON(`/api/tasks/${encodeURIComponent(t.id)}/plots?latest=1`).then(a => a.data.groups)))]);
  const head = () => RL.el("tr", null, [RL.el("th", {text: "series"})].concat(
    tasks.map(t => RL.el("th", {"data-task": t.id}, [runSwatch(t.id), t.name]))));
  const rowsOf = (perRun, cell) => {
    const groups = new Map();
    perRun.forEach(gs => gs.forEach(g => groups.set(key(g), g)));
    const draws = [];
    const rows = [...groups.keys()].sort().map(k => {
      const g = groups.get(k);
      const cells = perRun.map(gs => {
        const mine = gs.find(x => key(x) === k);
        const it = mine && mine.items.length ? mine.items[mine.items.length - 1] : null;
        const c = cell(it);
        if (Array.isArray(c)) { if (c[1]) draws.push(c[1]); return c[0]; }
        return c;
      });
      return RL.el("tr", {"data-key": k}, [RL.el("th", {text: `${g.title} / ${g.series}`})].concat(cells));
    });
    return {rows, draws};
  };
  const table = (cls, rows) => RL.el("div", {class: "table-wrap"}, [
    RL.el("table", {class: "grid side-by-side " + cls}, [RL.el("thead", null, [head()]), RL.el("tbody", null, rows)])]);
  const m = rowsOf(media, cellOfSample), p = rowsOf(plots, cellOfPlot);
  if (!m.rows.length && !p.rows.length) {
    holder.appendChild(RL.el("p", {class: "muted", text: "These runs logged no debug samples or plots."}));
  }
  if (m.rows.length) holder.appendChild(table("side-media", m.rows));
  if (p.rows.length) holder.appendChild(table("side-plots", p.rows));
  await RL.plotly();
  p.draws.forEach(([div, fig]) => Plotly.react(div, fig.data || [], Object.assign(
    {margin: {l: 40, r: 10, t: 24, b: 30}, height: 240}, fig.layout || {}, {width: undefined}), plotlyConfig()));
  holder.dataset.ready = "1";
}

/* ``details``: the section; ``shown()``: the runs shown now (hidden runs are left out) */
export function sideBySide(details, holder, shown) {
  let built = false;
  const go = () => build(holder, shown()).catch(e => { holder.textContent = "could not load: " + e.message; });
  details.addEventListener("toggle", () => { if (details.open && !built) { built = true; go(); } });
  return {refresh() { if (built) go(); }};
}
