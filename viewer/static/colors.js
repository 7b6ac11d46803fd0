/* Run colours and series dashes (issue 19, item 1): one colour per run on every chart of a page, and the
   same colour for a run on every page unless two runs shown together want the same one.

   RUN_COLORS holds 20 colours, each far from the others (tests/viewer/test_colors.py checks their
   distances) and readable on white. A run *prefers* the colour its id hashes to (so a run alone, on
   its task page, is always that colour, and a run keeps it wherever no other shown run takes it).
   A page showing several runs together (compare, a group, the table's selection, a report widget)
   calls useRuns(ids): the runs are taken in id order, each gets its preferred colour if still free,
   else the next free one of the list, so up to 20 runs never share a colour, whatever their ids and
   whatever order the page lists them in. Beyond 20, the further runs (in id order) get a hue from
   their hash (deterministic, may come close to another). */
import {RL} from "./common.js";

/* line dashes of the series of one run (compare: colour = run, dash = series) */
export const DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];

export const RUN_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                           "#7f7f7f", "#bcbd22", "#000080", "#800000", "#00a67e", "#f2b600", "#5c2d91", "#ff6f91",
                           "#006d77", "#3b3b3b", "#4d7c0f", "#a6761d"];
/* the plotly-style palette for series of one chart that are not runs */
export const PALETTE = RUN_COLORS.slice(0, 10);

function hash(id) {
  let h = 0x811c9dc5;
  for (const ch of String(id)) { h ^= ch.codePointAt(0); h = Math.imul(h, 0x01000193) >>> 0; }
  // murmur3's finaliser: ids differing in their last character land far apart
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/* a hue from the id's hash (two lightness levels): the fallback beyond RUN_COLORS.length runs */
export function hashColor(id) {
  const h = hash(id), hue = h % 360, light = (h >>> 20) & 1 ? 0.38 : 0.52, sat = 0.68;
  const f = n => { const k = (n + hue / 30) % 12, a = sat * Math.min(light, 1 - light);
                   return Math.round(255 * (light - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))); };
  return "#" + [f(0), f(8), f(4)].map(v => v.toString(16).padStart(2, "0")).join("");
}

/* {id: colour} for runs shown together (see the header); the same answer for the same set of ids */
export function assignColors(ids) {
  const out = new Map(), used = new Set(), K = RUN_COLORS.length;
  const order = [...new Set([...ids].map(String))].sort();
  for (const id of order) {
    if (used.size >= K) { out.set(id, hashColor(id)); continue; }
    let k = hash(id) % K;
    while (used.has(k)) k = (k + 1) % K;
    used.add(k);
    out.set(id, RUN_COLORS[k]);
  }
  return out;
}

let shown = new Map();
/* the page shows these runs together from now on: runColor() answers from their assignment */
export function useRuns(ids) {
  shown = assignColors(ids);
  return shown;
}

/* A run's colour: from the page's useRuns() set when it is in it, else its preferred colour. */
export function runColor(id) {
  return shown.get(String(id)) || RUN_COLORS[hash(id) % RUN_COLORS.length];
}

/* a run's colour swatch (the task table's rows, compare's run list) */
export function runSwatch(id) {
  const sw = RL.el("span", {class: "swatch", "data-task": id, "aria-hidden": "true"});
  sw.style.background = runColor(id);
  return sw;
}
